"""``deploystate restart``: the plan first (which services, why, how), then the restarts, each recorded."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from deploystate.state.errors import InputError
from deploystate.state.git.proc import option_safe

from ._common import arg, command, emit, project_from

EPILOG = """\
examples:
  deploystate restart --affected --dry-run     show the plan, change nothing
  deploystate restart --affected               restart what the commits since each running commit affect
  deploystate restart api                      refused when api's code did not change
  deploystate restart api --force --reason "picked up a rotated secret"
exit codes: 0 every restart was issued, 1 refused or a restart failed, 2 bad input/config
A restart is recorded as "restarted, unverified": run deploystate verify next.
"""


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "restart", run, json=True,
            epilog=EPILOG,
            help="restart the services a change affects (plan first), and record each restart",
            description="Plan, then restart. Each service is compared to HEAD from its last verified "
                        "deploy, else the commit its runtime reports, else HEAD~1 with a warning (never "
                        "refused then); a service whose code did not change is refused unless --force comes with --reason. Every restart "
                        "appends a deploy record (commit, strategy, platform ids such as the ECS "
                        "deployment id, status restarted/failed).",
            arguments=(
                arg("services", nargs="*", metavar="SERVICE", help="services to restart"),
                arg("--affected", action="store_true", help="restart every service the change affects"),
                arg("--dry-run", action="store_true", help="print the plan and change nothing"),
                arg("--force", action="store_true", help="restart named services even if their code did not change"),
                arg("--reason", help="why (required with --force; recorded in the ledger)"),
                arg("--base", help="measure changes from this revision instead of each service's running commit"),
            ))


def progress_printer(to_stderr: bool):
    stream = sys.stderr if to_stderr else sys.stdout

    def show(line: str) -> None:
        print(f"  … {line}"[:400], file=stream, flush=True)
    return show


def outcome_lines(outcomes: list[Any]) -> list[str]:
    lines = []
    for o in outcomes:
        ids = ", ".join(f"{k}={v}" for k, v in o.platform_ids.items()
                        if k in ("deployment_id", "task_definition", "pid", "revision", "generation", "container")
                        and v is not None)
        first = o.message.splitlines()[0] if o.message else ""
        lines.append(f"{o.service}: {o.status.upper()} ({o.kind} {o.record_id}, {o.duration:.1f}s) {first}"[:600]
                     + (f"\n  ids: {ids}" if ids else ""))
        lines += [f"  warning: {w}" for w in o.warnings]
    return lines


def run(args: argparse.Namespace) -> int:
    from deploystate.platforms import deploy
    from deploystate.platforms.plan import describe

    if args.services and args.affected:
        raise InputError("name services or pass --affected, not both",
                         "deploystate restart --affected, or deploystate restart SERVICE...")
    if not args.services and not args.affected:
        raise InputError("nothing to restart: name services or pass --affected",
                         "see the plan first: deploystate restart --affected --dry-run")
    for name in args.services:
        option_safe(name, "service name")
    if args.base:
        option_safe(args.base, "--base")
    project = project_from(args)
    config = deploy.config_of(project)
    from deploystate.server.backends import sync_before_deciding

    said = sync_before_deciding(project)  # the team's deploys decide what still needs a restart
    if said:
        print(f"deploystate: {said}", file=sys.stderr)
    plan = deploy.make_plan(project, config, names=args.services or None, force=args.force,
                            reason=args.reason, base=args.base)
    data: dict[str, Any] = {"plan": plan.to_dict(), "dry_run": args.dry_run, "outcomes": []}
    if not args.json:
        print(describe(plan), flush=True)
    if args.dry_run or (not plan.restarts and not plan.refused):
        if args.json:
            emit(args, data, "")
        elif args.dry_run:
            print("dry run: nothing was restarted")
        return 1 if plan.refused else 0
    if plan.refused:
        if args.json:
            data["error"] = "refused"
            emit(args, data, "")
        deploy.execute(project, config, plan)   # raises Refused with the next step
    outcomes = deploy.execute(project, config, plan, progress=progress_printer(args.json))
    data["outcomes"] = [o.to_dict() for o in outcomes]
    failed = [o.service for o in outcomes if o.status == "failed"]
    text = "\n".join(outcome_lines(outcomes))
    if failed:
        text += f"\nfailed: {', '.join(failed)} (recorded). Read the message above, fix the cause, restart again."
    else:
        text += (f"\nnext: deploystate verify {' '.join(o.service for o in outcomes)}  "
                 "(restarted is not working: verify before saying it is deployed)")
    emit(args, data, text)
    return 1 if failed else 0
