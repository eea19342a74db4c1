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


def matcher(pattern: str) -> re.Pattern[str] | Plain:
    """What matches a path as ``compile_glob(pattern)`` does (``.match(path)``: truthy or None): for a pattern
    with no ``[`` or ``]`` a ``Plain`` matcher, without importing re (judging a push after HEAD moved on diffs
    the verified commit and matches each changed file against the service's globs: re, enum and functools
    cost that hook ~25M instructions); a class pattern, or an invalid one (GlobError), goes to compile_glob."""
    if not isinstance(pattern, str) or "[" in pattern or "]" in pattern or not pattern.strip():
        return compile_glob(pattern)
    found = _PLAIN.get(pattern)
    if found is None:
        if len(_PLAIN) >= _MAX_COMPILED:
            _PLAIN.clear()
        found = _PLAIN[pattern] = Plain(pattern)
    return found


_PLAIN: dict[str, Plain] = {}
# the pieces of a translated pattern, each what its regex matches: (?:.*/)?  .*  [^/]*  [^/]
_DIRS, _LINE, _SEGMENT, _ONE = "(?:.*/)?", ".*", "[^/]*", "[^/]"


class Plain:
    """``compile_glob(pattern)`` for a pattern without a class, matched without re: the same translation,
    piece by piece (``_compile``), and the same full match (``\\Z``); ``.`` stops at a newline as re's does."""

    __slots__ = ("pattern", "pieces")

    def __init__(self, pattern: str) -> None:
        pat = pattern.strip()
        if pat.startswith("./"):
            pat = pat[2:]
        anchored = "/" in pat.rstrip("/")
        pat = pat.lstrip("/")
        if pat.endswith("/"):
            pat += "**"
        pieces: list[str | tuple[str]] = [] if anchored else [_DIRS]
        i, n, lit = 0, len(pat), []
        while i < n:
            c = pat[i]
            if c in "*?":
                if lit:
                    pieces.append(("".join(lit),))  # a literal is a 1-tuple: never one of the pieces above
                    lit = []
                if c == "?":
                    pieces.append(_ONE)
                elif pat.startswith("**", i):
                    slash = i + 2 < n and pat[i + 2] == "/"
                    pieces.append(_DIRS if slash else _LINE)
                    i += 3 if slash else 2
                    continue
                else:
                    pieces.append(_SEGMENT)
            else:
                lit.append(c)
            i += 1
        if lit:
            pieces.append(("".join(lit),))
        self.pattern, self.pieces = pattern, tuple(pieces)

    def match(self, path: str) -> bool | None:
        return True if self._fits(0, path, 0, {}) else None

    def _fits(self, k: int, path: str, at: int, seen: dict[tuple[int, int], bool]) -> bool:
        """Do pieces k.. match ``path[at:]`` to its end? (each (k, at) judged once: no exponential backtracking)"""
        if k == len(self.pieces):
            return at == len(path)
        key = (k, at)
        done = seen.get(key)
        if done is not None:
            return done
        piece, n = self.pieces[k], len(path)
        if isinstance(piece, tuple):
            ok = path.startswith(piece[0], at) and self._fits(k + 1, path, at + len(piece[0]), seen)
        elif piece is _ONE:
            ok = at < n and path[at] != "/" and self._fits(k + 1, path, at + 1, seen)
        else:
            stop = path.find("/" if piece is _SEGMENT else "\n", at)
            stop = n if stop < 0 else stop
            if piece is _DIRS:  # nothing, or through a "/" before the next newline
                ok = self._fits(k + 1, path, at, seen) or any(
                    path[q] == "/" and self._fits(k + 1, path, q + 1, seen) for q in range(at, stop))
            else:  # any run up to the next "/" ([^/]*) or the next newline (.*)
                ok = any(self._fits(k + 1, path, q, seen) for q in range(at, stop + 1))
        seen[key] = ok
        return ok


def _compile(pattern: str) -> re.Pattern[str]:
    import re

    if not isinstance(pattern, str) or not pattern.strip():
        raise GlobError("empty pattern")
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    if pat.endswith("/"):
        pat += "**"
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
            out.append("[" + body.replace("\\", "\\\\") + "]")
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
