"""``deploystate verify``: a verdict from evidence gathered after the restart (exit 0 pass, 1 fail, 3 inconclusive)."""

from __future__ import annotations

import argparse
import os
import sys

from deploystate.state.errors import InputError

from ._common import arg, command, emit, project_from

EXIT = {"pass": 0, "fail": 1, "inconclusive": 3}
EPILOG = """\
examples:
  deploystate verify                      every configured service
  deploystate verify backend worker --deadline 120
  deploystate verify --recheck            the services whose 30-minute recheck is due
  deploystate verify --wait               after a push CI deploys: wait until the runtime runs HEAD's
                                          code (default 600s), then verify; never a pass if it does not
  deploystate verify --wait --commit "$GITHUB_SHA" --ci     in the pipeline, after the deploy step
exit codes: 0 pass, 1 fail, 2 bad input/config, 3 inconclusive (evidence could not be gathered)
"""


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "verify", run, json=True,
            epilog=EPILOG,
            help="verify services from evidence (rollout, revision, logs since restart, probes)",
            description="Run each service's checks concurrently under one deadline and record a "
                        "verification per service. The verdict is the worst check: fail > "
                        "inconclusive > pass; evidence that could not be gathered is never a pass. "
                        "Progress per check goes to stderr.",
            arguments=(
                arg("services", nargs="*", metavar="SERVICE", help="services to verify (default: all configured)"),
                arg("--recheck", action="store_true",
                    help="run the rechecks that are due (with SERVICE: recheck those now)"),
                arg("--deadline", type=float, metavar="SECONDS",
                    help="overall deadline (default: project.verify_deadline, 300s)"),
                arg("--quiet", action="store_true", help="no live progress on stderr"),
                arg("--wait", action="store_true",
                    help="first wait until each service's runtime runs HEAD's code (a deploy CI performs), "
                         "then verify; default services: those with a pending CI deploy"),
                arg("--wait-timeout", type=float, default=600.0, metavar="SECONDS",
                    help="with --wait: how long CI may take to roll out (default 600); past it the service "
                         "fails with 'CI did not deploy it (still running X)'"),
                arg("--wait-interval", type=float, default=5.0, metavar="SECONDS", help=argparse.SUPPRESS),
                arg("--commit", metavar="SHA", help="with --wait: the pushed commit (must be HEAD: check it out)"),
                arg("--ci", action="store_true",
                    help="output for CI logs: GitHub Actions annotations and groups when GITHUB_ACTIONS=true, "
                         "plain greppable lines elsewhere; the exit code fails the pipeline on fail/inconclusive"),
            ))


def progress_printer(quiet: bool):
    def show(key: str, event: str, text: str) -> None:
        if quiet or event == "finished":  # the line with the concluded result follows as "done"
            return
        if event == "start":
            line = f"  … {key}: {text} check running"
        elif event == "measure":
            line = f"    {key}: measurement {text}"
        else:
            line = f"  {text.split(' ', 1)[0]:<12} {key}: {text.split(' ', 1)[1] if ' ' in text else ''}"
        print(line[:400], file=sys.stderr, flush=True)
    return show


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config
    from deploystate.verify.service import verify_services

    project = project_from(args)
    config = load_config(project.config_path)
    show = progress_printer(args.quiet or args.json)
    if (args.commit or args.wait_timeout != 600.0) and not args.wait:
        raise InputError("--commit and --wait-timeout go with --wait", "add --wait")
    if args.wait:
        from deploystate.verify.cideploy import verify_with_wait

        def say(text: str) -> None:  # stderr: also with --json, whose stdout stays pure JSON
            if not args.quiet:
                print(f"  … {text}"[:400], file=sys.stderr, flush=True)

        report, rollouts = verify_with_wait(project, config, args.services or None, commit=args.commit,
                                            wait_timeout=args.wait_timeout, interval=args.wait_interval,
                                            deadline=args.deadline, progress=show, say=say)
        data = {**report.model_dump(mode="json"), "rollouts": [r.to_dict() for r in rollouts]}
        _emit(args, report, data)
        return EXIT[report.verdict]
    if args.recheck and not args.services:
        from deploystate.verify.recheck import run_due

        names, report = run_due(project, config, deadline=args.deadline, progress=show)
        if report is None:
            emit(args, {"verdict": None, "services": [], "rechecks_due": []}, "No rechecks are due.")
            return 0
    else:
        report = verify_services(project, config, args.services or None, deadline=args.deadline,
                                 recheck=args.recheck, progress=show)
    _emit(args, report, report.model_dump(mode="json"))
    return EXIT[report.verdict]


def _emit(args: argparse.Namespace, report, data: dict) -> None:
    from deploystate.verify.text import verify_text

    if args.ci and not args.json:
        from deploystate.verify.ci_format import lines

        sys.stdout.write("\n".join(lines(data, github=os.environ.get("GITHUB_ACTIONS") == "true")) + "\n")
        return
    emit(args, data, verify_text(report))
