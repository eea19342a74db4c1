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

from .globs import GlobError, compile_glob, matcher  # noqa: F401  (re-exported: the hooks import globs alone)
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
