"""Foundation figures at 100k ledger records (prints; asserts nothing).

Targets (issue 2): projection read <= 10 ms in process; one append <= 2 ms median;
mapping 10k files x 50 globs <= 100 ms; `deploystate state` whole process, beside `python -c pass`.
Issue 13: `deploystate state` and `render` whole process <= 3x `python -c pass`, read as CPU time (user +
system of the process and its children; the machine is shared). The processes run with bytecode caching
on (PYTHONDONTWRITEBYTECODE unset, one warm-up run first), as an installed package runs; the run after an
edit of deploystate.toml is printed beside it (every run validates the file; the edit only changes its text).
Run: python bench/bench_state.py [--records N] [--rounds 9] [--instructions]
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

import proctime  # bench/proctime.py (this script's directory is on sys.path)
from deploystate.state.view import cache
from deploystate.state.ledger import chain
from deploystate.state.ledger.ids import id_after, iso, utc_now
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.config.mapping import Change, affected
from deploystate.state.config.project import Project

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


def process_ms(argv: list[str], cwd: Path, before=None) -> tuple[float, float]:
    """One run: (wall ms, CPU ms of the child: user + system)."""
    if before is not None:
        before()
    wall, cpu = proctime.run(argv, cwd, timeout=120)
    return wall * 1000, cpu * 1000


def bench_processes(exe: str, root: Path, rounds: int, count_instructions: bool) -> None:
    """Interleaved rounds of the floor and each command (all see the same load); medians of wall and CPU."""
    toml = root / "deploystate.toml"
    base = toml.read_text()
    edits = iter(range(10**6))

    def edit() -> None:  # a text no earlier run has read
        toml.write_text(f"{base}# edit {next(edits)}\n")

    served = root / "with-a-service"  # the same command where one service's runtime is asked
    served.mkdir(exist_ok=True)
    (served / "deploystate.toml").write_text('[project]\nname = "bench"\n\n[services.web]\nplatform = "command"\n'
                                            'paths = ["web/**"]\nrestart_cmd = ["true"]\nobserve_cmd = ["true"]\n')
    Project.discover(served).state_dir.mkdir(parents=True, exist_ok=True)
    cases = {"python -c pass": ([sys.executable, "-c", "pass"], None), "state": ([exe, "state"], None),
             "state --json": ([exe, "state", "--json"], None), "render": ([exe, "render"], None),
             "state after a config edit": ([exe, "state"], edit),
             "state, one command service asked": ([exe, "--root", str(served), "state"], None)}
    for argv, _ in cases.values():
        subprocess.run(argv, cwd=root, capture_output=True, timeout=300, env=proctime.ENV)  # warm-up: .pyc, caches
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (argv, before) in cases.items():
            got[name].append(process_ms(argv, root, before))
    if count_instructions:  # once each: the count does not depend on the load
        counts = {name: proctime.instructions(argv, root) for name, (argv, _) in cases.items()
                  if name != "state after a config edit"}
        edit()
        counts["state after a config edit"] = proctime.instructions([exe, "state"], root)
        floor = counts["python -c pass"]
        for name, n in counts.items():
            print(f"{name}: {n / 1e6:.0f}M instructions ({n / floor:.2f}x)" if n and floor else
                  f"{name}: instructions not counted (no valgrind)")
    toml.write_text(base)
    wall0 = statistics.median(w for w, _ in got["python -c pass"])
    cpu0 = statistics.median(c for _, c in got["python -c pass"])
    print(f"load average {proctime.load()} (at the end); {rounds} interleaved rounds")
    for name, runs in got.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        target = " (target <= 3x CPU)" if name in ("state", "render") else ""
        print(f"{name}: wall {wall:.0f} ms ({wall / wall0:.2f}x), CPU {cpu:.0f} ms ({cpu / cpu0:.2f}x){target}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=9, help="whole-process rounds")
    ap.add_argument("--instructions", action="store_true", help="also count instructions once (valgrind)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ds-bench-"))
    try:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m",
                        "bench"], cwd=root, check=True)  # a project has commits: HEAD is read from .git's files
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

        exe = str(Path(sys.executable).with_name("deploystate"))
        exe = exe if os.path.exists(exe) else (shutil.which("deploystate") or exe)
        if os.path.exists(exe):
            subprocess.run([exe, "init"], cwd=root, capture_output=True, timeout=300, env=proctime.ENV)
            bench_processes(exe, root, args.rounds, args.instructions)
        else:
            print("`deploystate state`: console script not found (pip install -e .)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
