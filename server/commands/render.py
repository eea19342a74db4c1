"""``deploystate render``: write DEPLOYMENT_STATE.md from the ledger."""

from __future__ import annotations

TYPE_CHECKING = False  # argparse only builds the parser (register): a run need not import it
if TYPE_CHECKING:
    import argparse
    from typing import Any

import os
import sys

from deploystate.state.git import gitinfo
from deploystate.state.errors import GitError
from deploystate.ospath import join, norm
from deploystate.state.config.project import STATE_FILE, Project
from deploystate.state.view.render import write_atomic
from deploystate.state.ledger.store import state_file_text

from ._common import arg, command

# re, shlex (which imports re) and pathlib are not imported: ~40M instructions of a process whose floor is ~38M.
_HEX = frozenset("0123456789abcdef")
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")  # shlex's, ASCII \w


def full_commit(rev: str) -> bool:
    """``re.match(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$", rev)``: ``$`` also matches before one final newline."""
    body = rev[:-1] if rev.endswith("\n") else rev
    return len(body) in (40, 64) and _HEX.issuperset(body)


def quote(word: str) -> str:
    """``shlex.quote(word)``."""
    if not word:
        return "''"
    if _SAFE.issuperset(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def shell_join(words: list[str]) -> str:
    """``shlex.join(words)``."""
    return " ".join(quote(w) for w in words)


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
        return gitinfo.resolve(project.rootdir, rev)
    except GitError:
        if full_commit(rev):
            return rev
        raise


def _validated(project: Project) -> Any:
    """The project's config validated with the full schema (a refusal stops the command here: exit 2,
    nothing written), or None without a deploystate.toml. Once: the observation takes the same models."""
    from deploystate.state.config.config import load_config
    from deploystate.state.errors import StateMissing

    try:
        return load_config(project.config_file)
    except StateMissing:
        return None


def _observe(project: Project, config: Any) -> dict:
    from deploystate.platforms.observing import deadline_of, observe_all

    return observe_all(project, dict(config.services), deadline_of(config))


def state_file_of(project: Project) -> str:
    """``str(project.state_file)`` without pathlib: ``[project] state_file`` under the root unless absolute."""
    name = norm(project.settings.get("state_file") or STATE_FILE)
    return name if name.startswith("/") else join(project.rootdir, name)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def run(args: argparse.Namespace) -> int:
    project = Project.discover(getattr(args, "root", None))
    config = _validated(project)  # a config the schema rejects stops here (exit 2), nothing written
    if config is not None:
        if args.observe and not args.check and not args.head and os.path.isdir(project.state_dirname):
            from deploystate.state.drift import observations
            from deploystate.state.ledger.ids import iso, utc_now

            fresh = _observe(project, config) if project.raw.get("services") else {}
            observations.save(project.state_dirname, observations.merge(observations.load(project.state_dirname),
                                                                        fresh, iso(utc_now())))
    head = _head(project, args.head) if args.head else None
    parts = ["deploystate"]
    if args.root:
        parts += ["--root", args.root]
    parts += ["render"] + (["--head", args.head] if args.head else []) + (["--out", args.out] if args.out else [])
    text = state_file_text(project, head=head, generated_by=shell_join(parts))
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    target = args.out or state_file_of(project)
    if args.check:
        current = _read(target) if os.path.exists(target) else ""
        if current != text:
            print(f"{target} is stale: run `{shell_join(parts)}`", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    changed = write_atomic(target, text)
    print(f"{'wrote' if changed else 'unchanged'} {target}")
    return 0
