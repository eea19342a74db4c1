"""Build a benchmark repository: ``python bench/make_ledger.py ROOT N``.

A git repository at ROOT (four command-platform services) whose ledger holds N mixed records
(attempts, deploys, verifications, sessions), the last verification of each service a pass at
HEAD, written through the ledger's public API (``Ledger.append_sealed`` in batches: one lock, one
fsync and one anchor update per batch) so 100k records take seconds, 1M well under a minute.
The ledger lands where a real project keeps it (the git common dir), anchored, with its cache,
chain mark and DEPLOYMENT_STATE.md written. Other bench scripts rely on this command line.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mcp import CONFIG, SERVICES, WORDS  # noqa: E402  (one config for every bench)

BATCH = 20_000


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
    return {"id": "", "ts": "", "kind": kind, "author": author, "commit": head, "payload": payload}


def make(root: Path, n: int, seed: int = 7) -> Path:
    from deploystate.state import cache, chainmark
    from deploystate.state.project import Project
    from deploystate.state.store import write_state_file

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
    ledger.ensure()
    rnd = random.Random(seed)
    author = {"kind": "agent", "name": "bench", "client": "bench", "session": None}
    body = max(0, n - len(SERVICES))
    for start in range(0, body, BATCH):
        ledger.append_sealed([_record(i, rnd, head, author) for i in range(start, min(body, start + BATCH))],
                             reseal=True)
    ledger.append_sealed([{"id": "", "ts": "", "kind": "verification", "author": author, "commit": head,
                           "payload": {"service": s, "commit": head, "verdict": "pass", "summary": "ok",
                                       "failed_checks": []}} for s in SERVICES][: n or None], reseal=True)
    cache.load(ledger)
    chainmark.check(ledger)
    write_state_file(project)
    return ledger.path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("n", type=int)
    args = ap.parse_args()
    t = time.perf_counter()
    path = make(args.root, args.n)
    print(f"{args.n} records in {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
