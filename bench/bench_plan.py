"""Benchmark planning restart_affected for 50 services and 10,000 changed files.

1. pure planning: ``mapping.affected`` + ``plan.build_plan`` over 10k changes and 50 services (3 globs each,
   plus an all-services rule), median of several rounds;
2. end to end: ``deploy.make_plan`` in a real git repository where 10k files changed between the commit
   every service runs (from real ledger deploy records) and HEAD: git diff, mapping, plan, dirty check.

Run: /tmp/venv/bin/python bench/bench_plan.py [--services 50] [--files 10000] [--rounds 5]
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from deploystate.platforms import deploy
from deploystate.platforms.plan import build_plan
from deploystate.state.ledger import store
from deploystate.state.config.config import CommandService
from deploystate.state.config.mapping import Change, affected
from deploystate.state.config.project import Project

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.test",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.test", "GIT_CONFIG_NOSYSTEM": "1"}


def layout(services: int, files: int) -> tuple[dict[str, list[str]], list[str]]:
    """Service globs and file paths: files spread over the services' trees, 5% in shared/ and docs/."""
    globs = {f"svc{i:02d}": [f"services/svc{i:02d}/**", f"libs/lib{i:02d}/*.py", f"deploy/svc{i:02d}.yaml"]
             for i in range(services)}
    paths = []
    for n in range(files):
        i = n % services
        kind = n % 20
        if kind == 0:
            paths.append(f"docs/page{n}.md")
        elif kind == 1:
            paths.append(f"libs/lib{i:02d}/mod{n}.py")
        else:
            paths.append(f"services/svc{i:02d}/pkg{n % 7}/file{n}.py")
    return globs, paths


def pure(services: int, files: int, rounds: int) -> None:
    globs, paths = layout(services, files)
    configured = {n: CommandService(paths=g, restart_cmd=["true"]) for n, g in globs.items()}
    changes = [Change(p) for p in paths]
    bases = {n: "a" * 40 for n in globs}
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        hit = affected(changes, globs, [(["config/shared.env"], "shared env")])
        plan = build_plan(affected=hit.services, bases=bases, configured=configured, head="b" * 40)
        times.append(time.perf_counter() - t0)
    print(f"pure plan: {services} services x {files} changed files: median {statistics.median(times) * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f} ms) over {rounds} rounds; {len(plan.restarts)} to restart, "
          f"{len(hit.unmatched)} unmatched files")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True, timeout=600)


def end_to_end(services: int, files: int, rounds: int) -> None:
    globs, paths = layout(services, files)
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        root = Path(tmp)
        git(root, "init", "-q", "-b", "main")
        toml = ['[project]\nname = "bench"\n']
        for name, g in globs.items():
            toml.append(f'[services.{name}]\nplatform = "command"\npaths = {g!r}\nrestart_cmd = ["true"]\n'
                        .replace("'", '"'))
        (root / "deploystate.toml").write_text("\n".join(toml))
        (root / ".gitignore").write_text(".deploystate/\nDEPLOYMENT_STATE.md\n")
        for p in paths:
            f = root / p
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("v1\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "v1")
        base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        for p in paths:
            (root / p).write_text("v2\n")
        git(root, "commit", "-q", "-am", "v2: every file changed")
        project = Project.discover(root)
        for name in globs:   # every service runs the first commit, as recorded by a real deploy
            store.record(project, "deploy", {"service": name, "commit": base, "strategy": "command",
                                             "platform": "command", "platform_ids": {}, "status": "restarted"},
                         refresh=False)
        config = deploy.config_of(project)
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            plan = deploy.make_plan(project, config)
            times.append(time.perf_counter() - t0)
        print(f"end to end (git diff + ledger + mapping + plan + dirty check): median "
              f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f} ms) over {rounds} rounds; "
              f"{len(plan.restarts)} of {services} services to restart")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pure(args.services, args.files, args.rounds)
    end_to_end(args.services, args.files, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
