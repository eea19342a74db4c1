"""``deploystate render``: write DEPLOYMENT_STATE.md from the ledger."""

from __future__ import annotations

TYPE_CHECKING = False  # argparse only builds the parser (register): a run need not import it
if TYPE_CHECKING:
    import argparse

import re
import shlex
import sys
from pathlib import Path

from deploystate.state.git import gitinfo
from deploystate.state.errors import GitError
from deploystate.state.config.project import Project
from deploystate.state.view.render import write_atomic
from deploystate.state.ledger.store import state_file_text

from ._common import arg, command, project_from

FULL_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "render", run,
            help="write DEPLOYMENT_STATE.md from the ledger",
            description="Render DEPLOYMENT_STATE.md from the ledger (every recording command does this "
                        "too). The output is deterministic: same ledger, HEAD and config, same file.",
            epilog="example: deploystate render --check   (exit 1 when the file is stale)",
            arguments=(
                arg("--out", help="write here instead of the configured state file ('-' for stdout)"),
                arg("--head", help="compare running commits with this revision instead of HEAD"),
                arg("--check", action="store_true", help="write nothing; exit 1 if the file on disk is stale"),
                arg("--no-observe", dest="observe", action="store_false",
                    help="do not ask the runtimes first (the last stored observation is shown); --check and "
                         "--head never ask, so their output depends only on what is stored"),
            ))


def _head(project: Project, rev: str) -> str:
    """--head resolved in this clone. A full commit id that is not here (the committed example ledger
    records its own repository's history) is kept as given: drift then reads "unknown", stably."""
    try:
        return gitinfo.resolve(project.root, rev)
    except GitError:
        if FULL_COMMIT.match(rev):
            return rev
        raise


def _observe(project: Project) -> dict:
    from deploystate.state.config.config import load_config  # the platforms take the validated models
    from deploystate.platforms.observing import deadline_of, observe_all

    config = load_config(project.config_path)
    return observe_all(project, dict(config.services), deadline_of(config))


def run(args: argparse.Namespace) -> int:
    project = project_from(args)  # a config the schema rejects stops here (exit 2), nothing written
    if project.config_path.is_file():
        if args.observe and not args.check and not args.head and project.state_dir.is_dir():
            from deploystate.state.drift import observations
            from deploystate.state.ledger.ids import iso, utc_now

            fresh = _observe(project) if project.raw.get("services") else {}
            observations.save(project.state_dir, observations.merge(observations.load(project.state_dir), fresh,
                                                                    iso(utc_now())))
    head = _head(project, args.head) if args.head else None
    parts = ["deploystate"]
    if args.root:
        parts += ["--root", args.root]
    parts += ["render"] + (["--head", args.head] if args.head else []) + (["--out", args.out] if args.out else [])
    text = state_file_text(project, head=head, generated_by=shlex.join(parts))
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.out) if args.out else project.state_file
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale: run `{shlex.join(parts)}`", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    changed = write_atomic(target, text)
    print(f"{'wrote' if changed else 'unchanged'} {target}")
    return 0
