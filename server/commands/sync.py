"""``deploystate sync``: share the ledger with the team through git or S3."""

from __future__ import annotations

import argparse

from ._common import arg, command, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "sync", run, json=True,
            help="exchange the ledger with the team (git remote or S3)",
            description="Fetch the team's ledger, union-merge it by record id, and publish yours.\n\n"
                        "git (default): through refs/deploystate/ledger on the project's own remote, outside\n"
                        "every branch, so reset/checkout/clean cannot rewind or wipe it.\n"
                        "S3: [project] backend = \"s3://bucket/prefix\"; one object per record written with\n"
                        "If-None-Match, a head object updated with If-Match; credentials from the AWS chain.",
            epilog="exit codes: 0 synced, 1 problems found (an edited record), 3 offline or unreachable within\n"
                   "--timeout (local state used; nothing lost)\n"
                   "example: deploystate sync --remote origin",
            arguments=(
                arg("--remote", default="origin", help="git remote to sync with (default: origin)"),
                arg("--full", action="store_true", help="S3: list every record, not only the recent ones"),
                arg("--timeout", type=float, default=20.0,
                    help="git: seconds per network step; S3: seconds for the whole sync (default 20)"),
            ))


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    project.ledger.ensure()
    backend = project.settings.get("backend")
    if isinstance(backend, str) and backend.startswith("s3://"):
        from deploystate.server.backends.s3 import S3Ledger
        from deploystate.state.errors import PlatformUnreachable

        try:
            s3 = S3Ledger(backend, timeout=args.timeout).sync(project.ledger, full=args.full)
        except PlatformUnreachable as exc:  # offline: said, exit 3, the local ledger stays the state
            emit(args, {"backend": backend, "offline": True, "error": exc.message, "hint": exc.hint},
                 f"offline: {exc.message}\n  local state is used; next: {exc.hint}")
            return 3
        data = s3.to_dict()
        text = (f"synced with {backend}: {s3.pulled} records in, {s3.pushed} out "
                f"(head: {s3.head.get('count', '?')} records)"
                + ("; listed every record (the head counted records this copy lacked)"
                   if s3.full_listing and not args.full else ""))
        problems, offline = s3.problems, False
    else:
        from deploystate.state.git.sync_git import sync

        res = sync(project.root, project.ledger, args.remote, timeout=args.timeout)
        data, text, problems, offline = res.to_dict(), res.message, res.problems, res.offline
        if res.restored:
            text += f"; restored {res.restored} records from the local ledger ref"
    from deploystate.state.ledger.store import write_state_file

    write_state_file(project)
    if problems:
        text += "\nproblems:\n" + "\n".join(f"  - {p}" for p in problems)
        text += "\nnext: run `deploystate doctor` to see which copy was edited"
    emit(args, data, text)
    return 1 if problems else 3 if offline else 0
