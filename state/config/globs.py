"""Gitignore-like globs compiled to regexes (pure, standard library only).

Apart from ``mapping`` so that validating a config's ``paths`` (every hook that decides does) costs no
dataclasses or typing import. ``*`` stays within one path segment, ``**`` spans segments, ``?`` is one
character, ``[abc]`` a class; a pattern without a slash matches the file name at any depth.

``re`` is imported only when a pattern is compiled: every decision a hook makes validates the config's
globs (``check_glob``), and re with its enum and functools imports costs a hook process ~27M instructions.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    import re

_COMPILED: dict[str, re.Pattern[str]] = {}  # pattern -> regex, in this process (functools' lru_cache costs ~14M)
_MAX_COMPILED = 4096
_CLASS_ESCAPES = str.maketrans({c: "\\" + c for c in "[&~|"})


class GlobError(ValueError):
    """A pattern that is not a valid glob."""


def check_glob(pattern: str) -> None:
    """Raise GlobError exactly when ``compile_glob`` would, without importing re for a pattern with no
    ``[`` or ``]``: every other piece the translation emits (``(?:.*/)?``, ``.*``, ``[^/]*``, ``[^/]``,
    ``re.escape`` of one character) is a valid regex, so such a pattern fails only when it is empty."""
    if isinstance(pattern, str) and pattern.strip() and "[" not in pattern and "]" not in pattern:
        return
    compile_glob(pattern)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """Translate one glob to an anchored regex; raise GlobError on a malformed pattern."""
    found = _COMPILED.get(pattern)  # an unhashable pattern raises TypeError, as lru_cache did
    if found is None:
        found = _compile(pattern)
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.clear()
        _COMPILED[pattern] = found
    return found


def normalized(pattern: str) -> tuple[str, bool]:
    """(the pattern as the translation reads it, whether it is anchored at the root): stripped, ``./``
    dropped, anchored when a ``/`` is left before its end, the leading ``/`` dropped, a trailing ``/`` read
    as everything below it. The one reading of a pattern that ``_compile``, ``mapping.Plain`` and
    ``hooks/git/pathfilter.glob_ere`` translate, each in its own way."""
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    if pat.endswith("/"):
        pat += "**"
    return pat, anchored


def _compile(pattern: str) -> re.Pattern[str]:
    import re

    if not isinstance(pattern, str) or not pattern.strip():
        raise GlobError("empty pattern")
    pat, anchored = normalized(pattern)
    out, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                j = i + 2
                if j < n and pat[j] == "/":
                    out.append("(?:.*/)?")
                    j += 1
                else:
                    out.append(".*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pat.find("]", i + 2 if pat.startswith("[!", i) or pat.startswith("[]", i) else i + 1)
            if end < 0:
                raise GlobError(f"unclosed '[' in {pattern!r}")
            body = pat[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            # [ & ~ | escaped: inside a class they are literal characters today, and re warns that a later
            # version may read "[[" or "&&" as a nested set or a set operation (the same class either way)
            out.append("[" + body.replace("\\", "\\\\").translate(_CLASS_ESCAPES) + "]")
            i = end
        elif c == "]":
            raise GlobError(f"unmatched ']' in {pattern!r}")
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    regex = ("" if anchored else "(?:.*/)?") + body
    try:
        return re.compile(regex + r"\Z")
    except re.error as exc:
        raise GlobError(f"{pattern!r} is not a valid glob: {exc}") from exc
