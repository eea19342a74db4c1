"""Acknowledged means on disk: append bytes whole or not at all (standard library only).

``os.write`` may write fewer bytes than asked (a full disk, a signal) and says so
only in its return value; ENOSPC may come on the first byte or the last. Either
way the caller must not hand out a record id, and the file must not keep half a
line that the next reader would have to set aside.
"""

from __future__ import annotations

import errno
import os
TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any, Callable

from deploystate.state.errors import LedgerError


def append_whole(path: str | os.PathLike[str], data: bytes,
                 alongside: Callable[[int], Any] | None = None) -> tuple[int, int]:
    """Append ``data`` to ``path`` and fsync; returns (size before, size after).

    On a short write or any OSError the file is cut back to its size before the
    call (and fsynced) and LedgerError is raised: nothing was recorded.
    ``alongside(size before)`` runs while the bytes are fsynced, once they are written (the anchor
    prepares its own durable write then: one wait for the disk instead of two in a row); it must not
    raise, and what it returns gets ``.commit()`` after the fsync succeeded, else ``.abort()``."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        before = os.fstat(fd).st_size  # the caller holds the ledger lock: nobody else appends
        pending = None
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                if n <= 0:
                    raise OSError(errno.EIO, "the write made no progress")
                view = view[n:]
            if alongside is None:
                os.fsync(fd)
            else:
                pending = _fsync_while(fd, lambda: alongside(before))
        except OSError as exc:
            if pending is not None:
                pending.abort()
            _cut_back(fd, before)
            why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror or str(exc)
            raise LedgerError(f"could not write to {path}: {why}; nothing was recorded",
                              "free some space (or fix the state directory's permissions) and run the "
                              "command again") from exc
        if pending is not None:
            pending.commit()
        return before, before + len(data)
    finally:
        os.close(fd)


def _fsync_while(fd: int, work: Callable[[], Any]) -> Any:
    """fsync ``fd`` on a helper thread while ``work()`` runs here; its result, or the fsync's OSError
    (with ``work``'s result aborted first). Returns only once the fsync finished.

    A bare ``_thread`` with a lock, not ``threading.Thread``: ``Thread.start()`` blocks until the new
    thread has run, which on a loaded machine (or beside an MCP server's event loop holding the GIL) took
    3.5 ms at the median per append, longer than the fsync; here the caller goes straight on to ``work``."""
    import _thread

    failed: list[OSError] = []
    done = _thread.allocate_lock()
    done.acquire()

    def sync() -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            failed.append(exc)
        finally:
            done.release()

    try:
        _thread.start_new_thread(sync, ())
    except RuntimeError:  # no thread to be had: the same fsync, before the work instead of beside it
        sync()
    try:
        result = work()
    finally:
        done.acquire()  # the fsync has finished (or failed): only then is anything acknowledged
    if failed:
        if result is not None:
            result.abort()
        raise failed[0]
    return result


def _cut_back(fd: int, size: int) -> None:
    # Shrinking needs no free blocks, so this works on a full disk; if it cannot, the torn
    # line is quarantined by the next writer (tail.repair) and never read as a record.
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass
