"""Benchmark closed segments (issue 13, ledger size): bytes per record as ``make_ledger`` leaves a repository
(appends seal the live file's oldest whole segments by themselves) and after a manual compaction, beside the
400 B target; the one append that seals, beside an ordinary one; what readers pay for the compressed history.

    python bench/bench_segments.py [--records 100000 1000000] [--workdir DIR]

For each size: a repository from ``bench/make_ledger.py`` (records written now; every append that leaves
the live file over 65,536 + 16,384 lines seals its oldest 65,536: no command run by hand), then ``compact``
of every record older than one second (what a project that compacts at 30 days reaches once its history
is older than that; records that still matter stay in the live file too). Printed, all in-process CPU
(``time.process_time``, so a loaded machine shows the same figures), each beside its floor:

- bytes per record, all included (bench_ledger's breakdown: ledger, archive, closed segments, caches,
  memory index, state file) as the user gets them and after compaction, target <= 400 B; compressed bytes
  per sealed record;
- the seal's one-off cost: a repository of N records built with sealing held off, then ``store.record``
  of an attempt (the append that seals, re-keys the projection cache and chain mark, rebuilds the memory
  index), beside the same append on the next record and a similar-attempts query after it;
- the seal (compaction with verification and sealing) per record, and zlib's share of it;
- ``Ledger.read(include_archive=True)`` before and after (rebuilds and full checks read the history),
  beside zlib's own decompression of the segments;
- ``anchor.problems`` (what every decision pays) before and after: the segments' listing and stats.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ledger import size_breakdown  # noqa: E402
from make_ledger import make  # noqa: E402

TARGET = 400


def cpu(fn, rounds: int = 1) -> float:
    """In-process CPU seconds per call (the best of ``rounds``)."""
    best = float("inf")
    for _ in range(rounds):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def total(root: Path, n: int) -> tuple[int, dict[str, int]]:
    sizes, _fields = size_breakdown(root, n)
    return sum(sizes.values()), sizes


def one(workdir: Path, n: int) -> None:
    from deploystate.state.config.project import Project
    from deploystate.state.tamper import anchor
    from deploystate.state.ledger import segments
    from deploystate.state.ledger.compact import compact
    from deploystate.state.memory import memindex

    root = workdir / f"seg{n}"
    make(root, n)
    project = Project.discover(root)
    ledger = project.ledger
    before, sizes_before = total(root, n)
    read_before = cpu(lambda: ledger.read(include_archive=True), 2)
    problems_before = cpu(lambda: [anchor.problems(ledger) for _ in range(100)], 3) / 100
    time.sleep(1.5)  # every record now older than the cutoff
    seal = cpu(lambda: compact(project, older_than="1s"))
    memindex.load(ledger)  # the memory index as the next read rebuilds it (counted, all included)
    after, sizes = total(root, n)
    sides, bad = segments.sidecars(ledger)
    assert not bad and not anchor.problems(ledger) and ledger.verify().ok, (bad, anchor.problems(ledger))
    sealed = sum(s["records"] for s in sides)
    packed = sum(s["zlength"] for s in sides)
    blobs = [(segments.folder(ledger) / f"{i:06d}.jsonl.z").read_bytes() for i in range(len(sides))]
    inflate = cpu(lambda: [zlib.decompress(b) for b in blobs], 2)
    raw0 = zlib.decompress(blobs[0]) if blobs else b""
    deflate = cpu(lambda: zlib.compress(raw0, segments.LEVEL)) if blobs else 0.0
    read_after = cpu(lambda: ledger.read(include_archive=True), 2)
    problems_after = cpu(lambda: [anchor.problems(ledger) for _ in range(100)], 3) / 100
    print(f"{n} records")
    print(f"  bytes per record, all included: {before / n:.0f} B as make_ledger leaves it (sealed on append; "
          f"target <= {TARGET} B: {'met' if before / n <= TARGET else 'MISSED'}), {after / n:.0f} B after a "
          f"manual compact ({'met' if after / n <= TARGET else 'MISSED'})")
    for name, size in sizes_before.items():
        print(f"    {name:44s} {size / 1e6:9.2f} MB  {size / n:6.1f} B/record")
    print("  after compact:")
    for name, size in sizes.items():
        print(f"    {name:44s} {size / 1e6:9.2f} MB  {size / n:6.1f} B/record")
    if sealed:
        print(f"  {len(sides)} closed segments, {sealed} records: {packed / sealed:.1f} B per sealed record "
              f"(zlib level 9 of {sum(s['length'] for s in sides) / sealed:.0f} B lines)")
    print(f"  seal (compaction: verify, archive, compress, anchor): {seal:.2f} s cpu, "
          f"{seal / n * 1e6:.1f} us/record; of which zlib level 9 {deflate:.2f} s per segment")
    print(f"  read(include_archive=True): {read_before:.2f} s cpu before, {read_after:.2f} s after "
          f"(x{read_after / read_before:.2f}); zlib decompression alone {inflate:.3f} s "
          f"({sum(s['length'] for s in sides) / max(inflate, 1e-9) / 1e6:.0f} MB/s)")
    print(f"  anchor.problems per decision: {problems_before * 1e3:.3f} ms cpu before, "
          f"{problems_after * 1e3:.3f} ms after")


def seal_cost(workdir: Path, n: int) -> None:
    """The one append that seals, at ``n`` records: built with sealing held off, then appended to."""
    from deploystate.state.config.project import Project
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger import segments
    from deploystate.state.ledger.store import record
    from deploystate.state.memory import memindex, memory
    from deploystate.state.view import cache

    root = workdir / f"unsealed{n}"
    margin = segments.MARGIN
    segments.MARGIN = 10 ** 12
    try:
        make(root, n)
    finally:
        segments.MARGIN = margin
    project = Project.discover(root)
    chainmark.check(project.ledger), cache.load(project.ledger), memindex.load(project.ledger)
    payload = {"summary": "raise the worker's redis pool timeout and restart", "outcome": "failed",
               "services": ["worker"]}
    sealing = cpu(lambda: record(project, "attempt", payload))
    assert segments.count(project.ledger) >= 1  # it did seal
    plain = cpu(lambda: record(project, "attempt", payload), 5)
    query = cpu(lambda: memory.similar_attempts(project, summary=payload["summary"]), 5)
    print(f"  the append that seals at {n} records (store.record: seal, re-key cache and chain mark, rebuild the "
          f"memory index): {sealing:.2f} s cpu once; the next append {plain * 1e3:.1f} ms, a similar-attempts "
          f"query after it {query * 1e3:.1f} ms (no rebuild left for them)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[100_000])
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for n in args.records:
            one(Path(tmp), n)
            seal_cost(Path(tmp), n)
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
