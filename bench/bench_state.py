"""Foundation figures at 100k ledger records (prints; asserts nothing).

Targets (issue 2): projection read <= 10 ms in process; one append <= 2 ms median;
mapping 10k files x 50 globs <= 100 ms; `deploystate state` whole process, beside `python -c pass`.
Issue 13: `deploystate state` and `render` whole process <= 3x `python -c pass`. The processes run from a
regular (non-editable) install of this checkout (bench/regular.py: the README's `pip install .`; the dev
venv's editable finder and coverage .pth add ~52M instructions to every start), in a repository built by
bench/make_ledger.py (N records, four command-platform services: `state` asks each runtime), and the floor
is that install's `python -c pass`. Wall and CPU time (user + system of the process and its children; the
machine is shared) with bytecode caching on (PYTHONDONTWRITEBYTECODE unset, one warm-up run first); with
--instructions, instructions of the deploystate process only (valgrind without --trace-children: the git
processes it starts and the command platform's observe_cmd run outside it; their cost is git's and the
runtime's). The run after an edit of deploystate.toml is printed beside it (every run validates the file),
and `state` of a project with one command service whose observe_cmd runs (`true`: a real subprocess).
Run: python bench/bench_state.py [--records N] [--rounds 9] [--instructions] [--repo ROOT (a make_ledger repo)]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import proctime  # bench/proctime.py (this script's directory is on sys.path)
from regular import python as regular_python
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


def bench_processes(py: str, root: Path, rounds: int, count_instructions: bool) -> None:
    """Interleaved rounds of the floor and each command (all see the same load); medians of wall and CPU.
    ``py`` is the regular install's interpreter; its ``deploystate`` console script is what runs."""
    exe = str(Path(py).with_name("deploystate"))
    toml = root / "deploystate.toml"
    base = toml.read_text()
    edits = iter(range(10**6))

    def edit() -> None:  # a text no earlier run has read
        toml.write_text(f"{base}# edit {next(edits)}\n")

    served = root / "with-a-service"  # the same ledger, a config where one service's runtime is asked
    served.mkdir(exist_ok=True)
    (served / "deploystate.toml").write_text('[project]\nname = "bench"\n\n[services.web]\nplatform = "command"\n'
                                            'paths = ["web/**"]\nrestart_cmd = ["true"]\nobserve_cmd = ["true"]\n')
    Project.discover(served).state_dir.mkdir(parents=True, exist_ok=True)
    cases = {"python -c pass": ([py, "-c", "pass"], None), "state": ([exe, "state"], None),
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
        counts = {name: proctime.instructions(argv, root, children=False) for name, (argv, _) in cases.items()
                  if name != "state after a config edit"}
        edit()
        counts["state after a config edit"] = proctime.instructions([exe, "state"], root, children=False)
        floor = counts["python -c pass"]
        print(f"instructions, this process only (load {proctime.load()}); floor: python -c pass of the regular "
              f"install {floor / 1e6:.1f}M" if floor else "instructions not counted (no valgrind)")
        for name, n in counts.items():
            if n and floor:
                target = ", target <= 3x" if name in ("state", "render") else ""
                print(f"{name}: {n / 1e6:.1f}M instructions, {n / floor:.2f}x python -c pass "
                      f"({floor / 1e6:.1f}M){target}")
    toml.write_text(base)
    shutil.rmtree(served, ignore_errors=True)
    wall0 = statistics.median(w for w, _ in got["python -c pass"])
    cpu0 = statistics.median(c for _, c in got["python -c pass"])
    print(f"load average {proctime.load()} (at the end); {rounds} interleaved rounds")
    for name, runs in got.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        target = " (target <= 3x CPU)" if name in ("state", "render") else ""
        print(f"{name}: wall {wall:.0f} ms ({wall / wall0:.2f}x), CPU {cpu:.0f} ms ({cpu / cpu0:.2f}x python -c pass "
              f"{cpu0:.0f} ms){target}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=9, help="whole-process rounds")
    ap.add_argument("--instructions", action="store_true", help="also count instructions once (valgrind)")
    ap.add_argument("--repo", type=Path, help="a repository bench/make_ledger.py built (default: build one of "
                    "--records records in a temp dir)")
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

        py = regular_python(Path(__file__).resolve().parent.parent)
        repo = args.repo
        if repo is None:
            repo = root / "ledger-repo"
            t = time.perf_counter()
            subprocess.run([py, str(Path(__file__).with_name("make_ledger.py")), str(repo), str(args.records)],
                           check=True, capture_output=True, timeout=1800, env=proctime.ENV)
            print(f"make_ledger repository, {args.records} records, built in {time.perf_counter() - t:.0f} s")
        bench_processes(py, repo, args.rounds, args.instructions)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
