"""Acknowledged means durable: a full disk or a short write records nothing and leaves no half line."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from deploystate.state.view import cache
from deploystate.state.ledger import durable
from deploystate.state.errors import LedgerError
from deploystate.state.ledger.ledger import Ledger


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 64 KiB tmpfs: appends run out of space for real (ENOSPC from the kernel)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True,
                         text=True, timeout=30)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def test_enospc_acknowledges_nothing_and_leaves_whole_lines(small_disk: Path):
    """Filling the disk: every acknowledged record is on disk whole, the failing one raises and left nothing."""
    ledger = Ledger(small_disk / "state")
    acked = []
    with pytest.raises(LedgerError, match="disk is full; nothing was recorded"):
        for i in range(10_000):
            acked.append(ledger.append("note", {"text": f"{i} " + "x" * 1500})["id"])
    data = ledger.path.read_bytes()
    assert data.endswith(b"\n")
    res = ledger.read()
    assert [r["id"] for r in res.records] == acked and not res.problems
    assert ledger.verify().ok
    assert not ledger.quarantine_path.exists()


def test_state_stays_readable_while_the_disk_is_full(small_disk: Path):
    """With no space left, the projection still loads (its cache just cannot be written)."""
    ledger = Ledger(small_disk / "state")
    ledger.append("deploy", {"service": "api", "commit": "abc", "status": "restarted"})
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # take every block left
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    (ledger.dir / cache.CACHE).unlink(missing_ok=True)
    loaded = cache.load(ledger)
    assert loaded.state["services"]["api"]["deploy"]["status"] == "restarted"
    with pytest.raises(LedgerError):
        ledger.append("note", {"text": "y" * 4000})
    assert len(ledger.read().records) == 1


def test_a_short_write_is_completed_not_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """os.write returning fewer bytes than asked: the rest is written before the append returns."""
    real = os.write
    monkeypatch.setattr(durable.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    path = tmp_path / "f"
    assert durable.append_whole(path, b"0123456789abcdef\n") == (0, 17)
    assert path.read_bytes() == b"0123456789abcdef\n"


def test_a_write_that_stops_mid_line_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A write that fails after part of the line: LedgerError, and the file is back to its old size."""
    path = tmp_path / "f"
    path.write_bytes(b"old\n")
    real, calls = os.write, []

    def flaky(fd, data):
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, bytes(data[:5]))

    monkeypatch.setattr(durable.os, "write", flaky)
    with pytest.raises(LedgerError, match="disk is full"):
        durable.append_whole(path, b"new record line\n")
    assert path.read_bytes() == b"old\n"


class _Prepared:
    """What ``alongside`` returns: told to commit or abort, with the order of events."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def commit(self) -> None:
        self.events.append("commit")

    def abort(self) -> None:
        self.events.append("abort")


def test_the_work_beside_the_fsync_is_committed_only_after_the_fsync_finished(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """append_whole returns, and the prepared anchor commits, only once the helper thread's fsync is done."""
    import threading

    real, events, release = os.fsync, [], threading.Event()

    def slow_fsync(fd):
        release.wait(60)  # held until the work beside it has run: it cannot finish first by luck
        real(fd)
        events.append("fsync")

    def work(before):
        events.append("work")
        release.set()
        return _Prepared(events)

    monkeypatch.setattr(durable.os, "fsync", slow_fsync)
    assert durable.append_whole(tmp_path / "f", b"line\n", work) == (0, 5)
    assert events == ["work", "fsync", "commit"]


def test_an_fsync_that_fails_on_the_helper_aborts_the_work_and_records_nothing(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch):
    """EIO from the helper thread's fsync: the prepared anchor is aborted, LedgerError, the line cut back."""
    path = tmp_path / "f"
    path.write_bytes(b"old\n")
    events: list[str] = []
    calls = []

    def failing(fd):
        calls.append(fd)
        if len(calls) == 1:  # the append's own fsync; the cut back's fsync succeeds
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(durable.os, "fsync", failing)
    with pytest.raises(LedgerError, match="Input/output error"):
        durable.append_whole(path, b"new record line\n", lambda before: _Prepared(events))
    assert events == ["abort"] and path.read_bytes() == b"old\n"
