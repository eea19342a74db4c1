"""An edit inside the verified part of the ledger followed by an append is not taken for growth: the chain
mark's fast path is used only for growth the appends themselves logged (state/tamper/appendlog.py)."""

from __future__ import annotations

from pathlib import Path

from deploystate.state.tamper import appendlog, chainmark
from deploystate.state.ledger.ledger import Ledger


def _ledger(tmp_path: Path, n: int = 40) -> Ledger:
    ledger = Ledger(tmp_path / "state")
    for i in range(n):
        ledger.append("verification", {"service": f"svc{i % 4}", "verdict": "fail", "commit": "a" * 40})
    assert chainmark.check(ledger).ok
    return ledger


def _edit_middle(ledger: Ledger) -> None:
    """Turn one fail verdict in the middle into a pass, same length, as `sed -i` would."""
    lines = ledger.path.read_bytes().splitlines(keepends=True)
    mid = len(lines) // 2
    lines[mid] = lines[mid].replace(b'"verdict":"fail"', b'"verdict":"pass"')
    assert b'"pass"' in lines[mid]
    ledger.path.write_bytes(b"".join(lines))


def test_an_edit_in_the_middle_then_an_append_is_reported(tmp_path: Path) -> None:
    """sed on a verified record, then any append through the store: the check names the broken record."""
    ledger = _ledger(tmp_path)
    _edit_middle(ledger)
    ledger.append("note", {"text": "after the edit"})
    status = chainmark.check(ledger)
    assert not status.ok and status.how != "appended"
    assert status.problems


def test_appends_in_a_row_take_the_fast_path(tmp_path: Path) -> None:
    """Several appends with no check between them are one logged run: only the new records are read."""
    ledger = _ledger(tmp_path)
    for i in range(5):
        ledger.append("note", {"text": f"n{i}"})
    status = chainmark.check(ledger)
    assert (status.ok, status.how, status.reread) == (True, "appended", 5)


def test_a_missing_or_garbled_log_verifies_the_slow_way_and_still_finds_an_edit(tmp_path: Path) -> None:
    """Without the log (git clean, a read-only folder, junk) growth is re-hashed, never trusted."""
    ledger = _ledger(tmp_path)
    log = Path(ledger.anchor_dirname) / appendlog.LOG
    ledger.append("note", {"text": "one"})
    log.write_text("garbage\n1,2 3\n")
    status = chainmark.check(ledger)
    assert status.ok and status.how != "appended"
    _edit_middle(ledger)
    ledger.append("note", {"text": "two"})
    log.unlink()
    assert not chainmark.check(ledger).ok


def test_an_edit_between_two_logged_appends_breaks_the_run(tmp_path: Path) -> None:
    """Append, edit, append: the second append's before-stat is not the first one's after-stat."""
    ledger = _ledger(tmp_path)
    ledger.append("note", {"text": "one"})
    _edit_middle(ledger)
    ledger.append("note", {"text": "two"})
    assert not chainmark.check(ledger).ok


def test_explains_follows_a_run_and_nothing_else() -> None:
    """The walk reaches the goal only through logged steps, and a cycle in a hostile log ends."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, appendlog.LOG), "w") as fh:
            fh.write("1,1,1,1 2,2,1,2\n2,2,1,2 3,3,1,3\n9,9,9,9 9,9,9,9\n")
        assert appendlog.explains(folder, [1, 1, 1, 1], [3, 3, 1, 3])
        assert not appendlog.explains(folder, [1, 1, 1, 1], [4, 4, 1, 4])
        assert not appendlog.explains(folder, [9, 9, 9, 9], [1, 1, 1, 1])
        assert not appendlog.explains(folder, [5, 5, 5, 5], [3, 3, 1, 3])


def test_a_full_log_starts_again_and_still_explains_the_next_append(tmp_path: Path, monkeypatch) -> None:
    """Past MAX_BYTES the log is emptied before the next line: it stays small and that append is still seen."""
    monkeypatch.setattr(appendlog, "MAX_BYTES", 200)
    ledger = _ledger(tmp_path, 4)
    for i in range(6):
        ledger.append("note", {"text": f"n{i}"})
    log = Path(ledger.anchor_dirname) / appendlog.LOG
    assert log.stat().st_size <= 200 + 120
    assert chainmark.check(ledger).ok  # the run back to the mark may be cut: verified the slow way then
    ledger.append("note", {"text": "last"})
    assert chainmark.check(ledger).how == "appended"


def _append_during_the_next_read(ledger: Ledger, monkeypatch, edit: bool = False) -> None:
    """Another process's append (optionally after an edit) lands between the check's stat and its read."""
    other = Ledger(ledger.path.parent)
    real = Ledger.read

    def read(self, *args, **kwargs):
        monkeypatch.setattr(Ledger, "read", real)
        if edit:
            _edit_middle(other)
        other.append("note", {"text": "appended while the check was reading"})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "read", read)


def test_an_append_during_the_read_leaves_a_mark_the_next_check_reuses(tmp_path: Path, monkeypatch) -> None:
    """The growth the check read is keyed on the stat after it (the log explains it): no re-hash next time."""
    ledger = _ledger(tmp_path)
    ledger.append("note", {"text": "one"})
    _append_during_the_next_read(ledger, monkeypatch)
    status = chainmark.check(ledger)
    assert (status.ok, status.how, status.reread) == (True, "appended", 2)
    again = chainmark.check(ledger)
    assert (again.ok, again.how) == (True, "unchanged")


def test_an_edit_and_append_during_the_read_is_not_keyed_as_verified(tmp_path: Path, monkeypatch) -> None:
    """An edit of the verified prefix in the same window breaks the log's run: the next check still finds it."""
    ledger = _ledger(tmp_path)
    ledger.append("note", {"text": "one"})
    _append_during_the_next_read(ledger, monkeypatch, edit=True)
    chainmark.check(ledger)
    again = chainmark.check(ledger)
    assert not again.ok and again.how != "unchanged"
