"""Foundation figures at 100k ledger records (prints; asserts nothing).

Targets (issue 2): projection read <= 10 ms in process; one append <= 2 ms median;
mapping 10k files x 50 globs <= 100 ms; `deploystate state` whole process, beside `python -c pass`.
Run: python bench/bench_state.py [--records N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploystate.state.view import cache
from deploystate.state.ledger import chain
from deploystate.state.ledger.ids import id_after, iso, utc_now
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.config.mapping import Change, affected

KINDS = ["attempt", "deploy", "verification", "session_start", "session_end", "note"]


def fill(ledger: Ledger, n: int) -> None:
    """Write n sealed records directly (faster than n appends) with realistic payloads."""
    ledger.ensure()
    prev, rid, lines = None, None, []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        payload = {"service": f"svc{i % 20}", "commit": f"{i:040x}", "verdict": "pass" if i % 3 else "fail",
                   "summary": f"attempt {i}: restart worker to fix event loop {i % 97}", "outcome": "failed",
                   "session_id": f"s{i // 6}", "files": [f"backend/app/f{i % 50}.py"]}
        rid = id_after(rid)
        rec = chain.seal({"id": rid, "ts": iso(utc_now()), "kind": kind, "author": {"kind": "agent"},
                          "commit": None, "payload": payload, "prev": prev})
        prev = rec["hash"]
        lines.append(chain.canonical(rec) + "\n")
    ledger.path.write_text("".join(lines), encoding="utf-8")


def timeit(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def process_ms(argv: list[str], cwd: Path, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, timeout=120)
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ds-bench-"))
    try:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / "deploystate.toml").write_text('[project]\nname = "bench"\n')
        led = Ledger(root / ".deploystate")
        t = time.perf_counter()
        fill(led, args.records)
        print(f"records: {args.records} ({led.path.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - t:.1f} s)")
        rebuild = timeit(lambda: cache.load(led), 1)[0]
        print(f"projection full rebuild (cold cache): {rebuild:.0f} ms")
        reads = timeit(lambda: cache.load(led), 50)
        print(f"projection read, fresh cache: median {statistics.median(reads):.2f} ms (target <= 10 ms)")
        appends = timeit(lambda: led.append("note", {"bench": True}), 200)
        print(f"one append (lock + fsync): median {statistics.median(appends):.2f} ms, "
              f"p95 {sorted(appends)[189]:.2f} ms (target <= 2 ms median)")
        incr = timeit(lambda: (led.append("note", {}), cache.load(led)), 50)
        print(f"append + incremental projection update: median {statistics.median(incr):.2f} ms")

        services = {f"svc{i}": [f"services/svc{i}/**", f"shared/lib{i % 7}/*.py"] for i in range(25)}
        files = [Change(f"services/svc{i % 40}/mod{i}/file{i}.py") for i in range(10_000)]
        maps = timeit(lambda: affected(files, services, [([".env"], "env")]), 5)
        print(f"mapping 10k files x 50 globs: median {statistics.median(maps):.1f} ms (target <= 100 ms)")

        py = process_ms([sys.executable, "-c", "pass"], root)
        print(f"python -c pass: {py:.0f} ms (for scale)")
        exe = shutil.which("deploystate") or str(Path(sys.executable).with_name("deploystate"))
        if os.path.exists(exe):
            st = process_ms([exe, "state"], root)
            js = process_ms([exe, "state", "--json"], root)
            print(f"`deploystate state` whole process: {st:.0f} ms; --json: {js:.0f} ms")
        else:
            print("`deploystate state`: console script not found (pip install -e .)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
