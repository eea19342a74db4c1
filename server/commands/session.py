"""``deploystate session start|end``: hand work over between agent sessions through the ledger."""

from __future__ import annotations

import argparse

from deploystate.state.ledger.ids import parse_duration
from deploystate.state.errors import InputError
from deploystate.state.memory.memory import end_session, start_session

from ._common import actions, arg, command, emit, project_from

EPILOG = """\
examples:
  deploystate session start --goal "make the worker stop dropping tasks" --client claude-code
  export DEPLOYSTATE_SESSION=<the id it printed>
  ...
  deploystate session end --did "raised prefetch to 1" --broke "nothing" --next "verify worker after 1h soak"
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "session", None, epilog=EPILOG, help="start or end a working session",
                description="Sessions hand work over: `start` prints what the previous session said to do "
                            "next and closes sessions left open (the agent died) as abandoned; `end` records "
                            "what you did, broke and want done next, beside what the ledger shows.")
    sub_actions = actions(p, "session_action")
    command(sub_actions, "start", run_start, json=True,
            help="start a session (prints its id)",
            description="Start a session. Prints the previous session's 'next' first, the "
                        "sessions closed as abandoned, recent failed attempts and the new id.",
            arguments=(
                arg("--goal", required=True, help="what this session is for, in one line"),
                arg("--client", help="agent client name (claude-code, codex, cursor, gemini-cli, ...)"),
                arg("--keep-active", metavar="DURATION",
                    help="leave open sessions that recorded anything this recently (e.g. 30m), for agents "
                         "working in parallel; by default every open session is closed as abandoned"),
            ))
    command(sub_actions, "end", run_end, json=True,
            help="end a session with did / broke / next",
            description="End a session. The session is --session, else $DEPLOYSTATE_SESSION, "
                        "else the only open one.",
            arguments=(
                arg("--session", help="session id (default: $DEPLOYSTATE_SESSION, else the only open session)"),
                arg("--did", required=True, help="what this session did"),
                arg("--broke", required=True, help="what it broke or left broken ('nothing' is an answer)"),
                arg("--next", required=True, help="what the next session should do first"),
            ))


def run_start(args: argparse.Namespace) -> int:
    project = project_from(args)
    keep = None
    if args.keep_active:
        try:
            keep = parse_duration(args.keep_active)
        except ValueError as exc:
            raise InputError(f"bad --keep-active {args.keep_active!r}: {exc}", "use a duration like 30m or 2h") from exc
    res = start_session(project, goal=args.goal, client=args.client, keep_active_within=keep)
    lines = []
    prev = res["previous"]
    if res["previous_next"]:
        lines.append(f"NEXT (from session {prev['session_id']}, ended {prev['ended'][:16].replace('T', ' ')}): "
                     f"{res['previous_next']}")
        if prev.get("broke"):
            lines.append(f"  it broke: {prev['broke']}")
    elif prev:
        lines.append(f"The previous session {prev['session_id']} left no 'next' ({prev['status']}).")
    for a in res["abandoned"]:
        lines.append(f"closed abandoned session {a['session_id']} ({a['goal'][:80]}): {a['auto']}")
    for sid in res["kept_open"]:
        lines.append(f"left open (recently active): {sid}")
    if res["recent_failed_attempts"]:
        lines.append("recently FAILED attempts (check before repeating: deploystate attempt check --summary ...):")
        for a in res["recent_failed_attempts"]:
            lines.append(f"  {a['ts'][:16].replace('T', ' ')}  {a['summary'][:110]}  [{a['id']}]")
    lines += [f"started session {res['session_id']}", f"  {res['export']}"]
    emit(args, {k: v for k, v in res.items() if k != "record"} | {"record_id": res["record"]["id"]}, "\n".join(lines))
    return 0


def run_end(args: argparse.Namespace) -> int:
    project = project_from(args)
    res = end_session(project, session_id=args.session, did=args.did, broke=args.broke, next=args.next)
    emit(args, {"session_id": res["session_id"], "status": res["status"], "auto": res["auto"],
                "record_id": res["record"]["id"]},
         f"ended session {res['session_id']}\n  auto summary: {res['auto']}")
    return 0
