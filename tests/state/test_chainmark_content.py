"""The chain verdict is keyed on content: it survives a copy, and doctor's deep check sees a hidden edit."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from deploystate.state.tamper import chainmark
from deploystate.state.ledger.ledger import Ledger


def _ledger(path: Path, n: int = 30) -> Ledger:
    ledger = Ledger(path)
    for i in range(n):
        ledger.append("note", {"text": f"note {i}"})
    assert chainmark.check(ledger).how == "full"
    return ledger


def test_a_copy_reuses_the_verification_by_content(tmp_path: Path):
    """After `cp -a` (new inodes) the verified bytes are re-hashed, not every record re-verified."""
    _ledger(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b", copy_function=shutil.copy2)
    copy = Ledger(tmp_path / "b")
    copy.append("note", {"text": "after the copy"})
    status = chainmark.check(copy)
    assert status.ok and status.how == "content" and status.records == 31
    assert chainmark.check(copy).how == "unchanged"


def test_deep_check_sees_an_edit_that_kept_size_and_mtime(tmp_path: Path):
    """An edit of the same length with the mtime put back is seen by the deep check and by the hooks' key."""
    ledger = _ledger(tmp_path / "a")
    st = ledger.path.stat()
    data = ledger.path.read_bytes().replace(b'"note 3"', b'"note X"', 1)
    ledger.path.write_bytes(data)
    os.utime(ledger.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    hooks = chainmark.check(ledger)  # the stat key the hooks use holds the ctime, which utime cannot restore
    assert not hooks.ok and "was changed after it was written" in hooks.problems[0]
    (ledger.anchor_dir / chainmark.MARK).unlink()
    chainmark.check(ledger)  # a fresh mark, written for the edited bytes...
    ledger.path.write_bytes(data.replace(b'"note 4"', b'"note Y"', 1))
    os.utime(ledger.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    deep = chainmark.check(ledger, deep=True)  # ...and doctor re-hashes whatever the stat says
    assert not deep.ok and "was changed after it was written" in deep.problems[0]
