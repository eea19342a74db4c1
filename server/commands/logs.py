"""``deploystate logs SERVICE``: a service's logs since its last restart, bounded and redacted (read-only)."""

from __future__ import annotations

import argparse

from ._common import arg, command, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "logs", run, json=True,
            help="a service's logs since its last restart (redacted)",
            description="Print a service's logs from its runtime (compose, Docker, Kubernetes, ECS, "
                        "command) since the last restart deploystate recorded (else the last 30 "
                        "minutes), or the previous instance's (why it crashed). The last --lines "
                        "lines, at most 64 KB, every line redacted. Writes nothing.",
            epilog="examples:\n  deploystate logs web\n  deploystate logs worker --previous\n"
                   "  deploystate logs web --since 2h --grep 'ERROR|Traceback' --json",
            arguments=(
                arg("service", help="a service name from deploystate.toml"),
                arg("--since", help="a duration (30m, 2h) or an ISO time (default: the last restart on record)"),
                arg("--previous", action="store_true", help="the previous instance's logs (before the last crash)"),
                arg("--grep", help="keep only lines matching this regular expression"),
                arg("--lines", type=int, default=200, help="the last N matching lines (default 200, max 2000)"),
                arg("--timeout", type=float, default=30.0, metavar="SECONDS", help="time limit (default 30)"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.server.service_logs import MAX_LINES, read_logs, render
    from deploystate.state.config.config import load_config
    from deploystate.state.errors import InputError

    if not 1 <= args.lines <= MAX_LINES:
        raise InputError(f"--lines must be between 1 and {MAX_LINES}", "for example --lines 200")
    if not 0 < args.timeout <= 600:
        raise InputError("--timeout must be between 0 and 600 seconds", "for example --timeout 30")
    project = project_from(args)
    report = read_logs(project, load_config(project.config_path), args.service, since=args.since,
                       previous=args.previous, grep=args.grep, max_lines=args.lines, timeout=args.timeout)
    emit(args, report.model_dump(mode="json"), render(report))
    return 0
