"""Benchmark verification.

1. concurrency: 20 checks that each take about 1 s (10 ``command`` checks running ``sleep 1`` as real
   processes, 10 ``http`` checks against a loopback server that answers after 1 s) run under one deadline;
   prints the verdict time, the slowest check and their ratio (target <= 1.2);
   the same 20 checks through ``deploystate verify`` as a whole process (a git repository with one
   command-platform service holding them), run by the interpreter of a regular install of this checkout
   (bench/regular.py: the dev venv's editable finder adds ~52M instructions to every start): wall time /
   the slowest check run alone (target <= 1.5) and the process's CPU, beside ``python -c pass``; with
   ``--instructions`` also the instructions of that process (this process only: its checks' children
   and git excluded) up to the moment its first check starts, in all, and after its checks ended;
2. a ``logs`` check over 10 MB of log lines in the window, streamed from a file line by line through a
   platform's ``logs()`` iterator (5 patterns; a few forbidden lines planted): time, throughput and peak
   Python memory (tracemalloc; evidence is capped, so memory stays flat while the log grows).

Run: /tmp/venv/bin/python bench/bench_verify.py [--checks 20] [--seconds 1.0] [--log-mb 10] [--instructions]
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import proctime  # bench/proctime.py (this script's directory is on sys.path)
from regular import python as regular_python
from deploystate.platforms.base import Observation, ServiceRef
from deploystate.state.config.checks import CommandCheck, HttpCheck, LogsCheck
from deploystate.state.config.config import CommandService
from deploystate.verify.context import CheckContext
from deploystate.verify.runner import Job, run_jobs


def slow_server(delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_concurrency(n: int, seconds: float) -> None:
    sleep = shutil.which("sleep") or "sleep"
    server = slow_server(seconds)
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    ctx = CheckContext(root=Path("."))
    jobs = []
    for i in range(n):
        check = (CommandCheck(name=f"cmd{i}", argv=[sleep, str(seconds)], timeout=seconds * 10) if i % 2 == 0
                 else HttpCheck(name=f"http{i}", url=url, timeout=seconds * 10, retries=0))
        jobs.append(Job(check.label(), check, ctx.fork(), None))
    t0 = time.monotonic()
    results = run_jobs(jobs, deadline=seconds * 20)
    total = time.monotonic() - t0
    server.shutdown()
    slowest = max(r.duration for r in results)
    verdicts = {r: sum(1 for x in results if x.result == r) for r in ("pass", "fail", "inconclusive")}
    print(f"concurrency: {n} checks of ~{seconds:g}s -> verdict in {total:.3f}s, slowest check {slowest:.3f}s, "
          f"ratio {total / slowest:.3f} (target <= 1.2); results {verdicts}")


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)


def _wall(argv: list[str], cwd: Path, cpu: list[float] | None = None) -> float:
    wall, used = proctime.run(argv, cwd)
    if cpu is not None:
        cpu.append(used)
    return wall


# `deploystate verify` that ends itself (os._exit) when the CLI prints a progress line holding MARK: with
# "check running" (the runner emits it just before it starts the first check) the process up to the first
# check; with "PASS " (the first concluded check, printed once every check has ended) up to the checks' end.
UNTIL = """
import os, sys
MARK = sys.argv.pop(1)
class Stderr:
    def __init__(self, inner):
        self.inner = inner
    def write(self, text):
        if MARK in text:
            os._exit(0)
        return self.inner.write(text)
    def __getattr__(self, name):
        return getattr(self.inner, name)
