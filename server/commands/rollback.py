"""``deploystate rollback``: put a service back on its last verified (or previous, or a named) revision."""

from __future__ import annotations

import argparse

from deploystate.state.git.proc import option_safe

from ._common import arg, command, emit, project_from
from .restart import outcome_lines, progress_printer

EPILOG = """\
examples:
  deploystate rollback api                        to the last commit that passed verification
  deploystate rollback api --to previous          to the deploy before the current one
  deploystate rollback api --to 3f2c1ab           to a commit (ECS: the task definition carrying it)
  deploystate rollback web --to web:41            ECS: a task definition revision
exit codes: 0 rollback issued, 1 refused or failed, 2 bad input/config
"""


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "rollback", run, json=True,
            epilog=EPILOG,
            help="roll a service back to its last verified, previous or a named revision",
            description="Resolve the target from the ledger (the deploy that the last passing "
                        "verification checked, or the deploy before the current one), hand the "
                        "platform its handle (ECS task definition, Kubernetes revision, the commit for "
                        "a rollback_cmd), and record a rollback. Verify afterwards.",
            arguments=(
                arg("service", metavar="SERVICE"),
                arg("--to", default="last_verified", metavar="TARGET",
                    help="last_verified (default), previous, a commit, or a platform revision"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.platforms import deploy

    option_safe(args.service, "service name")
    option_safe(args.to, "--to")
    project = project_from(args)
    config = deploy.config_of(project)
    config.service(args.service)
    outcome = deploy.rollback(project, config, args.service, args.to,
                              progress=None if args.json else progress_printer(False))
    text = "\n".join(outcome_lines([outcome]))
    if outcome.status == "restarted":
        text += f"\nnext: deploystate verify {args.service}  (a rollback is unverified until verify passes)"
    emit(args, {"outcome": outcome.to_dict()}, text)
    return 0 if outcome.status == "restarted" else 1
