"""state/ledger/flock.py: the ledger's and the anchor's write locks, without contextlib."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deploystate.state.ledger.flock import Flock

# Exit 0 when the lock file's exclusive lock is free (taken and dropped at once), 1 when someone holds it.
TRY = """import fcntl, sys
fh = open(sys.argv[1], "a+b")
try:
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


def _free(path) -> bool:
    return subprocess.run([sys.executable, "-I", "-c", TRY, str(path)], timeout=60).returncode == 0


def test_the_lock_is_held_for_the_block_only(tmp_path):
    """Inside the block another process cannot take the lock (its directory was created); after it, it can."""
    path = tmp_path / "state" / "ledger.lock"
    with Flock(path):
        assert path.parent.is_dir() and not _free(path)
    assert _free(path)


def test_an_error_in_the_block_releases_the_lock(tmp_path):
    """The block raising still drops the lock, and the error goes on."""
    path = tmp_path / "anchor.lock"
    with pytest.raises(RuntimeError):
        with Flock(path):
            raise RuntimeError("boom")
    assert _free(path)


def test_no_path_holds_nothing(tmp_path):
    """Flock(None) creates and locks nothing (a reader with no anchored state directory)."""
    with Flock(None):
        assert list(tmp_path.iterdir()) == []
