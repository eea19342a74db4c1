"""Changed files -> affected services, with the reason for each (pure, standard library only).

Globs are gitignore-like: ``*`` stays within one path segment, ``**`` spans
segments, ``?`` is one character, ``[abc]`` a class. A pattern without a slash
matches the file name at any depth (``.env`` matches ``deploy/.env``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    import re  # annotations only: globs imports re when a pattern is compiled
    from typing import Iterable, Mapping, Sequence

from .globs import GlobError, compile_glob, normalized  # noqa: F401  (re-exported: the hooks import globs alone)
from deploystate.state.plain import Frozen

ALL = "*all*"


# Frozen (state/plain.py), not a dataclass: the hooks' decision path builds these, and dataclasses costs it ~8 ms.
class Change(Frozen):
    path: str
    status: str                # A, M, D, R (renamed), C (copied), T; default "M"
    old_path: str | None
    _fields = ("path", "status", "old_path")
    _defaults = {"status": "M", "old_path": None}

    def paths(self) -> tuple[str, ...]:
        """A rename or copy affects whoever owns either side."""
        return (self.path, self.old_path) if self.old_path and self.old_path != self.path else (self.path,)


class Match(Frozen):
    file: str
    pattern: str
    rule: str  # "paths" or the all-services rule's reason
    status: str
    _fields = ("file", "pattern", "rule", "status")
    _defaults = {"status": "M"}


class Affected:
    def __init__(self, services: dict[str, list[Match]] | None = None, unmatched: list[str] | None = None) -> None:
        self.services: dict[str, list[Match]] = {} if services is None else services
        self.unmatched: list[str] = [] if unmatched is None else unmatched

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Affected) and (self.services, self.unmatched) == (other.services, other.unmatched)

    def __repr__(self) -> str:
        return f"Affected(services={self.services!r}, unmatched={self.unmatched!r})"

    def names(self) -> list[str]:
        return sorted(self.services)


def matcher(pattern: str) -> re.Pattern[str] | Plain:
    """What matches a path as ``globs.compile_glob(pattern)`` does (``.match(path)``: truthy or None): for a
    pattern with no ``[`` or ``]`` a ``Plain`` matcher, without importing re (judging a push after HEAD moved on diffs
    the verified commit and matches each changed file against the service's globs: re, enum and functools
    cost that hook ~25M instructions); a class pattern, or an invalid one (GlobError), goes to compile_glob."""
    if not isinstance(pattern, str) or "[" in pattern or "]" in pattern or not pattern.strip():
        return compile_glob(pattern)
    found = _PLAIN.get(pattern)
    if found is None:
        if len(_PLAIN) >= _MAX_PLAIN:
            _PLAIN.clear()
        found = _PLAIN[pattern] = Plain(pattern)
    return found


# here, not in globs: the hooks' config check imports globs on every push, and matching is only for a diff
_PLAIN: dict[str, Plain] = {}
_MAX_PLAIN = 4096
# the pieces of a translated pattern, each what its regex matches: (?:.*/)?  .*  [^/]*  [^/]
_DIRS, _LINE, _SEGMENT, _ONE = "(?:.*/)?", ".*", "[^/]*", "[^/]"


class Plain:
    """``compile_glob(pattern)`` for a pattern without a class, matched without re: the same translation,
    piece by piece (``globs._compile``), and the same full match (``\\Z``); ``.`` stops at a newline as re's does."""

    __slots__ = ("pattern", "pieces")

    def __init__(self, pattern: str) -> None:
        pat, anchored = normalized(pattern)
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


def matches(pattern: str, path: str) -> bool:
    return matcher(pattern).match(path) is not None


def _prefix(pattern: str) -> str:
    """The literal first path segment of an anchored pattern, '' when it can start anywhere."""
    # the same normalisation as compile_glob: one leading "./" and then slashes, never the dot of ".github/"
    pat = pattern.strip()
    pat = (pat[2:] if pat.startswith("./") else pat).lstrip("/")
    if "/" not in pat.rstrip("/"):
        return ""
    head = pat.split("/", 1)[0]
    return "" if any(ch in head for ch in "*?[") else head


def affected(changes: Iterable[Change], services: Mapping[str, Sequence[str]],
             all_services: Sequence[tuple[Sequence[str], str]] = ()) -> Affected:
    """Which services each change affects and why.

    ``services`` maps a service name to its path globs; ``all_services`` holds
    (globs, reason) rules whose match affects every service.
    """
    # Bucket globs by their literal first segment so 10k files x 50 globs stays cheap.
    buckets: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
    for name, globs in services.items():
        for g in globs:
            buckets.setdefault(_prefix(g), []).append((name, g, matcher(g)))
    rules = [(g, reason, matcher(g)) for globs, reason in all_services for g in globs]
    result = Affected()
    names = sorted(services)
    for change in changes:
        hit = False
        for path in change.paths():
            first = path.split("/", 1)[0] if "/" in path else ""
            candidates = buckets.get("", []) + (buckets.get(first, []) if first else [])
            for name, g, rx in candidates:
                if rx.match(path):
                    result.services.setdefault(name, []).append(Match(path, g, "paths", change.status))
                    hit = True
            for g, reason, rx in rules:
                if rx.match(path):
                    for name in names:
                        result.services.setdefault(name, []).append(Match(path, g, reason, change.status))
                    hit = True
        if not hit:
            result.unmatched.append(change.path)
    return result


def parse_name_status(text: str) -> list[Change]:
    """Parse ``git diff --name-status -z -M`` output."""
    parts = text.split("\0")
    changes, i = [], 0
    while i < len(parts):
        status = parts[i]
        if not status:
            i += 1
            continue
        code = status[0]
        if code in "RC":
            if i + 2 >= len(parts):
                break
            changes.append(Change(parts[i + 2], code, parts[i + 1]))
            i += 3
        else:
            if i + 1 >= len(parts):
                break
            changes.append(Change(parts[i + 1], code))
            i += 2
    return changes
