"""``deploystate attempt add|list|check``: record what was tried and ask whether it was tried before."""

from __future__ import annotations

import argparse

from deploystate.state.view import cache
from deploystate.state.memory.memory import OUTCOMES, check_attempt, record_attempt

from ._common import actions, arg, color, command, emit, project_from

EPILOG = """\
examples:
  deploystate attempt check --summary "restart the celery worker to fix the event loop error"
  deploystate attempt add --summary "raise worker memory limit to 3Gi" --outcome failed \\
      --service worker --file k8s/worker.yaml --evidence "$(kubectl describe pod worker-0 | tail -20)"
  deploystate attempt list --outcome failed
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "attempt", None, epilog=EPILOG,
                help="record an attempt, list attempts, or check whether an idea was tried before",
                description="Attempts are what was tried to fix something and how it went. Every new "
                            "attempt is compared with every earlier one (paraphrases, files, services, "
                            "failure signatures) so a failed idea is not tried again by the next session.")
    sub_actions = actions(p, "attempt_action")
    command(sub_actions, "add", run_add, json=True,
            help="record an attempt and show similar earlier ones",
            description="Record an attempt. Prints the similar earlier attempts it found and a "
                        "warning when one of them failed or the failure was seen before.",
            arguments=(
                arg("--summary", required=True, help="what was (or is being) tried, in one line"),
                arg("--hypothesis", help="why it should work"),
                arg("--outcome", choices=OUTCOMES, default="tried", help="how it went (default: tried)"),
                arg("--evidence", help="error text, log lines or pod status backing the outcome"),
                arg("--file", dest="files", action="append", default=[], metavar="F", help="a file touched (repeat)"),
                arg("--service", dest="services", action="append", default=[], metavar="S",
                    help="a service touched (repeat)"),
            ))
    command(sub_actions, "list", run_list, json=True,
            help="list recent attempts, newest first",
            description="List the most recent attempts from the state (newest first).",
            arguments=(
                arg("--limit", type=int, default=20, help="how many (default 20, at most 50)"),
                arg("--outcome", choices=OUTCOMES, help="only attempts with this outcome"),
            ))
    command(sub_actions, "check", run_check, json=True,
            help="has this been tried? (exit 1: a similar attempt failed)",
            description="Search every earlier attempt for this idea. Exit 0: nothing similar "
                        "failed; 1: a similar attempt failed. Writes nothing.",
            arguments=(
                arg("--summary", required=True, help="the idea, in one line"),
                arg("--hypothesis", help="why it should work"),
                arg("--file", dest="files", action="append", default=[], metavar="F", help="a file it touches"),
                arg("--service", dest="services", action="append", default=[], metavar="S",
                    help="a service it touches"),
                arg("--evidence", help="the error you are fixing (matched by failure signature)"),
            ))


def _similar_lines(similar: list[dict]) -> list[str]:
    out = []
    for s in similar:
        outcome = color(s["outcome"].upper(), "31") if s["outcome"] == "failed" else s["outcome"]
        where = ", ".join(s["services"] or s["files"][:3])
        out.append(f"  {s['score']:.2f}  {s['ts'][:16].replace('T', ' ')}  {outcome:<8} {s['summary'][:100]}"
                   + (f"  ({where})" if where else "") + f"  [{s['id']}]"
                   + ("  same failure signature" if s["signature_match"] else ""))
    return out


def run_add(args: argparse.Namespace) -> int:
    project = project_from(args)
    res = record_attempt(project, summary=args.summary, hypothesis=args.hypothesis, files=args.files,
                         services=args.services, outcome=args.outcome, evidence=args.evidence)
    rec = res["record"]
    lines = [f"recorded attempt {rec['id']} ({rec['payload']['outcome']})"]
    if rec["payload"].get("signature"):
        lines.append(f"failure signature: {rec['payload']['signature']}")
    if res["similar"]:
        lines.append("similar earlier attempts:")
        lines += _similar_lines(res["similar"])
    else:
        lines.append("no similar earlier attempts")
    if res["warning"]:
        lines.append(color("WARNING: " + res["warning"], "33"))
    emit(args, {"record": rec, "similar": res["similar"], "warning": res["warning"],
                "signature_seen": res["signature_seen"]}, "\n".join(lines))
    return 0


def run_list(args: argparse.Namespace) -> int:
    project = project_from(args)
    project.require_state()
    state = cache.load(project.ledger).state
    items = [a for a in reversed(state["attempts"]["recent"]) if not args.outcome or a["outcome"] == args.outcome]
    items = items[: max(1, min(args.limit, 50))]
    total, failed = state["attempts"]["total"], state["attempts"]["failed"]
    lines = [f"{total} attempts recorded ({failed} failed); showing {len(items)}, newest first"]
    for a in items:
        outcome = color(a["outcome"].upper(), "31") if a["outcome"] == "failed" else a["outcome"]
        where = ", ".join(a.get("services") or (a.get("files") or [])[:3])
        lines.append(f"  {a['ts'][:16].replace('T', ' ')}  {outcome:<8} {a['summary'][:110]}"
                     + (f"  ({where})" if where else "") + f"  [{a['id']}]")
    emit(args, {"total": total, "failed": failed, "attempts": items}, "\n".join(lines))
    return 0


def run_check(args: argparse.Namespace) -> int:
    project = project_from(args)
    res = check_attempt(project, summary=args.summary, files=args.files, evidence=args.evidence,
                        hypothesis=args.hypothesis, services=args.services)
    lines = [res["verdict_text"]]
    if res["similar"]:
        lines.append("similar earlier attempts:")
        lines += _similar_lines(res["similar"])
    emit(args, res, "\n".join(lines))
    return 1 if res["failed_similar"] else 0
