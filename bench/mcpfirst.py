"""The first MCP ``read_deployment_state`` of a freshly spawned server, as the SDK's client sees it, for
bench_ledger.py: ``deploystate serve`` of a regular install (bench/regular.py: what ``pip install .``
gives a user, no editable finder) or, as the floor, bench_mcp.py's one-tool echo server on the same install.

The server's CPU seconds are read from the children's rusage once the session closed (the client reaps
the server then): its whole life, start-up to exit, which a loaded machine does not inflate as it does
the wall time. ``instructions`` runs the server under callgrind instead (one run each: the count does not
move with the load), the whole server process from spawn to exit, the chain's sha256 on the warm-up thread
included (callgrind's emulated CPU has no SHA extensions: that part costs more there than on the machine)."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from regular import python as regular_python

HERE = Path(__file__).resolve().parent


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def first_read(root: Path, cpu: list[float], echo: bool = False, call: bool = True) -> float | None:
    """Wall seconds from spawning the server in ``root`` to the reply of its first call (None: no SDK);
    the server's CPU seconds are appended to ``cpu``. ``call`` False stops at the ``initialize`` reply."""
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

    params = _PREFIX[0](params) if _PREFIX else params

    async def once() -> float:
        started = time.perf_counter()
        async with Client(params, read_timeout_seconds=900) as client:
            if call:
                await client.call_tool("echo" if echo else "read_deployment_state", {"text": "x"} if echo else {})
        return time.perf_counter() - started

    before = _children_cpu()
    wall = anyio.run(once)
    cpu.append(_children_cpu() - before)
    return wall


_PREFIX: list = []  # set by instructions(): wraps the server's command in valgrind


def instructions(root: Path, echo: bool = False, call: bool = True) -> int | None:
    """Instructions the server executed from spawn to exit, its first call answered (None: no valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    from mcp.client.stdio import StdioServerParameters

    with tempfile.TemporaryDirectory(prefix="mcpfirst-") as tmp:
        out = Path(tmp) / "callgrind.out"

        def wrap(params: StdioServerParameters) -> StdioServerParameters:
            return params.model_copy(update={"command": valgrind, "args": [
                "-q", "--tool=callgrind", f"--callgrind-out-file={out}", params.command, *params.args]})

        _PREFIX[:] = [wrap]
        try:
            if first_read(root, [], echo=echo, call=call) is None:
                return None
        finally:
            _PREFIX.clear()
        found = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE) if out.exists() else None
        return int(found.group(1)) if found else None


def ratio_row(ours: float, ours_cpu: float | None, floor: float, floor_cpu: float | None) -> str:
    """``ours / floor`` in wall time, and in CPU time when both were measured."""
    row = f"{ours / floor:7.2f}x wall" if floor else "   n/a"
    if ours_cpu is not None and floor_cpu:
        row += f", {ours_cpu / floor_cpu:.2f}x CPU"
    return row


def print_instructions(src: Path, work: Path) -> None:
    """Callgrind counts, once each, in a fresh ``cp -a``: our first read and the echo's, and both servers'
    start to the ``initialize`` reply (the cold start)."""
    dst = work / "copy"
    counts = {}
    for label, echo, call in (("first MCP read after cp -a", False, True), ("echo server to its reply", True, True),
                              ("ours to the initialize reply, after cp -a", False, False),
                              ("echo to the initialize reply", True, False)):
        shutil.rmtree(dst, ignore_errors=True)
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True, timeout=600)
        counts[label] = instructions(dst, echo=echo, call=call)
    shutil.rmtree(dst, ignore_errors=True)
    if None in counts.values():
        print("  instructions: not counted (no valgrind or no SDK)")
        return
    print("  instructions (callgrind, whole server process; ours includes the warm-up thread's sha256 of the "
          "copied chain):")
    for label, n in counts.items():
        print(f"    {label:46s} {n / 1e6:8.0f}M")
    values = list(counts.values())
    print(f"    first read / echo {values[0] / values[1]:.2f}x; initialize / echo's {values[2] / values[3]:.2f}x")
