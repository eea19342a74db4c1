"""Time one whole process three ways for the bench scripts: wall, CPU (user + system of it and its
children) and, when valgrind is installed, instructions executed (callgrind's count: the one figure
the load of a shared machine does not move). Imported by bench_state.py and bench_verify.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

# An installed package runs from compiled bytecode; a session that sets PYTHONDONTWRITEBYTECODE would
# otherwise compile every module of ours on every run and time the compiler. PYTHONPATH is dropped too: the
# processes timed are a regular install's (bench/regular.py), which must import its own copy, not a checkout.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}


def run(argv: list[str], cwd: Path, timeout: float = 600) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``argv``."""
    r0, t = os.times(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, timeout=timeout, env=ENV)
    wall, r1 = time.perf_counter() - t, os.times()
    return wall, r1.children_user - r0.children_user + r1.children_system - r0.children_system


def instructions(argv: list[str], cwd: Path, timeout: float = 900, children: bool = True, stdin: str | None = None,
                 env: dict[str, str] | None = None) -> int | None:
    """Instructions the process (its children too unless ``children`` is False) executed, or None without
    valgrind. ``stdin`` is its input; ``env`` replaces ENV (PYTHONDONTWRITEBYTECODE is dropped from it too)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    res = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          f"--trace-children={'yes' if children else 'no'}", *argv], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, input=stdin, env=ENV if env is None else
                         {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
    counts = [int(n) for n in re.findall(r"Collected : (\d+)", res.stderr)]
    return sum(counts) if counts else None


def load() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
