"""Benchmark the MCP server over real stdio against a one-tool echo server built with the same SDK.

For each ledger size (default 10k and 100k records) it starts ``deploystate serve``
as a subprocess of a regular install (bench/regular.py), as an agent's client would, and
times round trips of ``read_deployment_state`` and ``record_attempt`` (p50, p95); it times the echo
server's round trip in the same run as the floor, and the cold start (spawn to
the ``initialize`` reply) of both. Targets (issue 13): read p50 <= 2x the
echo floor, record p50 <= 3x, cold start <= 1.3x the echo server's. A second floor, timed in the same
rotation: the same SDK serving our tools' recorded answers with no work behind them (``payload_server``),
so the part of a round trip that the answer's size costs is told apart from deploystate's own share.
Beside each wall ratio: every server process's CPU time per call over the same timed calls (``servercpu``:
/proc/<pid>/stat), ours over echo's, the figure a loaded machine moves least.

    python bench/bench_mcp.py [--records 10000 100000] [--calls 200] [--cold 10]
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
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proctime  # noqa: E402
import servercpu  # noqa: E402  (bench/servercpu.py: the servers' CPU time per call)
from regular import python as regular_python  # noqa: E402
from mcp_floors import echo_server, payload_server, record_answers  # noqa: E402
from mcp_project import CONFIG, SERVICES, WORDS, breakdown, build_project, ledger_mb  # noqa: E402,F401  (others import them from here)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _round_trips(ours: Any, echo: Any, tool: str, make_args: Any, calls: int, payload: Any = None,
                       warmup: int = 5) -> tuple[list[float], list[float], float, list[float], dict]:
    """Time ``tool`` on our server, ``echo`` on the floor server and (with ``payload``) the same tool on the
    recorded-answer server, in turn, so all see the same load; with each server's CPU seconds per call
    over the timed calls (``servercpu``: own, children's), the figure the machine's load moves least."""
    from contextlib import AsyncExitStack

    from mcp.client import Client

    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(Client(ours, read_timeout_seconds=120))
        floor = await stack.enter_async_context(Client(echo, read_timeout_seconds=120))
        canned = await stack.enter_async_context(Client(payload, read_timeout_seconds=120)) if payload else None
        started = time.perf_counter()
        result = await client.call_tool(tool, make_args(-1))
        first_ms = (time.perf_counter() - started) * 1000
        if result.is_error:
            raise SystemExit(f"{tool} failed: {result.content[0].text}")
        for i in range(warmup):
            await client.call_tool(tool, make_args(i))
            await floor.call_tool("echo", {"text": f"warm {i}"})
            if canned:
                await canned.call_tool(tool, make_args(i))
        pids = {"ours": servercpu.find(" serve --root "), "echo": servercpu.find("--echo-server"),
                "payload": servercpu.find("--payload-server")}
        before = {role: servercpu.cpu(pid) for role, pid in pids.items()}
        samples, floor_samples, canned_samples = [], [], []
        for i in range(calls):
            started = time.perf_counter()
            await floor.call_tool("echo", {"text": f"ping {i}"})
            floor_samples.append((time.perf_counter() - started) * 1000)
            if canned:
                started = time.perf_counter()
                await canned.call_tool(tool, make_args(i))
                canned_samples.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            result = await client.call_tool(tool, make_args(i))
            samples.append((time.perf_counter() - started) * 1000)
            if result.is_error:
                raise SystemExit(f"{tool} failed: {result.content[0].text}")
        await anyio.sleep(0)
        cpu = {}
        for role, pid in pids.items():
            after = servercpu.cpu(pid)
            if before[role] is not None and after is not None:
                cpu[role] = tuple((a - b) / calls for a, b in zip(after, before[role]))
        return samples, floor_samples, first_ms, canned_samples, cpu


async def _cold_start(params: Any) -> float:
    from mcp.client import Client

    started = time.perf_counter()
    async with Client(params, mode="legacy", read_timeout_seconds=120):  # legacy: the initialize handshake
        return (time.perf_counter() - started) * 1000


def _cpu_line(cpu: dict) -> str:
    """Each server's CPU ms per call (own + its children's) and ours over echo's and over the payload floor's."""
    if "ours" not in cpu or "echo" not in cpu:
        return "not readable here (no /proc, or a server not found)"
    ours, echo = sum(cpu["ours"]) * 1000, sum(cpu["echo"]) * 1000
    line = (f"ours {ours:.2f} ms (children {cpu['ours'][1] * 1000:.2f}), echo {echo:.2f} ms"
            + (f" = {ours / echo:.2f}x echo" if echo else ""))
    if "payload" in cpu:
        canned = sum(cpu["payload"]) * 1000
        line += f"; payload floor {canned:.2f} ms" + (f" ({canned / echo:.2f}x echo)" if echo else "")
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cold", type=int, default=10, help="cold starts per server")
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--payload-server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        echo_server()
        return 0
    if args.payload_server:
        payload_server(args.payload_server)
        return 0
    from mcp.client.stdio import StdioServerParameters

    # Both servers run from a regular install of this checkout (bench/regular.py): the dev venv's editable
    # finder would add the same start-up cost to both and flatter the cold-start ratio.
    regular = Path(regular_python(Path(__file__).resolve().parent.parent))
    command = str(regular.with_name("deploystate"))
    echo = StdioServerParameters(command=str(regular), args=[str(Path(__file__).resolve()), "--echo-server"])
    workdir = Path(tempfile.mkdtemp(prefix="bench-mcp-"))
    rows: list[tuple[str, float, float, float]] = []
    cpu_rows: list[tuple[str, dict]] = []
    try:
        for n in args.records:
            root = workdir / f"repo-{n}"
            started = time.perf_counter()
            build_project(root, n)
            print(f"{n} records: ledger built in {time.perf_counter() - started:.1f} s "
                  f"({ledger_mb(root):.1f} MB)")
            ours = StdioServerParameters(command=command, args=["serve", "--root", str(root)], cwd=str(root))
            def record_args(i: int) -> dict:
                return {"summary": f"bench attempt {i}: raise {random.choice(WORDS)} limit for worker",
                        "outcome": "failed", "services": ["worker"], "files": ["worker/main.py"]}
            answers = workdir / f"answers-{n}.json"
            anyio.run(record_answers, ours, answers, record_args(-2))
            payload = StdioServerParameters(command=str(regular), args=[str(Path(__file__).resolve()),
                                                                         "--payload-server", str(answers)])
            read, read_floor, read_first, read_canned, read_cpu = anyio.run(
                _round_trips, ours, echo, "read_deployment_state", lambda i: {}, args.calls, payload)
            record, record_floor, record_first, record_canned, record_cpu = anyio.run(
                _round_trips, ours, echo, "record_attempt", record_args, args.calls, payload)
            print(f"  first call after start: read {read_first:.1f} ms, record {record_first:.1f} ms")
            for label, samples, floor, canned, target, cpu in (
                    ("read_deployment_state", read, read_floor, read_canned, 2.0, read_cpu),
                    ("record_attempt", record, record_floor, record_canned, 3.0, record_cpu)):
                p50, p95, f50, f95 = _pct(samples, 0.5), _pct(samples, 0.95), _pct(floor, 0.5), _pct(floor, 0.95)
                c50 = _pct(canned, 0.5)
                rows.append((f"{n} {label}", p50, f50, target))
                print(f"  {label:22s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms   echo floor p50 {f50:.2f} / p95 "
                      f"{f95:.2f} ms   p50 ratio {p50 / f50:5.1f}x (target <= {target:g}x)")
                print(f"  {'':22s} the same answer with no work behind it (payload floor) p50 {c50:.2f} ms = "
                      f"{c50 / f50:.2f}x echo: deploystate's own share is {p50 - c50:.2f} ms")
                print(f"  {'':22s} server CPU per call: {_cpu_line(cpu)}")
                cpu_rows.append((f"{n} {label}", cpu))
            print("  where a record's time goes (in-process p50): " + ", ".join(
                f"{label} {ms:.1f} ms" for label, ms in breakdown(root)))
        cold_root = workdir / f"repo-{args.records[0]}"
        ours = StdioServerParameters(command=command, args=["serve", "--root", str(cold_root)], cwd=str(cold_root))
        ours_cold, echo_cold = [], []
        for _ in range(args.cold):  # alternated, so both see the same machine load
            ours_cold.append(anyio.run(_cold_start, ours))
            echo_cold.append(anyio.run(_cold_start, echo))
        o, e = statistics.median(ours_cold), statistics.median(echo_cold)
        rows.append(("cold start", o, e, 1.3))
        print(f"\ncold start to initialize reply (median of {args.cold}): deploystate {o:.0f} ms, echo {e:.0f} ms, "
              f"ratio {o / e:.2f}x (target <= 1.3x)")
        print("\nsummary (p50 vs echo floor measured alternately in the same run):")
        for label, ours_ms, floor_ms, target in rows:
            verdict = "meets" if ours_ms <= floor_ms * target else "MISSES"
            print(f"  {label:34s} {ours_ms:8.2f} ms vs {floor_ms:7.2f} ms = {ours_ms / floor_ms:5.2f}x  {verdict} "
                  f"target {target:g}x")
        print(f"server CPU per call (/proc/<pid>/stat over the timed calls; load {proctime.load()} at the end):")
        for label, cpu in cpu_rows:
            print(f"  {label:34s} {_cpu_line(cpu)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
