"""The memory base's byte encodings: varints, gap lists, ids, attempts and pages at their boundaries."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from deploystate.state.ledger import ids
from deploystate.state.memory import codec, segment

BOUNDARIES = [0, 1, 127, 128, 255, 256, 16383, 16384, 65535, 65536, 2**21 - 1, 2**21, 2**32 - 1, 2**32, 2**63]


@pytest.mark.parametrize("n", BOUNDARIES)
def test_a_varint_reads_back_at_every_length_boundary(n: int) -> None:
    """Each value at a 7-bit boundary reads back as itself and ends where the next one starts."""
    out = bytearray()
    codec.put(out, n)
    codec.put(out, 5)
    value, at = codec.get(out, 0)
    assert value == n and codec.get(out, at) == (5, len(out))
    assert len(out) - 1 == max(1, -(-n.bit_length() // 7))


def test_a_cut_varint_is_an_error_not_a_number() -> None:
    """A varint whose last byte is missing raises instead of reading past the buffer."""
    out = bytearray()
    codec.put(out, 300)
    with pytest.raises(IndexError):
        codec.get(out[:1], 0)


@pytest.mark.parametrize("numbers", [
    [], [0], [5], [0, 1, 2, 3], [254], [255], [256], [0, 256, 512], [65534], [65535], [65536],
    [0, 2**32 - 1], list(range(0, 10_000, 3)), [7, 300, 301, 70_000, 70_001, 70_002, 2**31],
])
def test_a_gap_list_reads_back_whatever_its_widest_gap(numbers: list[int]) -> None:
    """Empty, single, dense and sparse lists, gaps just below and above 256 and 65536, read back exactly."""
    raw, width = codec.pack_gaps(array("I", numbers))
    assert width in (1, 2, 4)
    assert list(codec.unpack_gaps(raw, len(numbers), width)) == numbers


def test_a_few_wide_gaps_do_not_widen_the_whole_list() -> None:
    """One far jump in a dense list is kept apart: the list stays one byte per entry plus four for the jump."""
    numbers = list(range(1000)) + [10**6]
    raw, width = codec.pack_gaps(array("I", numbers))
    assert width == 1 and len(raw) == 1001 + 4


@pytest.mark.parametrize("bad", [[3, 3], [5, 4]])
def test_a_list_that_does_not_increase_is_refused(bad: list[int]) -> None:
    """Repeated or falling numbers cannot be written as gaps."""
    with pytest.raises(ValueError):
        codec.pack_gaps(array("I", bad))


def test_a_damaged_gap_list_is_an_error() -> None:
    """A zero gap, a list of another length, or a missing wide gap raises instead of naming wrong attempts."""
    raw, width = codec.pack_gaps(array("I", [1, 2, 900]))
    with pytest.raises(ValueError):
        codec.unpack_gaps(b"\x00" + raw[1:], 3, width)
    with pytest.raises(ValueError):
        codec.unpack_gaps(raw, 4, width)
    with pytest.raises(ValueError):
        codec.unpack_gaps(raw[:-4], 3, width)


def test_ulid_ids_pack_to_16_bytes_and_back() -> None:
    """Minted ids (and the smallest and largest ULIDs) round-trip through 16 bytes; order is kept."""
    rids = sorted([ids.new_id() for _ in range(200)] + ["0" * 26, "7" + "z" * 25])
    packed = [codec.pack_id(r) for r in rids]
    assert all(p is not None and len(p) == 16 for p in packed)
    assert [codec.unpack_id(p) for p in packed] == rids and sorted(packed) == packed


@pytest.mark.parametrize("rid", ["r1", "", "8" + "0" * 25, "0" * 25 + "u", "0" * 25 + "A", "0" * 27, "é" * 26])
def test_other_ids_are_kept_as_text(rid: str) -> None:
    """An id that is not a ULID in deploystate's spelling (too long, too large, another alphabet) stays text."""
    assert codec.pack_id(rid) is None
    assert codec.decode_doc(codec.encode_doc(rid, [3], None, None))[0] == rid


@pytest.mark.parametrize("terms", [[], [0], [127], [128], [0, 1, 2], [5, 200, 16384, 2**21, 2**40]])
def test_an_attempt_reads_back(terms: list[int]) -> None:
    """Id, terms (any order in, sorted out), position and inline fields read back; no position, no inline."""
    rid = ids.new_id()
    placed = codec.decode_doc(codec.encode_doc(rid, list(reversed(terms)), (1, 2**40, 70_000), None))
    assert (codec.unpack_id(placed[0]), placed[1:]) == (rid, (sorted(terms), (1, 2**40, 70_000), None))
    inline = ["2026-01-01T00:00:00Z", "failed", "ünïcode summary", None]
    unplaced = codec.decode_doc(codec.encode_doc(rid, terms, None, inline))
    assert unplaced[1:] == (sorted(terms), None, inline)


def test_an_attempt_with_bytes_after_its_end_is_refused() -> None:
    """Trailing bytes or unknown flags mean the attempt is not what was written."""
    raw = codec.encode_doc(ids.new_id(), [1, 2], (0, 10, 20), None)
    with pytest.raises(ValueError):
        codec.decode_doc(raw + b"\x00")
    with pytest.raises(ValueError):
        codec.decode_doc(bytes([raw[0] | 64]) + raw[1:])


def test_pages_hold_long_attempts_and_partial_pages(tmp_path: Path) -> None:
    """An attempt longer than 64 KiB widens its page's header; a last, partial page reads like the others."""
    docs = [codec.encode_doc(ids.new_id(), [i, i + 1], (0, i * 100, 99), None) for i in range(segment.PAGE + 3)]
    docs[5] = codec.encode_doc(ids.new_id(), list(range(0, 10_000_000, 200)), (0, 1, 2), None)
    assert len(docs[5]) > 0xFFFF
    w = segment.Writer(str(tmp_path / "s.seg"))
    w.term("word", 2, *codec.pack_gaps(array("I", [0, segment.PAGE + 2])))
    for raw in docs:
        w.doc(raw)
    root = w.finish(8)
    seg = segment.Segment(str(tmp_path / "s.seg"), root)
    assert seg.total == len(docs) and [seg.doc_bytes(i) for i in range(len(docs))] == docs
    assert list(seg.postings("word")) == [0, segment.PAGE + 2] and seg.postings("none") == array("I")
    with pytest.raises(IndexError):
        seg.doc_bytes(len(docs))


def test_an_empty_base_opens_and_holds_nothing(tmp_path: Path) -> None:
    """A base of no attempts and no terms is well formed: nothing to read, no posting list."""
    root = segment.Writer(str(tmp_path / "e.seg")).finish(8)
    seg = segment.Segment(str(tmp_path / "e.seg"), root)
    assert seg.total == 0 and seg.df("x") == 0 and seg.bits("x") is None and len(seg.postings("x")) == 0


def test_a_version_1_base_is_not_read(tmp_path: Path) -> None:
    """A base written by the version before (another magic) is damage to rebuild, not an empty index."""
    path = tmp_path / "old.seg"
    root = segment.Writer(str(path)).finish(8)
    raw = path.read_bytes()
    path.write_bytes(raw[:-8] + b"DSMEMSG1")
    with pytest.raises(segment.Corrupt):
        segment.Segment(str(path), root)


def test_an_attempt_naming_a_term_twice_is_refused() -> None:
    """A repeated term number cannot be written (its gap would be negative), small or large."""
    for terms in ([3, 3], [300, 300]):
        with pytest.raises(ValueError):
            codec.encode_doc(ids.new_id(), terms, None, None)
