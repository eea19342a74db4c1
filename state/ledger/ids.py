"""Sortable unique record ids and UTC timestamps (standard library only)."""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from datetime import datetime

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
# every pair of digits (10 bits), and Crockford digits -> int()'s base-32 digits: ids are minted in
# bulk (a sync merge, a bulk append) and a per-digit Python loop was most of an append's time
# (filled on the first id minted: a hook that only reads never builds the 1024 strings, ~0.6M instructions)
_PAIRS: list[str] = []
_TO_INT32 = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")
_DIGITS = frozenset(_ALPHABET)


def _b32(value: int, length: int) -> str:
    """The low ``5 * length`` bits of ``value`` as ``length`` Crockford digits, most significant first."""
    if not _PAIRS:
        _PAIRS[:] = [a + b for a in _ALPHABET for b in _ALPHABET]  # one slice store: threads see all or none
    head = _ALPHABET[(value >> (5 * (length - 1))) & 31] if length % 2 else ""
    return head + "".join([_PAIRS[(value >> s) & 1023] for s in range(10 * (length // 2) - 10, -1, -10)])


def new_id(now_ns: int | None = None) -> str:
    """A 26-character id that sorts by creation time (ULID layout: 48-bit ms + 80 random bits)."""
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    return _b32(ms, 10) + _b32(int.from_bytes(os.urandom(10), "big"), 16)


# datetime is imported where it is used: the hooks' allow path needs none of it (~1.3 ms of their start)
def utc_now() -> datetime:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    """ISO-8601 UTC with microseconds and a trailing Z, so strings sort like times."""
    from datetime import timezone

    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_duration(value: int | float | str) -> float:
    """Seconds from ``90``, ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` or ``"1h30m"``."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '30m'")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value).strip().lower()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    total, number = 0.0, ""
    i = 0
    if not text:
        raise ValueError("empty duration")
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in units or not number:
            raise ValueError(f"bad duration {value!r}: use forms like '90s', '30m', '2h'")
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number:
        total += float(number)
    return total


def id_after(previous: str | None, now_ns: int | None = None) -> str:
    """A fresh id that sorts after ``previous`` even within the same millisecond or with a clock step back.

    The step past ``previous`` is random, not +1: two clones that both append right after the same
    record must not mint the same id (they would look like one record edited two ways)."""
    fresh = new_id(now_ns)
    if not previous or fresh > previous:
        return fresh
    if not _DIGITS.issuperset(previous):
        raise ValueError(f"{previous!r} is not a record id")
    value = int(previous.translate(_TO_INT32), 32)
    return _b32(value + 1 + int.from_bytes(os.urandom(5), "big"), len(previous))
