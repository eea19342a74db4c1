"""Where the ledger and its anchor live: inside the git common directory, out of the work tree's reach.

Why there: ``git clean -fdx``, ``git reset --hard``, a checkout of an old branch,
``git stash -u`` and ``rm -rf .deploystate`` only touch the work tree; every
worktree of one repository shares one common directory, so both see one ledger.
Found by reading ``.git`` (a directory, or a file naming the worktree's git dir,
whose ``commondir`` names the shared one) without starting git: hooks stay fast.
Standard library only, no subprocess.
"""

from __future__ import annotations

import os

from deploystate.ospath import exists, is_dir, join, norm, parents, read_text, relative_parts, resolve

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path

SUBDIR = "deploystate"
LEGACY_STATE_DIR = ".deploystate"


def _path(text: str) -> Path:
    from pathlib import Path

    return Path(text)


def _git_entry(start: str) -> tuple[str, str] | None:
    """(work tree top, its ``.git`` entry) of the repository holding ``start`` (normalised)."""
    for d in (start, *parents(start)):
        entry = join(d, ".git")
        if exists(entry):
            return d, entry
    return None


def git_dirs_str(start: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``git_dirs`` as strings."""
    found = _git_entry(norm(start))
    if found is None:
        return None
    top, entry = found
    if is_dir(entry):
        return top, resolve(entry)
    try:
        text = read_text(entry).strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = norm(text[len("gitdir:"):].strip())
    gitdir = resolve(gitdir if gitdir.startswith("/") else join(os.path.dirname(entry), gitdir))
    try:
        common = norm(read_text(join(gitdir, "commondir")).strip())
    except OSError:
        return top, gitdir  # a submodule's own git dir: it is its common dir
    return top, resolve(common if common.startswith("/") else join(gitdir, common))


def git_dirs(start: str | os.PathLike[str]) -> tuple[Path, Path] | None:
    """(work tree top, git common directory) for ``start``; None outside git or when unreadable."""
    found = git_dirs_str(start)
    return None if found is None else (_path(found[0]), _path(found[1]))


def anchor_home_dir(root: str | os.PathLike[str]) -> str | None:
    """The per-project folder in the git common directory (None outside git).

    A project at the top of its repository uses ``<common>/deploystate``; one in a
    subfolder (a monorepo) gets its own folder below it, named by its relative path,
    so the name survives a ``cp -a`` of the repository (no absolute paths, no inodes)."""
    found = git_dirs_str(root)
    if found is None:
        return None
    top, common = found
    try:
        rel = relative_parts(resolve(root), resolve(top))
    except ValueError:
        return join(common, SUBDIR)
    if not rel:
        return join(common, SUBDIR)
    return join(common, SUBDIR, "projects", "__".join(rel))


def anchor_home(root: str | os.PathLike[str]) -> Path | None:
    """``anchor_home_dir`` as a Path."""
    home = anchor_home_dir(root)
    return None if home is None else _path(home)


def inside(path: Path, root: Path) -> bool:
    """Is ``path`` inside the work tree at ``root`` (where git operations can erase it)?"""
    from pathlib import Path

    path, root = Path(path), Path(root)
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    found = git_dirs(root)
    if found is not None and path.resolve().is_relative_to(found[1]):
        return False  # the git dir sits in the top folder but no work-tree operation touches it
    return not rel.parts or rel.parts[0] != ".git"
