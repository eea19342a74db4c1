"""Find the line of a key path in TOML text (tomllib keeps no positions). Pure, best effort."""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Sequence

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"'-]+)\s*=")


def _norm(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def line_of(text: str, loc: Sequence[str]) -> int | None:
    """1-based line where the deepest existing part of ``loc`` is written, or None."""
    if not text or not loc:
        return None
    parts = [p for p in loc if not p.isdigit()]
    best: int | None = None
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            table = _norm(m.group(1))
            if ".".join(parts).startswith(table) and table:
                best = number
            continue
        k = _KEY.match(line)
        if k:
            full = ".".join(x for x in (table, _norm(k.group(1))) if x)
            joined = ".".join(parts)
            if joined == full or joined.startswith(full + "."):
                return number
    return best
