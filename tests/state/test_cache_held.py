"""The projection cache a long-running process holds in memory (``cache.hold_writes``): keyed to the
ledger's bytes like the file, its file rewritten only every ``LAG`` records and at ``flush_held``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploystate.state.view import cache, projection
from deploystate.state.ledger.ledger import Ledger


@pytest.fixture
def held():
    cache.hold_writes(True)
    yield
    cache.hold_writes(False)


def _ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "state", anchor_dir=tmp_path / "anchor")
    ledger.ensure()
    (tmp_path / "anchor").mkdir(exist_ok=True)
    return ledger


def _attempt(ledger: Ledger, summary: str, outcome: str = "failed") -> dict:
    return ledger.append("attempt", {"summary": summary, "hypothesis": None, "files": [], "services": ["web"],
                                     "outcome": outcome, "evidence": None, "signature": None, "similar_to": []})


def _replayed(ledger: Ledger) -> dict:
    return projection.build(ledger.read(include_archive=True).records)


def _file_size(ledger: Ledger) -> int:
    return json.loads((ledger.dir / cache.CACHE).read_text())["ledger_size"]


def test_a_held_cache_follows_every_append_and_writes_its_file_every_lag_records(tmp_path, held):
    """Each load equals a full replay; the file is rewritten once LAG records piled up, and at flush_held."""
    ledger = _ledger(tmp_path)
    _attempt(ledger, "first")
    cache.load(ledger)
    written = _file_size(ledger)
    for i in range(cache.LAG - 1):
        _attempt(ledger, f"try {i}")
        assert cache.load(ledger).state == _replayed(ledger)
    assert _file_size(ledger) == written  # LAG - 1 behind: not rewritten yet
    _attempt(ledger, "the one that fills the lag")
    assert cache.load(ledger).state == _replayed(ledger)
    assert _file_size(ledger) == ledger.path.stat().st_size
    _attempt(ledger, "after the write")
    cache.load(ledger)
    assert _file_size(ledger) < ledger.path.stat().st_size
    cache.flush_held()
    assert _file_size(ledger) == ledger.path.stat().st_size
    cache.hold_writes(False)  # another process: only the file, which must be the same state
    assert cache.load(ledger, write=False).state == _replayed(ledger)


def test_a_held_state_is_not_believed_once_the_bytes_it_was_taken_from_changed(tmp_path, held):
    """The last record replaced by another of the same length (same size, another hash): replayed."""
    ledger = _ledger(tmp_path)
    _attempt(ledger, "kept")
    before = ledger.path.stat().st_size
    _attempt(ledger, "aaaa", outcome="failed")
    assert cache.load(ledger).state["attempts"]["failed"] == 2
    size = ledger.path.stat().st_size
    os.truncate(ledger.path, before)
    _attempt(ledger, "bbbb", outcome="worked")
    assert ledger.path.stat().st_size == size  # the same byte count: only the tail's hash tells them apart
    loaded = cache.load(ledger)
    assert loaded.state == _replayed(ledger) and loaded.state["attempts"]["failed"] == 1


def test_every_load_of_a_held_state_is_its_own_copy(tmp_path, held):
    """A caller that changes the state it was given changes nothing another load sees."""
    ledger = _ledger(tmp_path)
    _attempt(ledger, "one")
    first = cache.load(ledger).state
    first["attempts"]["failed"] = 99
    first["services"].clear()
    _attempt(ledger, "two")
    second = cache.load(ledger).state
    second["records"] = -1
    assert cache.load(ledger).state == _replayed(ledger)


def test_a_held_state_is_dropped_by_a_compaction_or_a_cut(tmp_path, held):
    """The ledger shorter than the held state (records cut): the state is replayed, not kept."""
    ledger = _ledger(tmp_path)
    _attempt(ledger, "one")
    cut = ledger.path.stat().st_size
    _attempt(ledger, "two")
    assert cache.load(ledger).state["attempts"]["total"] == 2
    os.truncate(ledger.path, cut)
    assert cache.load(ledger).state == _replayed(ledger)
    assert cache.load(ledger).state["attempts"]["total"] == 1
