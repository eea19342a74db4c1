"""Benchmark the worst-case append (issue 13: appends stay near-constant-time up to 1M records): the one
append in 65,536 that seals a segment, beside the median append of the same ledger.

    python bench/bench_seal_append.py [--records 100000 1000000] [--appends 21] [--dir DIR]

For each N: a repository from ``make_ledger.py`` (N records, sealed on append as a user gets it), then
topped up (sealing held off, records from make_ledger's generator) until the live file holds one segment
and its margin exactly, with the projection cache, chain mark and memory index current (as an MCP server
keeps them), so the next append seals one segment among those already sealed: the steady state a ledger
of that size meets once per 65,536 appends. ``--dir`` keeps that repository for the next run (1M takes
minutes to build) and each run works on a ``cp -a`` of it.

Printed, in-process CPU (``time.process_time``: a loaded machine shows the same figures): the sealing
append (``store.record`` of an attempt), split into the seal (segment files, anchor), the memory index's
part (re-keyed, or rebuilt from the whole history) and the rest; beside the median and worst of the
``--appends`` plain appends after it; how many times the memory index was rebuilt in the sealing append;
a similar-attempts query after it; bytes per record, all included, after the seal (target <= 400 B).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ledger import size_breakdown  # noqa: E402
from make_ledger import BATCH, _record, make  # noqa: E402

TARGET = 400
PAYLOAD = {"summary": "raise the worker's redis pool timeout and restart", "outcome": "failed",
           "services": ["worker"], "files": ["worker/main.py"]}


def _live_lines(ledger) -> int:  # noqa: ANN001
    with open(ledger.path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def build(root: Path, n: int) -> int:
    """make_ledger's N records, topped up to one record short of the next seal; returns the record count."""
    from deploystate.state.config.project import Project
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger import segments
    from deploystate.state.ledger.store import record_many
    from deploystate.state.memory import memindex
    from deploystate.state.view import cache

    make(root, n)
    project = Project.discover(root)
    ledger = project.ledger
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()
    author = {"kind": "agent", "name": "bench", "client": "bench", "session": None}
    rnd, i = random.Random(7), n
    want = segments.RECORDS + segments.MARGIN
    margin, segments.MARGIN = segments.MARGIN, 10 ** 12
    try:
        while (left := want - _live_lines(ledger)) > 0:
            batch = min(left, BATCH)
            record_many(project, [_record(j, rnd, head, author) for j in range(i, i + batch)], refresh=False)
            i += batch
            cache.load(ledger), chainmark.check(ledger), memindex.load(ledger, write=False)
    finally:
        segments.MARGIN = margin
    memindex.save(ledger, memindex.load(ledger, write=False))
    return i


def measure(root: Path, records: int, appends: int) -> None:
    from deploystate.state.config.project import Project
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger import sealing, segments
    from deploystate.state.ledger.store import record
    from deploystate.state.memory import memindex, memory
    from deploystate.state.view import cache

    project = Project.discover(root)
    ledger = project.ledger
    chainmark.check(ledger), cache.load(ledger), memindex.load(ledger)  # current, as a server keeps them
    spent = {"seal files": 0.0, "memory index": 0.0, "rebuilds": 0}

    def timed(name, fn, count=False):  # noqa: ANN001, ANN202
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.process_time() - t
                if count:
                    spent["rebuilds"] += 1
        return wrapper

    rebuild, write = memindex._rebuild, sealing.write
    memindex._rebuild = timed("memory index", rebuild, count=True)
    sealing.write = timed("seal files", write)
    rekey = getattr(sealing, "_rekey_memory", None)
    if rekey is not None:
        sealing._rekey_memory = timed("memory index", rekey)
    before = segments.count(ledger)
    try:
        t = time.process_time()
        record(project, "attempt", PAYLOAD)
        worst = time.process_time() - t
    finally:
        memindex._rebuild, sealing.write = rebuild, write
        if rekey is not None:
            sealing._rekey_memory = rekey
    sealed = segments.count(ledger) - before
    plain = []
    for _ in range(appends):
        t = time.process_time()
        record(project, "attempt", PAYLOAD)
        plain.append(time.process_time() - t)
    t = time.process_time()
    memory.similar_attempts(project, summary=PAYLOAD["summary"])
    query = time.process_time() - t
    median = statistics.median(plain)
    sizes, _ = size_breakdown(root, records + 1 + appends)
    per = sum(sizes.values()) / (records + 1 + appends)
    print(f"{records} records ({before} segments sealed before; this append sealed {sealed})")
    print(f"  the sealing append: {worst:.3f} s cpu = seal files {spent['seal files']:.3f} s + memory index "
          f"{spent['memory index']:.3f} s ({spent['rebuilds']} full rebuild(s)) + the rest "
          f"{worst - spent['seal files'] - spent['memory index']:.3f} s")
    print(f"  plain appends after it (n={appends}): median {median * 1e3:.2f} ms, worst {max(plain) * 1e3:.2f} ms;"
          f" the sealing append is x{worst / median:.0f} the median")
    print(f"  a similar-attempts query after them: {query * 1e3:.1f} ms cpu (the first, in this process)")
    print(f"  bytes per record, all included, after the seal: {per:.0f} B (target <= {TARGET} B: "
          f"{'met' if per <= TARGET else 'MISSED'}); memory base + tail "
          f"{sum(v for k, v in sizes.items() if 'memory' in k) / (records + 1 + appends):.0f} B")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[100_000])
    ap.add_argument("--appends", type=int, default=21)
    ap.add_argument("--dir", type=Path, default=None, help="keep the built repositories here for the next run")
    args = ap.parse_args()
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.records:
            keep = (args.dir or Path(tmp)) / f"seal-append-{n}"
            count_file = keep.with_name(keep.name + ".records")
            if not count_file.exists():
                shutil.rmtree(keep, ignore_errors=True)
                t = time.perf_counter()
                records = build(keep, n)
                count_file.write_text(str(records))
                print(f"built {n} + {records - n} top-up records in {time.perf_counter() - t:.0f} s", flush=True)
            records = int(count_file.read_text())
            work = Path(tmp) / f"run-{n}"
            subprocess.run(["cp", "-a", str(keep), str(work)], check=True)
            measure(work, records, args.appends)
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
