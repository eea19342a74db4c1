"""Byte encodings of the memory index's base (pure, standard library only).

Why these: the base held every attempt as JSON (its summary, tokens, files and services as text) and
every posting list as 4-byte numbers, 192 B per ledger record. Now an attempt is its id (16 bytes when
it is a ULID), where its ledger line is, and the numbers of its terms (sorted, as varint deltas); what
a result shows (summary, time, outcome, session) is read back from that ledger line for the few results
shown. A posting list is its gaps at the narrowest width that holds most of them (1, 2 or 4 bytes, a
wider gap stored apart), decoded by ``array`` and ``accumulate`` in C; a list of a common term is a bit
set instead. Malformed input raises ``ValueError`` (or ``IndexError``), which the segment reports as
damage.
"""

from __future__ import annotations

import json
import sys
from array import array
from itertools import accumulate

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as ``ledger.ids`` mints ids
_TO_INT32 = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_DIGITS = frozenset(_ALPHABET)
_WIDTH = {1: "B", 2: "H", 4: "I"}
_PLUS_ONE = bytes(range(1, 129)) + bytes(128)  # a one-byte gap g (< 0x80) -> g + 1
ULID, PLACED, INLINE = 1, 2, 4  # flags of an encoded attempt


def put(out: bytearray, n: int) -> None:
    """Append ``n`` (>= 0) as a LEB128 varint."""
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def get(buf, i: int) -> tuple[int, int]:
    """The varint at ``buf[i]`` and the index after it."""
    b = buf[i]
    if b < 0x80:
        return b, i + 1
    n, shift = b & 0x7F, 7
    while True:
        i += 1
        b = buf[i]
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, i + 1
        shift += 7


def _le(arr: array) -> bytes:
    if sys.byteorder != "little":
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return arr.tobytes()


def _from_le(typecode: str, raw) -> array:
    arr = array(typecode)
    arr.frombytes(raw)
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def pack_gaps(numbers) -> tuple[bytes, int]:
    """Strictly increasing ``numbers`` as (bytes, width): gaps (the first is number + 1) at ``width`` bytes,
    a gap too wide for it written as 0 there and in full (4 bytes) after the narrow ones."""
    gaps = [b - a for a, b in zip([-1, *numbers[:-1]], numbers)] if numbers else []
    if any(g <= 0 for g in gaps):
        raise ValueError("posting numbers must increase")
    best = None
    for width in (1, 2, 4):
        limit = 1 << (8 * width)
        wide = [g for g in gaps if g >= limit] if width < 4 else []
        size = width * len(gaps) + 4 * len(wide)
        if best is None or size < best[0]:
            best = (size, width, wide, limit)
    _, width, wide, limit = best
    narrow = array(_WIDTH[width], [g if g < limit else 0 for g in gaps] if wide else gaps)
    return _le(narrow) + _le(array("I", wide)), width


def unpack_gaps(raw, count: int, width: int) -> array:
    """The numbers ``pack_gaps`` wrote (``count`` of them), as ``array('I')``."""
    split = count * width
    gaps = _from_le(_WIDTH[width], raw[:split])
    if len(gaps) != count or (len(raw) - split) % 4:
        raise ValueError("a posting list has another length than its entry says")
    if len(raw) > split:
        wide = _from_le("I", raw[split:])
        gaps = array("I", gaps)
        at = 0
        for value in wide:
            at = gaps.index(0, at)
            gaps[at] = value
    if 0 in gaps:
        raise ValueError("a posting list has a zero gap")
    if gaps:
        gaps[0] -= 1  # the first gap counts from -1
    return array("I", accumulate(gaps))


def pack_id(rid: str) -> bytes | None:
    """A ULID-shaped id as 16 bytes (None for any other id, kept as text)."""
    if len(rid) != 26 or not _DIGITS.issuperset(rid):
        return None
    value = int(rid.translate(_TO_INT32), 32)
    return value.to_bytes(16, "big") if value >> 128 == 0 else None


def unpack_id(raw) -> str:
    value = int.from_bytes(raw, "big")
    return "".join([_PAIRS[(value >> s) & 1023] for s in range(120, -1, -10)])


def encode_doc(rid: str, terms: list[int], pos: tuple[int, int, int] | None, inline: list | None) -> bytes:
    """One attempt: flags, id, its ledger line's (file, offset, length) when known, its sorted term numbers,
    and (only for an attempt whose line cannot be addressed) what a result shows, as JSON."""
    out = bytearray(1)
    packed = pack_id(rid)
    flags = 0
    if packed is not None:
        flags |= ULID
        out += packed
    else:
        raw = rid.encode("utf-8")
        put(out, len(raw))
        out += raw
    if pos is not None:
        flags |= PLACED
        for n in pos:
            put(out, n)
    put(out, len(terms))
    ordered = sorted(terms)
    gaps = [b - a - 1 for a, b in zip([-1, *ordered], ordered)]
    if gaps and (min(gaps) < 0 or max(gaps) >= 0x80):
        for g in gaps:
            put(out, g)  # raises on a repeated term (a negative gap)
    else:
        out += bytes(gaps)  # most attempts: every gap one byte
    if pos is None and inline is not None:
        flags |= INLINE
        raw = json.dumps(inline, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        put(out, len(raw))
        out += raw
    out[0] = flags
    return bytes(out)


def decode_doc(buf) -> tuple[str | bytes, list[int], tuple[int, int, int] | None, list | None]:
    """(id, term numbers, position or None, inline fields or None) of an ``encode_doc`` attempt; a ULID id
    comes as its 16 bytes (``unpack_id`` turns them into text, for the few attempts whose id is asked)."""
    flags = buf[0]
    if flags & ~(ULID | PLACED | INLINE):
        raise ValueError("unknown attempt flags")
    if flags & ULID:
        rid, i = bytes(buf[1:17]), 17
    else:
        n, i = get(buf, 1)
        rid, i = bytes(buf[i:i + n]).decode("utf-8"), i + n
    pos = None
    if flags & PLACED:
        code, i = get(buf, i)
        offset, i = get(buf, i)
        length, i = get(buf, i)
        pos = (code, offset, length)
    count, i = get(buf, i)
    if not flags & INLINE and len(buf) - i == count:  # count bytes for count gaps: each one byte, in C
        terms = list(accumulate(bytes(buf[i:]).translate(_PLUS_ONE), initial=-1))
        del terms[0]
        return rid, terms, pos, None
    terms, prev = [], -1
    for _ in range(count):
        gap = buf[i]
        if gap < 0x80:  # most gaps: one byte
            i += 1
        else:
            gap, i = get(buf, i)
        prev += gap + 1
        terms.append(prev)
    inline = None
    if flags & INLINE:
        n, i = get(buf, i)
        inline, i = json.loads(bytes(buf[i:i + n])), i + n
    if i != len(buf):
        raise ValueError("an attempt has bytes after its end")
    return rid, terms, pos, inline
