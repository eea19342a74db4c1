"""bench_mcp's repository: four command services and a ledger of mixed records, and where a record's time goes.

Shared with make_ledger.py, bench_similarity.py and record_instructions.py (one config, one vocabulary).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import time
from pathlib import Path

CONFIG = """\
[project]
name = "bench"

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]

[services.worker]
platform = "command"
paths = ["worker/**"]
restart_cmd = ["true"]

[services.beat]
platform = "command"
paths = ["beat/**"]
restart_cmd = ["true"]

[services.api]
platform = "command"
paths = ["api/**", "shared/**"]
restart_cmd = ["true"]
"""
SERVICES = ["web", "worker", "beat", "api"]
WORDS = ("restart recreate worker celery beat queue redis postgres pool timeout memory limit oom event loop closed "
         "fallback model endpoint sagemaker config key env var image tag digest rollout probe health readiness "
         "liveness cron schedule eventbridge rule disabled retry backoff connection refused dns cache migration "
         "index lock deadlock prefetch concurrency gunicorn uvicorn nginx upstream certificate token header").split()


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@b"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def build_project(root: Path, records: int, seed: int = 7) -> None:
    """A git repository (HEAD one commit ahead of what runs) and a ledger of ``records`` mixed records."""
    from deploystate.state.view import cache
    from deploystate.state.memory import memindex
    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import write_state_file

    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "deploystate.toml").write_text(CONFIG, encoding="utf-8")
    for svc in SERVICES:
        (root / svc).mkdir()
        (root / svc / "main.py").write_text(f"# {svc} v1\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "v1")
    running = _git(root, "rev-parse", "HEAD")
    (root / "web" / "main.py").write_text("# web v2\n", encoding="utf-8")
    _git(root, "commit", "-qam", "v2")
    project = Project.discover(root)
    project.ledger.ensure()
    rnd = random.Random(seed)
    author = {"kind": "agent", "name": "bench", "client": "bench", "session": None}
    batch: list[dict] = []
    for i in range(records):
        svc = rnd.choice(SERVICES)
        roll = i % 20
        if roll < 12:
            kind, payload = "attempt", {
                "summary": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 14))),
                "hypothesis": None, "files": [f"{svc}/main.py"], "services": [svc],
                "outcome": rnd.choice(["failed", "failed", "tried", "worked"]), "evidence": None,
                "signature": None, "similar_to": []}
        elif roll < 15:
            kind, payload = "deploy", {"service": svc, "commit": running, "strategy": "restart", "platform": "command",
                                       "platform_ids": {}, "status": "restarted", "warnings": [], "forced": False,
                                       "reason": "", "started_at": None, "duration": 1.0}
        elif roll < 18:
            kind, payload = "verification", {"service": svc, "commit": running, "verdict": rnd.choice(["pass", "fail"]),
                                             "summary": "health ok" if roll == 15 else "worker OOMKilled",
                                             "deploy_id": None, "recheck": False, "recheck_due": None,
                                             "failed_checks": [], "checks": [], "signature": None}
        elif roll == 18:
            kind, payload = "session_start", {"session_id": f"s{i}", "goal": "fix the worker", "client": "bench"}
        else:
            kind, payload = "session_end", {"session_id": f"s{i - 1}", "did": "restarted", "broke": "",
                                            "next": "verify", "status": "ended"}
        batch.append({"id": "", "ts": "", "kind": kind, "author": author, "commit": running, "payload": payload})
        if len(batch) == 5000:
            project.ledger.append_sealed(batch, reseal=True)
            batch = []
    if batch:
        project.ledger.append_sealed(batch, reseal=True)
    for svc in SERVICES:  # end with passing verifications so the status is steady
        project.ledger.append("verification", {"service": svc, "commit": running, "verdict": "pass", "summary": "ok",
                                               "deploy_id": None, "recheck": False, "recheck_due": None,
                                               "failed_checks": [], "checks": [], "signature": None}, author=author)
    cache.load(project.ledger)
    memindex.save(project.ledger, memindex.load(project.ledger))
    write_state_file(project)


def ledger_mb(root: Path) -> float:
    from deploystate.state.config.project import Project

    return Project.discover(root).ledger.path.stat().st_size / 1e6


def breakdown(root: Path, rounds: int = 15) -> list[tuple[str, float]]:
    """In-process p50 of each step of the record path, to show where a record_attempt's time goes."""
    from deploystate.state.view import cache
    from deploystate.state.git import gitinfo
    from deploystate.state.memory import memindex, memory
    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import write_state_file

    project = Project.discover(root)
    author = {"kind": "agent", "name": "bench", "client": "bench", "session": None}
    note = lambda: project.ledger.append("note", {"bench": True}, author=author)  # noqa: E731
    steps = {"ledger append (lock, fsync)": note, "git HEAD (subprocess)": lambda: gitinfo.head(root),
             "similar_attempts (query)": lambda: memory.similar_attempts(project, summary="raise worker limit",
                                                                         services=["worker"]),
             "write DEPLOYMENT_STATE.md": lambda: write_state_file(project)}
    after_append = {"projection cache, 1 new record": lambda: cache.load(project.ledger),
                    "memory index, 1 new record": lambda: memindex.load(project.ledger)}
    out = []
    for label, fn in steps.items():
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        out.append((label, statistics.median(times)))
    for label, fn in after_append.items():
        times = []
        for _ in range(rounds):
            note()
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        out.append((label, statistics.median(times)))
    return out
