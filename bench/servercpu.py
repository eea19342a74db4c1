"""CPU time of the server processes an MCP client spawned, for bench_mcp.py's load-robust figure.

Why: the machine is shared, so a wall-clock p50 moves with whatever else runs; the CPU a server process
spends on a call does not (much). It is read from ``/proc/<pid>/stat`` (utime + stime of every thread,
those that ended included; cutime + cstime: the children it waited for, git or a runtime's command),
in clock ticks (10 ms on Linux), so it is summed over many calls before it is divided."""

from __future__ import annotations

import os
from pathlib import Path

TICK = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def children(parent: int | None = None) -> dict[int, str]:
    """pid -> command line of the live direct children of ``parent`` (default: this process)."""
    parent = os.getpid() if parent is None else parent
    out: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            if int(ppid) == parent and state != "Z":  # a server that ended but was not reaped yet is not one
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue  # ended meanwhile
    return out


def find(marker: str, exclude: tuple[str, ...] = ()) -> int | None:
    """The one child whose command line holds ``marker`` and none of ``exclude``; None unless exactly one."""
    found = [pid for pid, cmd in children().items() if marker in cmd and not any(x in cmd for x in exclude)]
    return found[0] if len(found) == 1 else None


def cpu(pid: int | None) -> tuple[float, float] | None:
    """(own, children's) CPU seconds of ``pid`` so far; None when it cannot be read."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime) * TICK, (cutime + cstime) * TICK
