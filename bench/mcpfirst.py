"""The first MCP ``read_deployment_state`` of a freshly spawned server, as the SDK's client sees it, for
bench_ledger.py: ``deploystate serve`` of a regular install (bench/regular.py: what ``pip install .``
gives a user, no editable finder) or, as the floor, bench_mcp.py's one-tool echo server on the same install.

The server's CPU seconds are read from the children's rusage once the session closed (the client reaps
the server then): its whole life, start-up to exit, which a loaded machine does not inflate as it does
the wall time."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from regular import python as regular_python

HERE = Path(__file__).resolve().parent


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def first_read(root: Path, cpu: list[float], echo: bool = False) -> float | None:
    """Wall seconds from spawning the server in ``root`` to the reply of its first call (None: no SDK);
    the server's CPU seconds are appended to ``cpu``."""
    try:
        import anyio
        from mcp.client import Client
        from mcp.client.stdio import StdioServerParameters
    except ImportError:
        return None
    regular = Path(regular_python(HERE.parent))
    params = StdioServerParameters(command=str(regular.with_name("deploystate")), args=["serve", "--root", str(root)],
                                   cwd=str(root))
    if echo:
        params = StdioServerParameters(command=str(regular), args=[str(HERE / "bench_mcp.py"), "--echo-server"],
                                       cwd=str(root))

    async def once() -> float:
        started = time.perf_counter()
        async with Client(params, read_timeout_seconds=600) as client:
            await client.call_tool("echo" if echo else "read_deployment_state", {"text": "x"} if echo else {})
        return time.perf_counter() - started

    before = _children_cpu()
    wall = anyio.run(once)
    cpu.append(_children_cpu() - before)
    return wall


def ratio_row(ours: float, ours_cpu: float | None, floor: float, floor_cpu: float | None) -> str:
    """``ours / floor`` in wall time, and in CPU time when both were measured."""
    row = f"{ours / floor:7.2f}x wall" if floor else "   n/a"
    if ours_cpu is not None and floor_cpu:
        row += f", {ours_cpu / floor_cpu:.2f}x CPU"
    return row
