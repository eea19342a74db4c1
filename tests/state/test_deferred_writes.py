"""Writes a long-running process may hold (chain mark, observation) and the anchor's head written while
the records are fsynced: nothing is ever ahead of what is durable, and a lagging file still verifies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deploystate.state.drift import observations
from deploystate.state.errors import LedgerError
from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger import durable
from deploystate.state.ledger.ledger import Ledger


@pytest.fixture
def held():
    chainmark.hold_writes(True)
    observations.hold_writes(True)
    yield
    chainmark.hold_writes(False)
    observations.hold_writes(False)


def _ledger(tmp_path: Path, n: int = 3) -> Ledger:
    ledger = Ledger(tmp_path / "state", anchor_dir=tmp_path / "anchor")
    for i in range(n):
        ledger.append("note", {"text": f"n{i}"})
    return ledger


def _fd_name(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def test_the_anchor_moves_only_after_the_records_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The anchor's new head is renamed into place after the ledger's fsync returned, never before."""
    ledger = _ledger(tmp_path, 1)
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        real_fsync(fd)
        events.append("fsync " + Path(_fd_name(fd)).name)

    def replace(src, dst):
        real_replace(src, dst)
        events.append("replace " + Path(dst).name)

    monkeypatch.setattr(durable.os, "fsync", fsync)
    monkeypatch.setattr(anchor.os, "replace", replace)
    ledger.append("note", {"text": "second"})
    assert "fsync ledger.jsonl" in events and "replace anchor.json" in events
    assert events.index("fsync ledger.jsonl") < events.index("replace anchor.json")
    assert anchor.read(ledger)["chain"]["live_size"] == ledger.path.stat().st_size
    assert anchor.problems(ledger) == []


def test_a_failed_fsync_records_nothing_and_leaves_the_anchor_where_it_was(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    """The ledger's fsync fails: LedgerError, the file cut back, the anchor unchanged, no temp file left,
    and the anchor's lock free for the next append."""
    ledger = _ledger(tmp_path, 2)
    size, head = ledger.path.stat().st_size, anchor.read(ledger)["chain"]
    real_fsync = os.fsync

    def fsync(fd):
        if _fd_name(fd).endswith("ledger.jsonl") and ledger.path.stat().st_size > size:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(durable.os, "fsync", fsync)
    with pytest.raises(LedgerError):
        ledger.append("note", {"text": "lost"})
    assert ledger.path.stat().st_size == size and anchor.read(ledger)["chain"] == head
    assert not [p for p in ledger.anchor_dir.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(durable.os, "fsync", real_fsync)
    ledger.append("note", {"text": "kept"})
    assert anchor.read(ledger)["chain"]["live_size"] == ledger.path.stat().st_size


def test_a_held_chain_mark_is_written_by_flush_and_a_lagging_one_still_verifies(tmp_path: Path, held):
    """While held, check() keeps its verdict in memory; flush writes it; a reader of the older file on disk
    verifies only what came after it, and still finds an edited record."""
    ledger = _ledger(tmp_path)
    assert chainmark.check(ledger).ok
    assert not (ledger.anchor_dir / chainmark.MARK).exists()
    chainmark.flush(ledger)
    on_disk = json.loads((ledger.anchor_dir / chainmark.MARK).read_text())
    assert on_disk["live"][0] == ledger.path.stat().st_size
    ledger.append("note", {"text": "after the flush"})
    assert chainmark.check(ledger).how == "appended"
    chainmark.hold_writes(False)  # another process: only the (older) file on disk
    lagging = chainmark.check(ledger)
    assert lagging.ok and lagging.how == "appended" and lagging.reread == 1
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b"after the flush", b"after the flush, edited")
    ledger.path.write_bytes(b"".join(lines))
    assert not chainmark.check(ledger).ok


def test_a_held_observation_is_read_back_and_written_by_flush(tmp_path: Path, held):
    """keep() holds the observation in memory (load returns it); flush() writes it to the file."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    data = {"version": observations.VERSION, "at": "2026-12-02T04:00:00.000000Z", "services": {"web": {"at": "x"}}}
    assert observations.keep(state_dir, data)
    assert not observations.path(state_dir).exists() and observations.load(state_dir) == data
    assert observations.flush(state_dir)
    assert json.loads(observations.path(state_dir).read_text()) == data
    assert not observations.flush(state_dir)   # nothing held any more
