"""A repository's branches, tags and HEAD read from its files, for the pre-tool hook (no subprocess).

The pre-tool hook works out which refs a ``git push`` would send before the push
runs; asking git for them costs two processes (``for-each-ref``, ``symbolic-ref``),
most of the hook's time. This reads the same answer from the files git keeps:
loose refs override ``packed-refs``, the shared refs live in the common directory
of a linked worktree, HEAD in the worktree's own directory. Anything it does not
understand (``GIT_DIR`` and friends in the environment, the reftable format, a
symbolic ref under refs/, an unreadable or odd file) returns None, and the caller
asks git itself: this is a shortcut to git's answer, never a second opinion.
"""

from __future__ import annotations

import os
from pathlib import Path

_HEX = frozenset("0123456789abcdef")
# Variables that move the repository git would use away from the directory layout read here.
_GIT_LOCATION_ENV = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_NAMESPACE",
                     "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")


class Unsure(Exception):
    """The files do not say for certain: ask git."""


def _sha(text: str) -> str:
    text = text.strip()
    if len(text) not in (40, 64) or not set(text) <= _HEX:
        raise Unsure(f"not an object name: {text[:80]!r}")
    return text


def _dirs(start: Path) -> tuple[Path, Path]:
    """(this worktree's git directory, the common directory) for the repository around ``start``."""
    for d in (start, *start.parents):
        dotgit = d / ".git"
        if dotgit.is_dir():
            gitdir = dotgit
            break
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                raise Unsure(".git file without gitdir")
            gitdir = (d / text[len("gitdir:"):].strip()).resolve()
            break
        if (d / "HEAD").is_file() and (d / "objects").is_dir() and (d / "refs").is_dir():
            raise Unsure("a bare repository or a git directory")
    else:
        raise Unsure("no repository")
    common = gitdir
    if (gitdir / "commondir").is_file():
        rel = (gitdir / "commondir").read_text(encoding="utf-8").strip()
        common = (gitdir / rel).resolve()
    if (common / "reftable").exists():
        raise Unsure("reftable ref storage")
    return gitdir, common


def _loose(common: Path, prefix: str) -> dict[str, str]:
    refs: dict[str, str] = {}
    base = common / prefix
    for dirpath, _, files in os.walk(base):
        for name in files:
            path = Path(dirpath) / name
            ref = path.relative_to(common).as_posix()
            if name.endswith(".lock"):
                continue  # a ref being written right now: git reads the old value, from packed-refs
            text = path.read_text(encoding="utf-8")
            if text.startswith("ref:"):
                raise Unsure(f"symbolic ref {ref}")
            refs[ref] = _sha(text)
    return refs


def _packed(common: Path) -> dict[str, str]:
    path = common / "packed-refs"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    refs = {}
    for line in text.splitlines():
        if not line or line.startswith(("#", "^")):
            continue  # the header, and the peeled commit of the annotated tag above
        sha, _, ref = line.partition(" ")
        refs[ref.strip()] = _sha(sha)
    return refs


def read(start: str | os.PathLike[str]) -> tuple[dict[str, str], str] | None:
    """({ref: object name} for refs/heads and refs/tags, HEAD's branch ref or '' when detached), as
    ``git for-each-ref`` and ``git symbolic-ref -q HEAD`` would say; None when only git can tell."""
    if any(os.environ.get(v) for v in _GIT_LOCATION_ENV):
        return None
    try:
        gitdir, common = _dirs(Path(start).resolve())
        refs = {r: s for r, s in _packed(common).items() if r.startswith(("refs/heads/", "refs/tags/"))}
        for prefix in ("refs/heads", "refs/tags"):
            refs.update(_loose(common, prefix))
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError, ValueError, Unsure):
        return None
    if head.startswith("ref:"):
        branch = head[4:].strip()
        return (refs, branch) if branch.startswith("refs/heads/") else None
    try:
        _sha(head)
    except Unsure:
        return None
    return refs, ""
