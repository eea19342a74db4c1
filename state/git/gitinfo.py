"""The few git facts deploystate needs, read through the one subprocess helper.

Plain ``git`` keeps this importable from hooks (gitpython is too heavy there)."""

from __future__ import annotations

import os

from deploystate import ospath

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path

    from deploystate.state.config.mapping import Change

from deploystate.state.errors import GitError

GIT_TIMEOUT = 20.0


def git(root: str | os.PathLike[str], *args: str, timeout: float = GIT_TIMEOUT) -> str:
    from .proc import run  # here: reading HEAD from .git's files (every hook decision) starts no process

    res = run(["git", *args], cwd=root, timeout=timeout, max_output=None)  # git output is data: never cut
    if not res.ok:
        raise GitError(f"git {' '.join(args)} failed: {res.stderr.strip()[:300]}",
                       "check that this is a git repository and the revision exists")
    return res.stdout


_HEX = frozenset("0123456789abcdef")


def option_safe(value: str, what: str) -> None:
    """``proc.option_safe``, imported when a revision is checked (HEAD's own id never is)."""
    from .proc import option_safe as check

    check(value, what)


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def _read_head_files(root: str) -> str | None:
    """HEAD read from .git's files (no subprocess: this runs on every record and every hook).

    Handles a plain .git directory, a worktree's ``gitdir:`` file, loose and packed refs; anything
    else (reftable, unborn branch, odd layouts) returns None and the caller asks git itself.
    ``root`` is resolved; paths stay ``str`` (``deploystate.ospath``: pathlib costs a hook ~48M instructions)."""
    join, is_file, read = ospath.join, ospath.is_file, ospath.read_text
    for d in (root, *ospath.parents(root)):
        dotgit = join(d, ".git")
        if ospath.exists(dotgit):
            break
    else:
        return None
    gitdir = dotgit
    if is_file(dotgit):
        text = read(dotgit).strip()
        if not text.startswith("gitdir:"):
            return None
        gitdir = ospath.resolve(join(os.path.dirname(dotgit), text[len("gitdir:"):].strip()))
    head_text = read(join(gitdir, "HEAD")).strip()
    if _is_sha(head_text):
        return head_text
    if not head_text.startswith("ref: "):
        return None
    ref = head_text[5:].strip()
    common = gitdir
    if is_file(join(gitdir, "commondir")):
        common = ospath.resolve(join(gitdir, read(join(gitdir, "commondir")).strip()))
    for base in (gitdir, common):
        loose = join(base, ref)
        if is_file(loose):
            value = read(loose).strip()
            return value if _is_sha(value) else None
    packed = join(common, "packed-refs")
    if is_file(packed):
        for line in read(packed).splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1] == ref and _is_sha(parts[0]):
                return parts[0]
    return None


def head(root: str | os.PathLike[str]) -> str | None:
    """The commit at HEAD, or None in a repository with no commits (or no repository)."""
    try:
        fast = _read_head_files(ospath.resolve(root))
    except (OSError, UnicodeDecodeError):
        fast = None
    if fast:
        return fast
    try:
        return git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").strip() or None
    except GitError:
        return None


def resolve(root: str | os.PathLike[str], rev: str) -> str:
    option_safe(rev, "revision")
    try:
        return git(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}").strip()
    except GitError as exc:
        raise GitError(f"{rev!r} is not a commit in {root}",
                       "pass a commit, branch or tag that exists (git log --oneline)") from exc


def exists(root: str | os.PathLike[str], rev: str) -> bool:
    try:
        resolve(root, rev)
        return True
    except GitError:
        return False


def changed_files(root: str | os.PathLike[str], base: str, head_rev: str = "HEAD",
                  under: str | None = None) -> list[Change]:
    """Files changed from ``base`` to ``head_rev`` (renames and deletions included).

    ``under`` limits the diff to a sub-directory and reports paths relative to it,
    for a deploystate.toml that does not sit at the repository top."""
    option_safe(base, "base revision")
    option_safe(head_rev, "head revision")
    args = ["diff", "--name-status", "-z", "-M", base, head_rev]
    if under:
        args = ["diff", "--name-status", "-z", "-M", "--relative=" + under, base, head_rev]
    from deploystate.state.config.mapping import parse_name_status  # here: HEAD alone needs no path rules

    return parse_name_status(git(root, *args))


def changed_files_here(root: str | os.PathLike[str], base: str, head_rev: str = "HEAD") -> list[Change]:
    """``changed_files(root, base, head_rev, under=relative_root(root))`` in one git process: git runs in
    ``root`` and ``--relative`` (no argument) limits the diff to that directory, paths relative to it,
    exactly as ``--relative=<root's path from the top>`` does (at the top it changes nothing)."""
    option_safe(base, "base revision")
    option_safe(head_rev, "head revision")
    from deploystate.state.config.mapping import parse_name_status

    return parse_name_status(git(root, "diff", "--name-status", "-z", "-M", "--relative", base, head_rev))


def toplevel(path: str | os.PathLike[str]) -> Path | None:
    from pathlib import Path  # off the hooks' path (pathlib costs a hook ~48M instructions)

    try:
        return Path(git(path, "rev-parse", "--show-toplevel").strip())
    except GitError:
        return None


def relative_root(root: Path) -> str | None:
    """``root`` relative to its repository's top, or None when it is the top."""
    top = toplevel(root)
    if top is None or top.resolve() == root.resolve():
        return None
    return str(root.resolve().relative_to(top.resolve()))


def _strip(prefix: str | None, path: str) -> str | None:
    if not prefix:
        return path
    return path[len(prefix) + 1:] if path.startswith(prefix.rstrip("/") + "/") else None


def uncommitted(root: str | os.PathLike[str]) -> list[str]:
    """Files with uncommitted changes (staged, unstaged, untracked; ignored files excluded), relative to
    ``root``: what a bind mount serves that no commit has."""
    from pathlib import Path

    prefix = relative_root(Path(root))
    out: list[str] = []
    entries = iter(git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all").split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            next(entries, None)                 # the rename's source path follows; the new path is what runs
        rel = _strip(prefix, entry[3:])
        if rel is not None:
            out.append(rel)
    return out


def commits_since(root: str | os.PathLike[str], since: int, limit: int = 500) -> list[tuple[str, int, list[str]]]:
    """(commit, committer time, files relative to ``root``) for commits on HEAD dated ``since`` or later
    (among the newest ``limit``)."""
    from pathlib import Path

    prefix = relative_root(Path(root))
    # git's --since takes approximate dates; the recent commits are read and filtered here instead.
    text = git(root, "log", f"-n{limit}", "--format=%x1e%H %ct", "--name-only", "-z", "HEAD")
    out = []
    for block in text.split("\x1e")[1:]:
        tokens = [t.strip("\n") for t in block.replace("\0", "\n").split("\n") if t.strip("\n")]
        if not tokens:
            continue
        sha, _, ts = tokens[0].partition(" ")
        files = [r for f in tokens[1:] if (r := _strip(prefix, f)) is not None]
        if int(ts or 0) >= since:
            out.append((sha, int(ts or 0), files))
    return out
