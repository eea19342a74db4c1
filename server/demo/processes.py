"""Stop every process the demo started, whatever happened (finished, failed, Ctrl-C).

The control script appends each pid it starts to ``run/started.pids``; every one of them
leads its own process group (a new session), so a stop takes the group. A pid is signalled
only while ``/proc`` still shows one of the demo's programs under it: a recycled pid belongs to
someone else.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from deploystate.platforms.command.command import process_alive

GRACE = 3.0


def started_pids(run_dir: Path) -> list[int]:
    """Every pid the control script ever started in this demo, oldest first."""
    try:
        lines = (run_dir / "started.pids").read_text().splitlines()
    except OSError:
        return []
    pids = []
    for line in lines:
        head = line.split(" ", 1)[0]
        if head.isdigit():
            pids.append(int(head))
    return pids


def running_under(root: Path) -> list[int]:
    """Processes whose command line runs one of the demo's programs under ``root`` (from /proc): the
    safety net for a process started just before an interrupt, before its pid was written down."""
    programs = [str(root / "api" / "server.py"), str(root / "worker" / "worker.py")]
    found = []
    try:
        entries = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(arg in programs for arg in cmdline):
            found.append(int(entry))
    return found


alive = process_alive  # one definition of a live process, shared with the command platform


def _ours(pid: int, root: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return True  # no /proc (macOS): the pid file is the only evidence there is
    return str(root) in cmdline


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_all(root: Path) -> list[int]:
    """SIGTERM, then SIGKILL after a grace period, to every demo process still running; returns the
    pids that are still alive afterwards (normally none)."""
    known = dict.fromkeys(started_pids(root / "run") + running_under(root))
    pids = [p for p in known if alive(p) and _ours(p, root)]
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in pids:
        if alive(pid):
            _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 1.0
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [p for p in pids if alive(p)]


class Interrupted(BaseException):
    """A termination signal arrived (SIGTERM, SIGHUP): unwind through every ``finally``."""


@contextmanager
def signals_unwind() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception so cleanup runs (Ctrl-C already raises
    KeyboardInterrupt); the previous handlers come back afterwards."""
    def raise_interrupted(signum: int, frame: object) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, raise_interrupted)
    except ValueError:  # not the main thread: only the finally blocks protect us then
        previous = {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
