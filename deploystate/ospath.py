"""pathlib's answers on plain ``str`` paths, for the hooks' decision path (POSIX).

Why: importing pathlib (with fnmatch, re, enum, functools, collections, urllib.parse and ipaddress, which
it pulls in) costs a `python -I -S` hook process ~48M instructions, more than the interpreter's own start.
The modules a push decision runs through keep their paths as strings and ask these functions, which answer
as ``pathlib.Path`` does: the same normalised text (``str(Path(p))``), the same ``exists``/``is_file``/
``is_dir`` (False only for the errors pathlib ignores; a permission error still raises, so a hook fails
closed where it did), the same ``parents``. ``tests/state/test_ospath.py`` holds them to pathlib's.
"""

from __future__ import annotations

import os
import stat as _stat

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Iterator

_IGNORED = frozenset({2, 20, 9, 40})  # ENOENT, ENOTDIR, EBADF, ELOOP: pathlib's _ignore_error


def norm(path: str | os.PathLike[str]) -> str:
    """``str(PurePosixPath(path))``: empty and ``.`` parts dropped, ``..`` kept, ``//`` kept as a root."""
    text = os.fspath(path)
    if text.startswith("/"):
        root = "//" if text.startswith("//") and not text.startswith("///") else "/"
    else:
        root = ""
    parts = [p for p in text.split("/") if p and p != "."]
    return root + "/".join(parts) if (root or parts) else "."


def join(base: str, *names: str) -> str:
    """``str(Path(base).joinpath(*names))`` for a normalised ``base``."""
    return norm(os.path.join(base, *names))


def _mode(path: str) -> int | None:
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno not in _IGNORED:
            raise
        return None
    except ValueError:  # an embedded NUL: pathlib says False
        return None


def exists(path: str) -> bool:
    """``Path(path).exists()``."""
    return _mode(path) is not None


def is_file(path: str) -> bool:
    """``Path(path).is_file()``."""
    mode = _mode(path)
    return mode is not None and _stat.S_ISREG(mode)


def is_dir(path: str) -> bool:
    """``Path(path).is_dir()``."""
    mode = _mode(path)
    return mode is not None and _stat.S_ISDIR(mode)


# A hook process's answers of ``resolve`` (``remember_resolved``); None in every other process.
_RESOLVED: dict[str, str] | None = None


def remember_resolved() -> None:
    """From now on, ``resolve`` each absolute path once in this process. For the hooks' processes (their
    entry point calls it): they live for milliseconds, and finding the project, its git common dir and its
    state dir resolves the same few directories ~20 times, each an lstat per component (~1M instructions
    of a push). Never in a long-lived process (the MCP server): a moved directory or a new symlink would
    keep its old answer."""
    global _RESOLVED
    if _RESOLVED is None:
        _RESOLVED = {}


def resolve(path: str | os.PathLike[str]) -> str:
    """``str(Path(path).resolve())`` (non-strict, as pathlib's on 3.10+: os.path.realpath)."""
    text = os.fspath(path)
    memo = _RESOLVED
    if memo is None or not text.startswith("/"):  # a relative path's answer depends on the working directory
        return norm(os.path.realpath(text))
    done = memo.get(text)
    if done is None:
        done = memo[text] = norm(os.path.realpath(text))
    return done


def parents(path: str) -> Iterator[str]:
    """``Path(path).parents`` (as strings) for a normalised ``path``, nearest first."""
    while True:
        up = os.path.dirname(path) or "."  # a relative path's last parent is "."
        if up == path:
            return
        path = up
        yield path


def relative_parts(path: str, root: str) -> tuple[str, ...]:
    """``Path(path).relative_to(root).parts`` for normalised paths; ValueError when ``path`` is not under it."""
    if path == root:
        return ()
    prefix = root if root.endswith("/") else root + "/"
    if not path.startswith(prefix):
        raise ValueError(f"{path!r} is not in the subpath of {root!r}")
    return tuple(path[len(prefix):].split("/"))


def read_text(path: str) -> str:
    """``Path(path).read_text(encoding="utf-8")``."""
    with open(path, encoding="utf-8") as fh:
        return fh.read()


# One ``pathlib.Path`` per str, made once: Project's and Ledger's Path properties are read on every MCP
# call, and each ``Path(text)`` parses its text again (~10% of a read's CPU). A Path is immutable, so one
# object can serve every reader of the same text.
_PATHS: dict = {}


def as_path(text: str):  # -> pathlib.Path (not annotated: the hooks never import pathlib)
    """``pathlib.Path(text)``, the same object each time for the same ``text`` (pathlib imported on first use)."""
    kept = _PATHS.get(text)
    if kept is None:
        from pathlib import Path

        if len(_PATHS) >= 256:  # a long-lived process that met many paths starts again rather than grow
            _PATHS.clear()
        kept = _PATHS[text] = Path(text)
    return kept
