"""Build a benchmark repository: ``python bench/make_ledger.py ROOT N``.

A git repository at ROOT (four command-platform services) whose ledger holds N mixed records
(attempts, deploys, verifications, sessions), the last verification of each service a pass at
HEAD, written through the store's public bulk append (``store.record_many``: redacted like every
record, one lock, one fsync and one anchor update per batch of 20k). The ledger lands where a real
project keeps it (the git common dir), anchored, with its projection cache, chain mark, memory index
and DEPLOYMENT_STATE.md brought up to date batch by batch, so memory stays bounded at 1M records.
Other bench scripts rely on this command line.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mcp_project import CONFIG, SERVICES, WORDS  # noqa: E402  (one config for every bench)

BATCH = 20_000
MERGE_EVERY = 60_000  # attempts held in memory before they are merged into the memory index's base


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@b"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def _record(i: int, rnd: random.Random, head: str, author: dict) -> dict:
    svc = SERVICES[i % len(SERVICES)]
    roll = i % 20
    if roll < 12:
        kind, payload = "attempt", {"summary": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 14))),
                                    "files": [f"{svc}/main.py"], "services": [svc],
                                    "outcome": rnd.choice(["failed", "failed", "tried", "worked"])}
    elif roll < 15:
        kind, payload = "deploy", {"service": svc, "commit": head, "strategy": "restart", "platform": "command",
                                   "status": "restarted"}
    elif roll < 18:
        kind, payload = "verification", {"service": svc, "commit": head, "verdict": rnd.choice(["pass", "fail"]),
                                         "summary": "health ok" if roll == 15 else "worker OOMKilled",
                                         "failed_checks": []}
    elif roll == 18:
        kind, payload = "session_start", {"session_id": f"s{i}", "goal": "fix the worker", "client": "bench"}
    else:
        kind, payload = "session_end", {"session_id": f"s{i - 1}", "did": "restarted", "broke": "",
                                        "next": "verify", "status": "ended"}
    return {"kind": kind, "author": author, "commit": head, "payload": payload}


def make(root: Path, n: int, seed: int = 7, *, quiet: bool = True) -> Path:
    """Build the repository; the cyclic garbage collector is off meanwhile (the records make no cycles,
    and its passes over the batches in memory cost ~15% of the CPU at 100k records)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _make(root, n, seed, quiet=quiet)
    finally:
        if enabled:
            gc.enable()


def _make(root: Path, n: int, seed: int, *, quiet: bool) -> Path:
    from deploystate.state.view import cache
    from deploystate.state.memory import memindex
    from deploystate.state.tamper import chainmark
    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import record_many, write_state_file

    root.mkdir(parents=True, exist_ok=False)
    _git(root, "init", "-q", "-b", "main")
    (root / "deploystate.toml").write_text(CONFIG, encoding="utf-8")
    for svc in SERVICES:
        (root / svc).mkdir()
        (root / svc / "main.py").write_text(f"# {svc}\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "bench")
    head = _git(root, "rev-parse", "HEAD")
    project = Project.discover(root)
    ledger = project.ledger
    rnd = random.Random(seed)
    author = {"kind": "agent", "name": "bench", "client": "bench", "session": None}
    body = max(0, n - len(SERVICES))
    t0 = time.perf_counter()
    # Appends seal the live file's oldest whole segments (segments.MARGIN); here that is held off until the
    # last append, which seals every due segment at once: the same files (the cuts fall on the same lines),
    # with one memory index rebuild instead of one per seal.
    from deploystate.state.ledger import segments

    margin, segments.MARGIN = segments.MARGIN, 10 ** 12
    try:
        _batches(project, body, rnd, head, author, t0, quiet)
    finally:
        segments.MARGIN = margin
    record_many(project, [{"kind": "verification", "author": author, "commit": head,
                           "payload": {"service": s, "commit": head, "verdict": "pass", "summary": "ok",
                                       "failed_checks": []}} for s in SERVICES][: n or None], refresh=False)
    cache.load(ledger)
    chainmark.check(ledger)
    memindex.load(ledger)
    write_state_file(project)
    return ledger.path


def _batches(project, body: int, rnd: random.Random, head: str, author: dict, t0: float, quiet: bool) -> None:
    from deploystate.state.view import cache
    from deploystate.state.memory import memindex
    from deploystate.state.tamper import chainmark
    from deploystate.state.ledger.store import record_many

    ledger = project.ledger
    for start in range(0, body, BATCH):
        record_many(project, [_record(i, rnd, head, author) for i in range(start, min(body, start + BATCH))],
                    refresh=False)
        # brought up to date batch by batch, as appends do: each reads only the records it has not seen,
        # and memory stays bounded by a batch at 1M records
        cache.load(ledger)
        chainmark.check(ledger)
        index = memindex.load(ledger, write=False)
        if len(index.delta) >= max(MERGE_EVERY, index.base_total):  # merged into the on-disk base now and
            memindex.save(ledger, index)  # then (each merge copies the base: doubling keeps that linear)
        if not quiet:
            done = min(body, start + BATCH)
            print(f"  {done} records, {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--progress", action="store_true", help="say how far it got after each batch (stderr)")
    args = ap.parse_args()
    t = time.perf_counter()
    path = make(args.root, args.n, quiet=not args.progress)
    print(f"{args.n} records in {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
