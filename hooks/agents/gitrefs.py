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

from deploystate import ospath  # str paths: pathlib would cost the hook more than its own start

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


def _dirs(start: str) -> tuple[str, str]:
    """(this worktree's git directory, the common directory) for the repository around ``start``."""
    for d in (start, *ospath.parents(start)):
        dotgit = ospath.join(d, ".git")
        if ospath.is_dir(dotgit):
            gitdir = dotgit
            break
        if ospath.is_file(dotgit):
            text = ospath.read_text(dotgit).strip()
            if not text.startswith("gitdir:"):
                raise Unsure(".git file without gitdir")
            gitdir = ospath.resolve(ospath.join(d, text[len("gitdir:"):].strip()))
            break
        if ospath.is_file(ospath.join(d, "HEAD")) and ospath.is_dir(ospath.join(d, "objects")) \
                and ospath.is_dir(ospath.join(d, "refs")):
            raise Unsure("a bare repository or a git directory")
    else:
        raise Unsure("no repository")
    common = gitdir
    if ospath.is_file(ospath.join(gitdir, "commondir")):
        rel = ospath.read_text(ospath.join(gitdir, "commondir")).strip()
        common = ospath.resolve(ospath.join(gitdir, rel))
    if ospath.exists(ospath.join(common, "reftable")):
        raise Unsure("reftable ref storage")
    return gitdir, common


def _loose(common: str, prefix: str) -> dict[str, str]:
    refs: dict[str, str] = {}
    base = ospath.join(common, prefix)
    for dirpath, _, files in os.walk(base):
        for name in files:
            path = ospath.join(dirpath, name)
            ref = "/".join(ospath.relative_parts(path, common))
            if name.endswith(".lock"):
                continue  # a ref being written right now: git reads the old value, from packed-refs
            text = ospath.read_text(path)
            if text.startswith("ref:"):
                raise Unsure(f"symbolic ref {ref}")
            refs[ref] = _sha(text)
    return refs


def _packed(common: str) -> dict[str, str]:
    path = ospath.join(common, "packed-refs")
    try:
        text = ospath.read_text(path)
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
        gitdir, common = _dirs(ospath.resolve(start))
        refs = {r: s for r, s in _packed(common).items() if r.startswith(("refs/heads/", "refs/tags/"))}
        for prefix in ("refs/heads", "refs/tags"):
            refs.update(_loose(common, prefix))
        head = ospath.read_text(ospath.join(gitdir, "HEAD")).strip()
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
