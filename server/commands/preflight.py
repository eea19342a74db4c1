"""``deploystate preflight``: GO or NO-GO from the [[preflight]] checks (exit 0 GO, 1 NO-GO)."""

from __future__ import annotations

import argparse

from ._common import arg, command, emit, project_from
from .verify import progress_printer


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "preflight", run, json=True,
            help="go/no-go: run the [[preflight]] checks",
            description="Run every [[preflight]] check of deploystate.toml concurrently under one "
                        "deadline. GO only when all pass; otherwise NO-GO naming every failing or "
                        "inconclusive item. The answer is recorded and, on NO-GO, sent to the alert "
                        "webhook when one is configured.",
            epilog="examples:\n  deploystate preflight\n  deploystate preflight --json --deadline 60",
            arguments=(
                arg("--deadline", type=float, metavar="SECONDS",
                    help="overall deadline (default: project.verify_deadline)"),
                arg("--quiet", action="store_true", help="no live progress on stderr"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config
    from deploystate.verify.preflight import run_preflight
    from deploystate.verify.text import preflight_text

    project = project_from(args)
    config = load_config(project.config_path)
    report = run_preflight(project, config, deadline=args.deadline, progress=progress_printer(args.quiet or args.json))
    emit(args, report.model_dump(mode="json"), preflight_text(report))
    return 0 if report.result == "GO" else 1