sys.stderr = Stderr(sys.stderr)
from deploystate.server.cli import main
sys.exit(main(sys.argv[1:]))
"""


def bench_process(n: int, seconds: float, rounds: int, count_instructions: bool = False) -> None:
    """``deploystate verify`` whole process with ``n`` checks of ``seconds`` each, against the slowest alone."""
    py = regular_python(Path(__file__).resolve().parent.parent)
    command = str(Path(py).parent / "deploystate")
    sleep = shutil.which("sleep") or "sleep"
    server = slow_server(seconds)
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-proc-"))
    try:
        def config(checks: list[str]) -> str:
            return ('[project]\nname = "bench"\n\n[services.web]\nplatform = "command"\npaths = ["web/**"]\n'
                    'restart_cmd = ["true"]\n\n' + "\n".join(checks))
        cmd = f'[[services.web.checks]]\ntype = "command"\nargv = ["{sleep}", "{seconds:g}"]\ntimeout = "60s"\n'
        http = f'[[services.web.checks]]\ntype = "http"\nurl = "{url}"\ntimeout = "60s"\nretries = 0\n'
        repos = {}
        for label, checks in (("all", [cmd if i % 2 == 0 else http for i in range(n)]), ("command", [cmd]),
                              ("http", [http])):
            root = tmp / label
            (root / "web").mkdir(parents=True)
            (root / "web" / "app.py").write_text("# web\n", encoding="utf-8")
            (root / "deploystate.toml").write_text(config(checks), encoding="utf-8")
            _git(root, "init", "-q", "-b", "main")
            _git(root, "add", "-A")
            _git(root, "commit", "-qm", "web")
            subprocess.run([command, "init"], cwd=root, capture_output=True, timeout=120)
            repos[label] = root
        argv = [command, "verify", "web", "--quiet"]
        for label in repos:  # warm-up: compiled bytecode, the config memo, caches
            _wall(argv, repos[label])
        whole, alone, floor, cpu_whole, cpu_floor = [], [], [], [], []
        for _ in range(rounds):  # interleaved, so all see the same machine load
            whole.append(_wall(argv, repos["all"], cpu_whole))
            alone.append(max(_wall(argv, repos["command"]), _wall(argv, repos["http"])))
            floor.append(_wall([py, "-c", "pass"], tmp, cpu_floor))
        w, a, f = statistics.median(whole), statistics.median(alone), statistics.median(floor)
        c, cf = statistics.median(cpu_whole), statistics.median(cpu_floor)
        print(f"process (load {proctime.load()}): deploystate verify with {n} checks of ~{seconds:g}s: {w:.3f}s whole "
              f"process (median of {rounds}); slowest check alone {seconds:g}s -> ratio {w / seconds:.2f} (target <= "
              f"1.5); one check through the CLI {a:.3f}s (startup {a - seconds:.3f}s); python -c pass {f * 1000:.0f} ms; "
              f"CPU of the whole process {c * 1000:.0f} ms (python -c pass {cf * 1000:.0f} ms, {c / cf:.1f}x)")
        if count_instructions:
            count_process(py, command, repos["all"], tmp, n)
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def count_process(py: str, command: str, root: Path, tmp: Path, n: int) -> None:
    """Instructions of `deploystate verify` with ``n`` checks: this process only (the checks' `sleep`s and
    git excluded), up to its first check's start, in all, and what follows the checks' end."""
    count = proctime.instructions
    base = count([py, "-c", "pass"], tmp, children=False)
    whole = count([command, "verify", "web", "--quiet"], root, children=False)
    first = count([py, "-I", "-c", UNTIL, "check running", "verify", "web"], root, children=False)
    ended = count([py, "-I", "-c", UNTIL, "PASS ", "verify", "web"], root, children=False)
    if not (base and whole and first and ended):
        print("instructions: valgrind is not installed")
        return
    print(f"instructions (this process only), verify with {n} checks: up to the first check's start "
          f"{first / 1e6:.0f}M ({first / base:.1f}x python -c pass {base / 1e6:.0f}M); whole process "
          f"{whole / 1e6:.0f}M ({whole / base:.1f}x); after the checks ended {(whole - ended) / 1e6:.0f}M "
          f"(the process without its first {ended / 1e6:.0f}M; under valgrind the conclusion's imports may "
          f"still be running then)")


class FilePlatform:
    """A platform whose logs() streams a file line by line (what adapters do with a log stream)."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        return Observation(svc.name, self.name, str(self.path), "running")

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            yield from fh


def bench_logs(megabytes: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    try:
        path = tmp / "app.log"
        line = '2030-01-01T12:00:00.000000Z INFO celery.worker task trading.tasks.check_stop_loss[{n}] ' \
               'succeeded in 0.0123s: {{"symbol": "AAPL", "decision": "hold"}}\n'
        target = int(megabytes * 1024 * 1024)
        written = count = 0
        with open(path, "w", encoding="utf-8") as fh:
            while written < target:
                text = line.format(n=count)
                if count % 50_000 == 7:
                    text = text.replace("INFO", "ERROR").replace("succeeded", "using fallback")
                if count % 100_000 == 3:
                    text = text.replace("hold", "RL model made decision")
                fh.write(text)
                written += len(text)
                count += 1
        svc = ServiceRef("worker", CommandService(restart_cmd=["true"]), tmp)
        ctx = CheckContext(root=tmp, service=svc, platform=FilePlatform(path))
        check = LogsCheck(must_match=["RL model made", r"stop.loss"],
                          must_not_match=["using fallback", r"(?i)\btraceback\b", r"Future attached to a different"],
                          timeout=300)
        tracemalloc.start()
        t0 = time.monotonic()
        result = run_jobs([Job("logs", check, ctx, "worker")], deadline=600)[0]
        elapsed = time.monotonic() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"logs: {size_mb:.1f} MB, {count:,} lines in {elapsed:.3f}s ({size_mb / elapsed:.1f} MB/s), "
              f"peak Python memory {peak / 1024 / 1024:.2f} MB, evidence {len(json.dumps(result.evidence))} chars, "
              f"result {result.result}: {result.summary[:120]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--log-mb", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5, help="whole-process runs")
    parser.add_argument("--instructions", action="store_true", help="also count instructions once (valgrind)")
    args = parser.parse_args()
    bench_concurrency(args.checks, args.seconds)
    bench_process(args.checks, args.seconds, args.rounds, args.instructions)
    bench_logs(args.log_mb)


if __name__ == "__main__":
    main()
