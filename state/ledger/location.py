"""Where the ledger and its anchor live: inside the git common directory, out of the work tree's reach.

Why there: ``git clean -fdx``, ``git reset --hard``, a checkout of an old branch,
``git stash -u`` and ``rm -rf .deploystate`` only touch the work tree; every
worktree of one repository shares one common directory, so both see one ledger.
Found by reading ``.git`` (a directory, or a file naming the worktree's git dir,
whose ``commondir`` names the shared one) without starting git: hooks stay fast.
Standard library only, no subprocess.
"""

from __future__ import annotations

from pathlib import Path

SUBDIR = "deploystate"
LEGACY_STATE_DIR = ".deploystate"


def _git_entry(start: Path) -> tuple[Path, Path] | None:
    """(work tree top, its ``.git`` entry) of the repository holding ``start``."""
    for d in (start, *start.parents):
        entry = d / ".git"
        if entry.exists():
            return d, entry
    return None


def git_dirs(start: Path) -> tuple[Path, Path] | None:
    """(work tree top, git common directory) for ``start``; None outside git or when unreadable."""
    found = _git_entry(start)
    if found is None:
        return None
    top, entry = found
    if entry.is_dir():
        return top, entry.resolve()
    try:
        text = entry.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(text[len("gitdir:"):].strip())
    gitdir = (gitdir if gitdir.is_absolute() else entry.parent / gitdir).resolve()
    try:
        common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return top, gitdir  # a submodule's own git dir: it is its common dir
    cpath = Path(common)
    return top, (cpath if cpath.is_absolute() else gitdir / cpath).resolve()


def anchor_home(root: Path) -> Path | None:
    """The per-project folder in the git common directory (None outside git).

    A project at the top of its repository uses ``<common>/deploystate``; one in a
    subfolder (a monorepo) gets its own folder below it, named by its relative path,
    so the name survives a ``cp -a`` of the repository (no absolute paths, no inodes)."""
    found = git_dirs(root)
    if found is None:
        return None
    top, common = found
    try:
        rel = root.resolve().relative_to(top.resolve())
    except ValueError:
        return common / SUBDIR
    if str(rel) in ("", "."):
        return common / SUBDIR
    return common / SUBDIR / "projects" / "__".join(rel.parts)


def inside(path: Path, root: Path) -> bool:
    """Is ``path`` inside the work tree at ``root`` (where git operations can erase it)?"""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    found = git_dirs(root)
    if found is not None and path.resolve().is_relative_to(found[1]):
        return False  # the git dir sits in the top folder but no work-tree operation touches it
    return not rel.parts or rel.parts[0] != ".git"

