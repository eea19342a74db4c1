"""What the ledger's part of a view is read from, as one comparable key (standard library only).

A process that stays up (the MCP server) keeps the base of its last view (``view.Base``: the ledger's,
git's and the config's part, before any runtime observation) and renders from it again only while this
key is unchanged: the stat of every file the base reads (size, mtime, inode and the ctime, which
``os.utime`` cannot put back), the ledger's last record as read now (an edit of the tail within one
clock tick changes it), the environment that places the state, and git's HEAD and the ref it names.
Anything it cannot say cheaply (a worktree whose ``.git`` is a file, an unreadable HEAD) gives None:
not kept.
"""

from __future__ import annotations

import os

from deploystate.state.config.project import Project
from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger.reading import hash_ending_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # paths are str or os.PathLike here (os.path): pathlib costs ~17M instructions to import

SYNC_FILES = ("sync.json", "s3.json")  # whether this clone ever synced (integrity.warnings)


def _stat(path: str | Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


def _folders(root: str) -> list[str]:
    """``root`` and its parents, as ``(root, *root.parents)`` of a pathlib path (a relative root stops at '.')."""
    out = [root]
    while True:
        up = os.path.dirname(out[-1]) or "."
        if up == out[-1]:
            return out
        out.append(up)


def git_fingerprint(root: str | Path) -> tuple | None:
    """What identifies the checked-out commit: HEAD's text and the stat of the ref it names."""
    for d in _folders(str(root)):  # os.path, not pathlib: this runs on every call
        dot_git = os.path.join(d, ".git")
        if os.path.isdir(dot_git):
            try:
                with open(os.path.join(dot_git, "HEAD"), encoding="utf-8") as fh:
                    head = fh.read().strip()
            except OSError:
                return None
            ref = head[5:].strip() if head.startswith("ref:") else None
            return (dot_git, head, _stat(os.path.join(dot_git, ref)) if ref else None,
                    _stat(os.path.join(dot_git, "packed-refs")))
        if os.path.exists(dot_git):
            return None  # a worktree or submodule: resolving it needs git itself
    return ("no git",)


def base_key(project: Project) -> tuple | None:
    """The key of ``view.build_base(project)``'s inputs (observations excluded: laid over each time)."""
    git = git_fingerprint(project.rootdir)
    if git is None:
        return None
    ledger = project.ledger  # its str paths, not its Path properties: this runs on every call
    files = [ledger.file, ledger.archive_file, anchor.file_of(ledger), os.path.join(ledger.anchor_dirname, chainmark.MARK),
             project.config_file, *(os.path.join(ledger.dirname, name) for name in SYNC_FILES)]
    stats = tuple(_stat(f) for f in files)
    tail = hash_ending_at(ledger.file, stats[0][0]) if stats[0] else None
    return (project.rootdir, ledger.dirname, ledger.anchor_dirname, os.environ.get("DEPLOYSTATE_STATE_DIR"),
            os.environ.get("DEPLOYSTATE_ROOT"), stats, tail, git)
