"""The ledger under real concurrency and real crashes (separate processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploystate.state.ledger.ledger import Ledger

WRITER = """
import sys
from deploystate.state.ledger.ledger import Ledger
led = Ledger(sys.argv[1])
n = int(sys.argv[2])
for i in range(n):
    led.append("note", {"writer": sys.argv[3], "i": i, "pad": "x" * 200})
"""


def test_eight_processes_appending_lose_nothing(tmp_path: Path) -> None:
    """8 processes x 500 appends give 4000 records, each once, and a valid chain."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "500", str(w)]) for w in range(8)]
    for p in procs:
        assert p.wait(timeout=240) == 0
    led = Ledger(tmp_path)
    res = led.read()
    assert len(res.records) == 4000 and not res.problems
    assert len({(r["payload"]["writer"], r["payload"]["i"]) for r in res.records}) == 4000
    report = led.verify()
    assert report.ok and report.forks == 0


def test_sigkilled_writers_leave_every_complete_record_readable(tmp_path: Path) -> None:
    """SIGKILL a writer mid-loop 20 times: complete records all read, any torn line is quarantined."""
    for round_ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "100000", f"k{round_}"])
        deadline = time.monotonic() + 10
        led = Ledger(tmp_path)
        while time.monotonic() < deadline and (not led.path.exists() or led.path.stat().st_size < 4096 * (round_ + 1)):
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # Simulate the worst case the kernel allows: a write cut part-way through a line.
        if round_ % 4 == 0:
            with open(led.path, "ab") as fh:
                fh.write(b'{"id":"torn","kind":"no')
    led = Ledger(tmp_path)
    res = led.read()
    assert res.records, "the writers wrote something"
    led.append("note", {"after": "crashes"})
    report = led.verify()
    assert report.ok, report.problems[:3]
    quarantined = led.quarantine_path.read_text().splitlines() if led.quarantine_path.exists() else []
    assert len(quarantined) >= 5  # the five simulated torn writes at least
    per_writer: dict[str, list[int]] = {}
    for r in led.read().records:
        if "writer" in r["payload"]:
            per_writer.setdefault(r["payload"]["writer"], []).append(r["payload"]["i"])
    for seq in per_writer.values():
        assert seq == list(range(len(seq)))  # no record of a writer is lost before its last one
