"""Similar-attempt search over a ``bench/make_ledger.py`` ledger (100k and 1M records by default).

Plain script (figures printed, nothing asserted). For each size it prints, beside the target and the
search as it was before issue 13 (``bench/recall_before.py``, timed alternately in the same run):
the in-process p50 of a query of six common domain words (each names ~15% of the attempts, so they
all nominate candidates: the hard case), the hidden-paraphrase recall and false alarms over the fixed
set in ``bench/paraphrases.py`` (its earlier attempts hidden among the ledger's, ~5% of the records
appended after them), and the index's rebuild, cold load and size. Targets: p50 <= 10 ms at 100k
records, <= 50 ms at 1M; recall no worse than before.

    python bench/bench_similarity.py [--records 100000 1000000] [--queries 200] [--dir DIR]

With ``--dir`` the repositories are kept there and reused by the next run (1M takes minutes to build).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_ledger  # noqa: E402
import recall_before  # noqa: E402
from bench_mcp import WORDS  # noqa: E402
from paraphrases import PARAPHRASES  # noqa: E402

from deploystate.state.memory import memindex, memory, recall, similarity  # noqa: E402
from deploystate.state.config.project import Project  # noqa: E402

TARGET_MS = {100_000: 10.0, 1_000_000: 50.0}
AUTHOR = {"kind": "agent", "name": "bench", "client": "bench", "session": None}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(root: Path, n: int) -> tuple[Project, float]:
    """make_ledger's repository plus the paraphrase set's earlier attempts, hidden under more records."""
    started = time.perf_counter()
    if not (root / "deploystate.toml").exists():
        make_ledger.make(root, n)
        project = Project.discover(root)
        planted = [{"id": "", "ts": "", "kind": "attempt", "author": AUTHOR, "commit": None,
                    "payload": {"summary": earlier, "hypothesis": None, "files": [], "services": [],
                                "outcome": "failed", "evidence": None, "signature": None, "similar_to": []}}
                   for earlier in dict.fromkeys(e for e, _, _ in PARAPHRASES)]
        project.ledger.append_sealed(planted, reseal=True)
        rnd = random.Random(11)
        head = make_ledger._git(root, "rev-parse", "HEAD")
        after = [make_ledger._record(i, rnd, head, AUTHOR) for i in range(n // 20)]
        for i in range(0, len(after), make_ledger.BATCH):
            project.ledger.append_sealed(after[i:i + make_ledger.BATCH], reseal=True)
    project = Project.discover(root)
    return project, time.perf_counter() - started


def planted_ids(index: memindex.MemoryIndex) -> dict[str, str]:
    """The planted attempts' ids: found by their words (what the index holds), confirmed by their summary
    (read from the ledger line, as for a result shown)."""
    wanted = {frozenset(similarity.tokens(e + "\n")): e for e, _, _ in PARAPHRASES}
    out = {}
    for d in index.docs:
        earlier = wanted.get(frozenset(d.tokens))
        if earlier is not None and not d.files and d.summary == earlier:
            out[earlier] = d.id
    return out


def _query(search, index: memindex.MemoryIndex, text: str) -> list[str]:
    hits = search(index, tokens=similarity.tokens(text), limit=5, min_score=0.35)
    return [doc.id for _, _, doc in hits]


def measure_recall(search, index: memindex.MemoryIndex, ids: dict[str, str]) -> tuple[int, int, int, int]:
    found = alarms = pos = neg = 0
    for earlier, later, same in PARAPHRASES:
        hit = ids[earlier] in _query(search, index, later)
        if same:
            pos, found = pos + 1, found + hit
        else:
            neg, alarms = neg + 1, alarms + hit
    return found, pos, alarms, neg


def bench(workdir: Path, n: int, queries: int) -> list[str]:
    root = workdir / f"sim-{n}"
    project, build_s = build(root, n)
    memindex.drop(project.ledger)  # time a rebuild from the ledger, not a load of an earlier run's file
    rss0 = rss_mb()
    started = time.perf_counter()
    index = memindex.load(project.ledger)
    rebuild_s = time.perf_counter() - started
    rss_rebuilt = rss_mb() - rss0
    size_mb = sum(p.stat().st_size for p in (project.ledger.dir / "cache").glob("memory*")) / 2**20
    del index
    memindex._LOADED.clear()
    started = time.perf_counter()
    index = memindex.load(project.ledger)
    cold_s = time.perf_counter() - started
    attempts = len(index.docs)
    ids = planted_ids(index)

    rng = random.Random(5)
    texts = [" ".join(rng.sample(WORDS, 6)) for _ in range(queries)]
    started = time.perf_counter()
    _query(recall.search, index, texts[0])
    first_ms = (time.perf_counter() - started) * 1000  # builds the bit sets of the words' long lists
    for text in texts[:10]:  # warm both paths alike
        _query(recall.search, index, text)
        _query(recall_before.search, index, text)
    now, before, api, same = [], [], [], 0
    for text in texts:  # alternated, so both see the same machine load
        started = time.perf_counter()
        old_ids = _query(recall_before.search, index, text)
        before.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        new_ids = _query(recall.search, index, text)
        now.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        memory.similar_attempts(project, summary=text)
        api.append((time.perf_counter() - started) * 1000)
        same += old_ids == new_ids
    r_before = measure_recall(recall_before.search, index, ids)
    r_now = measure_recall(recall.search, index, ids)
    bits_mb = sum((v.bit_length() + 7) // 8 for v, _ in index.bits.values()) / 2**20
    p50, b50, a50 = statistics.median(now), statistics.median(before), statistics.median(api)
    p95 = sorted(now)[int(len(now) * 0.95)]
    target = TARGET_MS.get(n)
    verdict = "" if target is None else f" (target <= {target:g} ms: {'met' if p50 <= target else 'MISSED'})"
    lines = [
        f"n={n:,} records ({attempts:,} attempts): built in {build_s:.1f} s | index rebuild {rebuild_s:.2f} s "
        f"(+{rss_rebuilt:.0f} MB RSS), file {size_mb:.1f} MB, cold load {cold_s:.2f} s",
        f"  six common words, p50: now {p50:.2f} ms (p95 {p95:.2f}), before {b50:.2f} ms, "
        f"ratio now/before {p50 / b50:.2f}{verdict}",
        f"  similar_attempts() p50 {a50:.2f} ms; first query {first_ms:.1f} ms (builds bit sets, "
        f"{len(index.bits)} kept, {bits_mb:.1f} MB); answers identical to before {same}/{len(texts)}",
        f"  hidden-paraphrase recall: before {r_before[0]}/{r_before[1]}, now {r_now[0]}/{r_now[1]} "
        f"({'no worse' if r_now[0] >= r_before[0] else 'WORSE'}); false alarms before "
        f"{r_before[2]}/{r_before[3]}, now {r_now[2]}/{r_now[3]}",
    ]
    print("\n".join(lines), flush=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="keep the repositories here (reused by the next run)")
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-sim-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with open("/proc/loadavg", encoding="utf-8") as fh:
            print(f"load average at start: {fh.read().strip()}")
        for n in args.records:
            bench(workdir, n, args.queries)
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
