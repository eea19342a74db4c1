"""Similar-attempt search at 10k and 100k attempts: query latency, index build/load time and memory.

Plain script (figures printed, nothing asserted). Target: a query over 100k
attempts <= 50 ms p50 in process. Usage: python bench/bench_similarity.py [N ...]
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from deploystate.state import memindex, memory
from deploystate.state.project import Project

VERBS = ["restart", "recreate", "raise", "lower", "pin", "revert", "rollback", "patch", "bump", "disable", "enable",
         "rebuild", "redeploy", "add", "remove", "rename", "increase", "decrease", "retry", "reset"]
THINGS = ["celery worker", "beat scheduler", "api pod", "gunicorn timeout", "prefetch multiplier", "memory limit",
          "cpu request", "configmap key", "secret mount", "image tag", "eventbridge rule", "model endpoint",
          "redis connection pool", "rabbitmq queue", "database url", "readiness probe", "liveness probe",
          "max tasks per child", "soft time limit", "log level", "feature flag", "nginx buffer", "ecs task def"]
SYMPTOMS = ["event loop closed", "OOMKilled", "fallback path used", "tasks dropped", "timeout on webhook",
            "crash loop", "stale code running", "missing env var", "schedule disabled", "connection refused",
            "slow responses", "duplicate messages", "import error", "502 from load balancer", "disk full"]
SERVICES = ["api", "worker", "worker2", "beat", "web", "scheduler", "model", "gateway"]


def _pseudo_words(rng: random.Random, n: int) -> list[str]:
    letters = "bcdfghjklmnprstvwz"
    vowels = "aeiou"
    return ["".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def make_attempts(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    vocab = _pseudo_words(rng, 8000)  # project-specific jargon: keeps the vocabulary realistic in size
    out = []
    for i in range(n):
        summary = (f"{rng.choice(VERBS)} {rng.choice(THINGS)} to fix {rng.choice(SYMPTOMS)} "
                   f"{' '.join(rng.sample(vocab, rng.randint(1, 4)))}")
        out.append({"id": "", "ts": "", "kind": "attempt", "commit": None,
                    "author": {"kind": "agent", "name": "bench", "client": "bench", "session": f"s{i // 40}"},
                    "payload": {"summary": summary, "hypothesis": None,
                                "files": [f"svc/{rng.choice(SERVICES)}/{rng.choice(vocab)}.py"],
                                "services": rng.sample(SERVICES, rng.randint(1, 2)),
                                "outcome": rng.choice(["failed", "failed", "tried", "worked", "unknown"]),
                                "evidence": None, "signature": None, "similar_to": []}})
    return out


def rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "deploystate.toml").write_text('[project]\nname = "bench"\n', encoding="utf-8")
        project = Project.discover(root)
        records = make_attempts(n)
        t = time.perf_counter()
        for i in range(0, n, 5000):
            project.ledger.append_sealed(records[i:i + 5000], reseal=True)
        write_s = time.perf_counter() - t
        del records
        gc.collect()

        memindex._LOADED.clear()
        rss0 = rss_mb()
        t = time.perf_counter()
        index = memindex.load(project.ledger)  # rebuild from the ledger + save
        rebuild_s = time.perf_counter() - t
        rss_rebuilt = rss_mb()
        size_mb = (project.state_dir / "cache" / "memory.json").stat().st_size / 2**20
        del index
        memindex._LOADED.clear()
        gc.collect()
        rss1 = rss_mb()
        t = time.perf_counter()
        memindex.load(project.ledger)  # a fresh process: from the index file
        cold_s = time.perf_counter() - t
        rss_loaded = rss_mb()

        rng = random.Random(3)
        queries = [f"{rng.choice(VERBS)}ing the {rng.choice(THINGS)} because of {rng.choice(SYMPTOMS)}"
                   for _ in range(200)]
        times = []
        found = 0
        for q in queries:
            t = time.perf_counter()
            hits = memory.similar_attempts(project, summary=q, services=[rng.choice(SERVICES)])
            times.append((time.perf_counter() - t) * 1000)
            found += bool(hits)
        times.sort()
        memory.record_attempt(project, summary="warm the projection cache", outcome="tried")
        t = time.perf_counter()
        memory.record_attempt(project, summary="restart celery worker to fix event loop", outcome="failed")
        record_ms = (time.perf_counter() - t) * 1000
        memindex._LOADED.clear()
        gc.collect()
        tracemalloc.start()
        memindex.load(project.ledger)
        held_mb = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        print(f"n={n:>7,}: ledger write {write_s:5.2f}s | index rebuild {rebuild_s:5.2f}s "
              f"(+{rss_rebuilt - rss0:5.0f} MB RSS) | index file {size_mb:5.1f} MB, cold load {cold_s:5.2f}s "
              f"(+{rss_loaded - rss1:5.0f} MB RSS)")
        print(f"           query p50 {statistics.median(times):6.2f} ms  p95 {times[int(len(times) * .95)]:6.2f} ms  "
              f"max {times[-1]:6.2f} ms  ({found}/{len(queries)} queries found similar attempts) | "
              f"record_attempt incl. render {record_ms:6.1f} ms")
        print(f"           memory held by the index: {held_mb:5.1f} MB (tracemalloc)")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    t = time.perf_counter()
    os.system(f"{sys.executable} -c pass")
    print(f"python -c pass: {(time.perf_counter() - t) * 1000:.0f} ms (for scale)")
    for n in sizes:
        bench(n)


if __name__ == "__main__":
    main()
