"""Derived files written after the reply: the server's record and read calls return first, then this
process brings the projection cache, the chain mark, the stored observation and DEPLOYMENT_STATE.md up
to date, always before it exits.

Why it is safe: none of these files is read as truth. The projection cache and the chain mark are keyed
to the ledger's bytes (size, tail hash, stat), so a lagging one is caught up from the records after it;
the stored observation only ever lags (an older answer reads older, never better); the state file says
how many records it was rendered from, and is deferred only for what cannot change its status line
(``store.DEFERRABLE``: attempts, notes and sessions; a deploy or a verdict is rendered before the reply).
A crash in the window leaves a state file that is stale, not wrong: the next write or read re-renders it.

Work is coalesced: many records in a burst are rendered once, when the server has been quiet for
``QUIET`` seconds or at most ``MAX_LAG`` seconds after the first waiting one; ``flush()`` runs what is
waiting now (at exit, on SIGTERM, and before any synchronous render so the order of writes is kept).

The background run never overlaps a tool call that writes (``writing``): its integrity check would stat
the ledger between that call's write and its entry in the append log, find growth no logged append
explains, and re-hash the whole ledger by content (~60 ms of CPU per run at 100k records, every run
while calls come back to back). It waits for the call to end instead; a call that writes waits for a
run in progress (a few ms).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from deploystate.state.config.project import Project

QUIET = 0.03
MAX_LAG = 0.5

Job = Callable[[], None]


class Deferred:
    """One background thread that runs the latest job per key, after a quiet moment."""

    def __init__(self, quiet: float = QUIET, max_lag: float = MAX_LAG) -> None:
        self.quiet, self.max_lag = quiet, max_lag
        self._cond = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._first = self._last = 0.0
        self._running = threading.Lock()  # held while jobs run: flush() waits for a run in progress
        self._thread: threading.Thread | None = None
        self._writers = 0          # tool calls that write, under way now (``writing``)
        self._background = False   # the background thread is running jobs
        self.runs = 0

    def schedule(self, key: str, job: Job) -> None:
        """Run ``job`` soon, after the reply; a later job with the same key replaces this one."""
        with self._cond:
            now = time.monotonic()
            idle = not self._jobs
            if idle:
                self._first = now
            self._jobs[key] = job
            self._last = now
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="deploystate-derived", daemon=True)
                self._thread.start()
            if idle:  # else it is already waiting for a deadline, and reads ``_last`` again when it wakes: a
                self._cond.notify()  # wake-up per call would hand it the GIL while the call still runs

    def touch(self) -> None:
        """A call is under way: wait for quiet a little longer (never past ``max_lag``)."""
        with self._cond:
            if self._jobs:
                self._last = time.monotonic()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a tool call that may append: the background run waits for it to end (and it waits for a
        background run in progress). Many such calls may run at once; a ``flush()`` they make runs as ever."""
        with self._cond:
            while self._background:
                self._cond.wait()
            self._writers += 1
        try:
            yield
        finally:
            with self._cond:
                self._writers -= 1
                self._last = time.monotonic()  # quiet is counted from the end of the write
                self._cond.notify_all()

    def pending(self) -> bool:
        with self._cond:
            return bool(self._jobs)

    def _take(self) -> dict[str, Job]:
        with self._cond:
            jobs, self._jobs = self._jobs, {}
            return jobs

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._jobs:
                    self._cond.wait()
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.max_lag)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                if self._writers:
                    self._cond.wait()  # woken when the write ends
                    continue
                self._background = True
            try:
                self.flush()
            finally:
                with self._cond:
                    self._background = False
                    self._cond.notify_all()

    def flush(self) -> None:
        """Run every waiting job now, in this thread (a job's failure is said on stderr, never raised)."""
        with self._running:
            for key, job in self._take().items():
                try:
                    job()
                except Exception as exc:  # a derived file must never take the server down
                    print(f"deploystate serve: could not refresh {key}: {type(exc).__name__}: {exc}",
                          file=sys.stderr)
            self.runs += 1


_DEFERRED: Deferred | None = None


def install() -> Deferred:
    """The process's Deferred, created once, flushed at exit and on SIGTERM."""
    global _DEFERRED
    if _DEFERRED is None:
        _DEFERRED = Deferred()
        atexit.register(final_flush, _DEFERRED)
        _on_sigterm(_DEFERRED)
    return _DEFERRED


def final_flush(deferred: Deferred) -> None:
    """What waits, then the projection cache the server held in memory (``cache.hold_writes``)."""
    from deploystate.state.view import cache

    deferred.flush()
    try:
        cache.flush_held()
    except Exception as exc:  # at exit: said, never raised (the next process replays from an older file)
        print(f"deploystate serve: could not write the projection cache: {type(exc).__name__}: {exc}",
              file=sys.stderr)


def current() -> Deferred | None:
    return _DEFERRED


def writing(writes: bool = True) -> contextlib.AbstractContextManager[None]:
    """``Deferred.writing`` of the process's Deferred for a call that ``writes``; else nothing to wait for."""
    return _DEFERRED.writing() if writes and _DEFERRED is not None else contextlib.nullcontext()


def _on_sigterm(deferred: Deferred) -> None:
    """SIGTERM (how clients stop a server) writes what is waiting, then ends the process as SIGTERM would."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):
        return
    if previous not in (signal.SIG_DFL, None):
        return  # someone else handles it (a test runner, an embedding program)

    def handler(signum: int, frame: object) -> None:
        final_flush(deferred)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        pass


def refresh_later(project: "Project") -> None:
    """``store.render_later``'s schedule: the stored observation, the chain mark, the projection cache
    and DEPLOYMENT_STATE.md of ``project``, after the reply (at once when no Deferred is installed)."""
    deferred = _DEFERRED
    if deferred is None:
        refresh_now(project)
        return
    deferred.schedule(f"the derived files of {project.root}", lambda: refresh_now(project))


def settle(project: "Project", view: dict) -> None:
    """Before a read replies: when the state file waiting to be re-rendered would say another status or
    verdict than ``view`` (what the runtimes just said), it is written now, not after the reply."""
    from deploystate.state.ledger import store

    deferred = _DEFERRED
    if deferred is not None and deferred.pending() and not store.shows(project, view):
        deferred.flush()


def refresh_now(project: "Project") -> None:
    from deploystate.state.drift import observations
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger import store

    observations.flush(project.state_dir)  # first: the state file shows the observation just taken
    store.refresh_derived(project)
    chainmark.flush(project.ledger)  # last: the render's own integrity check moves the mark on


def serve_deferred() -> Deferred:
    """Turn deferral on for this process (``deploystate serve``): records of ``store.DEFERRABLE`` kinds and
    observations are answered first, their derived files written right after; the projection cache is
    kept in memory and its file rewritten every ``cache.LAG`` records and at exit."""
    from deploystate.state.drift import observations
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger import store
    from deploystate.state.view import cache

    deferred = install()
    store.render_later(refresh_later)
    cache.hold_writes(True)
    observations.hold_writes(True)
    chainmark.hold_writes(True)
    return deferred
