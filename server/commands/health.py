"""``deploystate health``: how is it going? System health first, then everything else (read-only)."""

from __future__ import annotations

import argparse

from ._common import arg, command, emit, project_from

EXIT = {"HEALTHY": 0, "UNHEALTHY": 1, "UNKNOWN": 3}


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "health", run, json=True,
            help="system health first: errors, code paths, unverified",
            description="Answer \"how is it going?\" health first: error lines in each service's logs "
                        "over the last 30 minutes, whether the expected code paths (logs must_match) "
                        "ran, deploys not verified, overdue rechecks; then running commits and last "
                        "verdicts. Writes nothing. Exit 0 healthy, 1 unhealthy, 3 unknown.",
            epilog="examples:\n  deploystate health\n  deploystate health --window 10m --json",
            arguments=(
                arg("--window", default="30m", help="how far back to read logs (default 30m)"),
                arg("--deadline", type=float, default=30.0, metavar="SECONDS",
                    help="time limit for reading logs (default 30)"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config
    from deploystate.state.errors import InputError
    from deploystate.state.ledger.ids import parse_duration
    from deploystate.verify.health import system_health
    from deploystate.verify.text import health_text

    try:
        window = parse_duration(args.window)
    except ValueError as exc:
        raise InputError(f"--window: {exc}", "use a duration like 30m or 900s") from exc
    if not 0 < args.deadline <= 600:
        raise InputError("--deadline must be between 0 and 600 seconds", "for example --deadline 30")
    project = project_from(args)
    config = load_config(project.config_path)
    report = system_health(project, config, window=window, deadline=args.deadline)
    emit(args, report.model_dump(mode="json"), health_text(report))
    return EXIT[report.headline]
