"""The content key moves on by verified segments: a copy or doctor re-reads about one segment of records,
however many appends came since the last full check, and no edit ever gets into the key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from deploystate.state.tamper import chaincontent, chainmark
from deploystate.state.ledger.ledger import Ledger

SEGMENT = 4096  # bytes: about 20 notes, so a test crosses many segments quickly


@pytest.fixture(autouse=True)
def _small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chaincontent, "SEGMENT", SEGMENT)


def _grow(ledger: Ledger, n: int, start: int = 0) -> None:
    """Append like the hooks see it: each append followed by a (non-deep) check."""
    for i in range(start, start + n):
        ledger.append("note", {"text": f"note {i:04d}"})
        assert chainmark.check(ledger).ok


def _content(ledger: Ledger) -> dict:
    return chainmark._read_mark(ledger)["content"]


def test_appends_move_the_content_key_so_a_copy_rereads_one_segment(tmp_path: Path) -> None:
    """After 300 appends past the last full check, a cp -a copy parses at most a segment of records."""
    ledger = Ledger(tmp_path / "a")
    _grow(ledger, 1)
    assert chainmark.check(ledger).how == "unchanged"
    _grow(ledger, 300, 1)
    content = _content(ledger)
    assert len(content["ends"]) > 5 and ledger.path.stat().st_size - content["size"] < 2 * SEGMENT
    shutil.copytree(tmp_path / "a", tmp_path / "b", copy_function=shutil.copy2)
    status = chainmark.check(Ledger(tmp_path / "b"))
    assert status.ok and status.how == "content" and status.records == 301
    assert status.reread < 2 * SEGMENT // 150  # a note line is ~200 bytes


def test_doctor_after_many_appends_rereads_only_the_last_segment(tmp_path: Path) -> None:
    """The deep check re-hashes every segment and parses only the records after the last one."""
    ledger = Ledger(tmp_path)
    _grow(ledger, 200)
    deep = chainmark.check(ledger, deep=True)
    assert deep.ok and deep.how == "content" and deep.records == 200 and deep.reread < 2 * SEGMENT // 150


def test_an_edit_inside_a_segment_of_the_key_is_seen_by_the_deep_check(tmp_path: Path) -> None:
    """A same-length edit, mtime put back, in bytes a segment covers: doctor names the changed record."""
    ledger = Ledger(tmp_path)
    _grow(ledger, 200)
    assert len(_content(ledger)["ends"]) > 3
    st = ledger.path.stat()
    data = ledger.path.read_bytes()
    ledger.path.write_bytes(data.replace(b'"note 0042"', b'"note 4242"', 1))
    os.utime(ledger.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    deep = chainmark.check(ledger, deep=True)
    assert not deep.ok and "was changed after it was written" in deep.problems[0]


def test_an_edit_behind_the_hooks_fast_path_never_enters_the_key(tmp_path: Path) -> None:
    """An edit in records the key does not cover yet, then appends: the growth is not the appends' own
    (state/tamper/appendlog.py), so the check names the edit and the key does not move over it."""
    ledger = Ledger(tmp_path)
    _grow(ledger, 3)
    key = _content(ledger)
    data = ledger.path.read_bytes()
    edited = data.replace(b'"note 0001"', b'"note 9999"', 1)
    assert edited != data and len(edited) == len(data)
    ledger.path.write_bytes(edited)
    for i in range(60):
        ledger.append("note", {"text": f"note {i + 3:04d}"})
        status = chainmark.check(ledger)
        assert not status.ok and "was changed after it was written" in status.problems[0]
    held = _content(ledger)  # a failed full check keeps no key; any key kept covers no edited byte
    assert held is None or held["size"] <= key["size"]
    deep = chainmark.check(ledger, deep=True)
    assert not deep.ok and "was changed after it was written" in deep.problems[0]


def test_a_damaged_key_means_a_full_verification(tmp_path: Path) -> None:
    """Segment ends that do not describe the key (unsorted, not ending at its size): verified in full."""
    ledger = Ledger(tmp_path)
    _grow(ledger, 60)
    mark_path = ledger.anchor_dir / chainmark.MARK
    import json

    mark = json.loads(mark_path.read_text())
    mark["content"]["ends"] = list(reversed(mark["content"]["ends"]))
    mark["live"] = [0, 0, 0, 0]  # force the content path
    mark_path.write_text(json.dumps(mark))
    assert chainmark.check(ledger).how == "full"


def test_a_bulk_append_is_verified_once_and_an_edit_in_it_is_named(tmp_path: Path) -> None:
    """A batch larger than a segment moves the key to its end; an edited record in the batch is reported."""
    ledger = Ledger(tmp_path / "a")
    _grow(ledger, 2)
    ledger.append_many([{"kind": "note", "payload": {"text": f"bulk {i:04d}"}} for i in range(100)])
    status = chainmark.check(ledger)
    assert status.ok and status.how == "appended" and status.reread == 100
    assert _content(ledger)["size"] == ledger.path.stat().st_size
    other = Ledger(tmp_path / "b")
    _grow(other, 2)
    other.append_many([{"kind": "note", "payload": {"text": f"bulk {i:04d}"}} for i in range(100)])
    data = other.path.read_bytes()
    other.path.write_bytes(data.replace(b'"bulk 0050"', b'"bulk 5050"', 1))
    status = chainmark.check(other)
    assert not status.ok and "was changed after it was written" in status.problems[0]
    key = _content(other)
    assert key is None or key["size"] < other.path.stat().st_size  # never moved over the edit
