"""The anchor's head after a write: counted, prepared beside the ledger's fsync, then put in place.

Only writers load this module (appends, merges, seals, compaction); the readers that decide (hooks,
doctor, every tool's trust check) need ``anchor`` alone. Lock order as in ``anchor``: ``ledger.lock``
before ``anchor.lock``.
"""

from __future__ import annotations

import os

from deploystate.state.ledger import segments
from .anchor import LOCK, _locked, _size, _unlink, _write, _write_tmp, file_of, read
from deploystate.state.ledger.reading import hash_ending_at
from deploystate.ospath import join

TYPE_CHECKING = False  # not typing's (see anchor)
if TYPE_CHECKING:
    from typing import Any

    from deploystate.state.ledger.ledger import Ledger


def head_now(ledger: "Ledger", previous: dict[str, Any] | None, appended_lines: int = 0,
             before: int | None = None) -> dict[str, Any]:
    """The head to anchor after a write. ``before``: the live size before this append (lines are
    then counted incrementally); without it the files are counted (first anchor, compaction)."""

    head: dict[str, Any] = {"dir": ledger.key}
    prev = previous or {}
    if before is not None and "segments" in prev:
        head["segments"] = prev["segments"]  # only compaction seals (``before`` None): an append keeps them
    elif segments.present(ledger):
        head["segments"] = segments.anchored(ledger)
    for what, path in (("live", ledger.file), ("archive", ledger.archive_file)):
        size = _size(path)
        if what == "live" and before is not None and prev.get("live_size") is not None \
                and prev["live_size"] <= before:
            lines = (prev.get("live_lines") or 0) + count_lines(path, prev["live_size"], before) + appended_lines
        elif what == "archive" and prev.get("archive_size") == size:
            lines = prev.get("archive_lines") or 0
        else:
            lines = count_lines(path, 0, size)
        head.update({f"{what}_size": size, f"{what}_tail": hash_ending_at(path, size), f"{what}_lines": lines})
    return head


def count_lines(path: str | os.PathLike[str], start: int, end: int) -> int:
    """Newlines in ``path`` between byte ``start`` and ``end``, read in 1 MiB chunks."""
    if end <= start:
        return 0
    with open(path, "rb") as fh:
        fh.seek(start)
        left, n = end - start, 0
        while left > 0:
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                break
            n += chunk.count(b"\n")
            left -= len(chunk)
    return n


class PreparedHead:
    """The anchor's new head written to its temp file and fsynced, under ``anchor.lock``, not yet in place:
    ``commit()`` renames it (once the records it names are durable), ``abort()`` drops it. Neither raises:
    an anchor that stays behind its ledger still verifies."""

    def __init__(self, ledger: "Ledger", head: dict[str, Any]) -> None:
        self._ledger, self._tmp, self._lock = ledger, None, None  # type: ignore[var-annotated]
        os.makedirs(ledger.anchor_dirname, exist_ok=True)
        self._lock = open(join(ledger.anchor_dirname, LOCK), "a+b")
        try:
            import fcntl  # here: only a write prepares a head

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX)
            data = read(ledger)
            if "unreadable" not in data:
                self._tmp = _write_tmp(ledger, {**data, "chain": head}, True)
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        try:
            if self._tmp is not None:
                os.replace(self._tmp, file_of(self._ledger))
                self._tmp = None
        except OSError:
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        if self._tmp is not None:
            _unlink(self._tmp)
            self._tmp = None
        if self._lock is not None:
            import fcntl

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def prepare_head(ledger: "Ledger", head: dict[str, Any]) -> PreparedHead | None:
    """``set_head`` in two steps (``PreparedHead``); None when it cannot be prepared (the anchor lags)."""
    try:
        prepared = PreparedHead(ledger, head)
    except OSError:
        return None
    return prepared


def set_head(ledger: "Ledger", head: dict[str, Any]) -> None:
    """Anchor ``head``. Called with ``ledger.lock`` held (appends, merges, compaction)."""
    with _locked(ledger):
        data = read(ledger)
        if "unreadable" in data:
            return
        data["chain"] = head
        _write(ledger, data)
