"""Re-keying the memory index across a seal instead of rebuilding it from the whole history.

Why: an append that seals a segment moved the oldest lines out of ``archive.jsonl`` and ``ledger.jsonl``
into a closed segment; the attempts' positions point into those files, so the index was rebuilt, which
grows with the ledger (6.6 s of CPU at 150k records, ~77 s at 1M, inside one append). The seal keeps the
same records in the same order, so the index as it was just before the seal says everything: an
attempt whose line stayed in the live file moved back by the bytes cut; one whose line was sealed keeps
what a result shows (its time, outcome, summary, session) inline, taken from its line in the sealed
bytes (a rebuild keeps exactly these for every attempt in a segment). Its terms, postings, signatures
and sessions do not change. The work is one pass over the attempts' stored bytes plus parsing the sealed
attempts' lines, never the history.

Trust: the index is a recall cache and never decides a deploy. It is used only when it is current with
exactly the bytes the seal read (sizes, line counts, the tail record's hash), and a sealed attempt's
line must be a whole line holding that attempt's record (its id, kind ``attempt``): anything else
raises ``Stale`` and the caller rebuilds from the ledger, as before.
"""

from __future__ import annotations

import json
from typing import Callable

from deploystate.jsonlite import loads
from . import codec
from .memdoc import ARCHIVE, LIVE, fields
from .memmodel import MemoryIndex
from .segment import Corrupt


# what ``codec.encode_doc`` writes for inline fields, without ``json.dumps``' set-up on each call
_INLINE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Stale(Corrupt):
    """The index is not the one the sealed bytes were indexed into: rebuild it from the ledger."""


def _tail_hash(live: bytes) -> str | None:
    """The hash of the record whose line ends ``live`` (as ``reading.hash_ending_at`` reads it)."""
    if not live.endswith(b"\n"):
        return None
    try:
        rec = loads(live[live.rfind(b"\n", 0, len(live) - 1) + 1:-1])
    except ValueError:
        return None
    return rec.get("hash") if isinstance(rec, dict) else None


def _line(data: bytes, offset: int, length: int) -> bytes:
    end = offset + length
    if end >= len(data) or data[end] != 10 or (offset and data[offset - 1] != 10):
        raise Stale("a sealed attempt's position is not a whole line of the sealed bytes")
    return data[offset:end]


def _sealed_fields(data: bytes, offset: int, length: int, rid: str) -> list:
    """What a result shows of attempt ``rid``, from its line in the sealed bytes (checked to be its own)."""
    try:
        rec = loads(_line(data, offset, length))
    except ValueError as exc:  # (Stale is one)
        raise Stale(f"a sealed attempt's line is not a record: {exc}") from None
    if not isinstance(rec, dict) or rec.get("id") != rid or rec.get("kind") != "attempt":
        raise Stale("a sealed attempt's line holds another record than the index says")
    return fields(rec)


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    try:
        return codec.get(buf, i)
    except IndexError:
        raise Stale("an attempt of the base is cut short") from None


def plan(index: MemoryIndex, archive: bytes, live: bytes, cut: int) -> Callable[[int, bytes], bytes]:
    """Re-key ``index`` (current with ``archive`` + ``live`` as they were before the seal) for a seal that
    took all of ``archive`` and ``live[:cut]``: the delta's attempts are moved now; the base's are moved by
    the returned function, one encoded attempt at a time (with its number), while ``memindex.save`` writes
    the new base; it also moves ``inline_upto`` up to the first attempt still placed (the whole pages
    below the old one are copied as they are). Raises ``Stale`` when the index was not built from these
    bytes."""
    lines = live.count(b"\n")
    if (index.archive_size != len(archive) or index.live_size != len(live) or not 0 < cut <= len(live)
            or index.live_lines not in (None, lines) or index.live_tail != _tail_hash(live)):
        raise Stale("the index is not current with the bytes the seal read")
    sealed = (live, archive)  # indexed by the file code of a position: memdoc.LIVE, memdoc.ARCHIVE

    moved = []
    for doc in index.delta:  # each holds every field already: a sealed one only loses its position
        if doc.pos is not None:
            code, offset, length = doc.pos
            if code == ARCHIVE or (code == LIVE and offset < cut):
                _sealed_fields(sealed[code], offset, length, doc.id)
                moved.append((doc, None))
            elif code == LIVE:
                moved.append((doc, (LIVE, offset - cut, length)))
            else:
                raise Stale("an attempt names a ledger file the seal does not know")
    for doc, pos in moved:
        doc.pos = pos
    n = index.base_total
    delta_first = next((n + j for j, d in enumerate(index.delta) if d.pos), n + len(index.delta))
    seen = [False]
    index.live_size, index.live_lines = len(live) - cut, lines - live.count(b"\n", 0, cut)
    index.archive_size = 0
    if not index.live_size:
        index.live_tail = None

    def move(i: int, raw: bytes) -> bytes:
        """Attempt ``i`` of the base as ``codec.encode_doc`` wrote it, re-keyed (bytes after its position kept)."""
        if not seen[0]:  # (the attempts before the first one asked are whole pages copied: none placed)
            seen[0], index.inline_upto = True, delta_first
        flags = raw[0]
        if not flags & codec.PLACED:
            return raw  # sealed before: its fields are inline already
        if flags & codec.ULID:
            start = at = 17
        else:
            size, start = _varint(raw, 1)
            at = start + size
        head = raw[:at]
        code, j = _varint(raw, at)
        offset, j = _varint(raw, j)
        length, j = _varint(raw, j)
        rest = raw[j:]
        out = bytearray(head)
        if code == LIVE and offset >= cut:
            index.inline_upto = min(index.inline_upto, i)
            for value in (LIVE, offset - cut, length):
                codec.put(out, value)
            return bytes(out + rest)
        if code not in (LIVE, ARCHIVE) or flags & codec.INLINE:
            raise Stale("an attempt of the base names a ledger file the seal does not know")
        rid = codec.unpack_id(raw[1:17]) if flags & codec.ULID else raw[start:at].decode("utf-8")
        inline = _INLINE(_sealed_fields(sealed[code], offset, length, rid)).encode("utf-8")
        out[0] = (flags & ~codec.PLACED) | codec.INLINE
        out += rest
        codec.put(out, len(inline))
        return bytes(out + inline)

    return move


def apply(ledger, index: MemoryIndex, archive: bytes, live: bytes, cut: int) -> bool:  # noqa: ANN001
    """Re-key ``index`` for the seal that just took ``archive`` and ``live[:cut]`` and save it (a new base
    through ``plan``'s function, the tail, its digest in the anchor); False when it is not the index of
    those bytes, the files are not what the seal left, or it could not be saved: the caller rebuilds."""
    from deploystate.state.ledger.reading import hash_ending_at

    from . import memindex

    try:
        move = plan(index, archive, live, cut)
    except Stale:
        return False
    if (memindex._size(ledger.path) != index.live_size or memindex._size(ledger.archive_path)
            or hash_ending_at(ledger.path, index.live_size) != index.live_tail):
        return False
    if not memindex.save(ledger, index, move):
        return False
    memindex._LOADED[memindex.loaded_key(ledger)] = index
    return True
