"""Benchmark the ledger at scale (issues 12 and 13): build, doctor, first reads after ``cp -a``,
``attempt add`` growth per decade, bytes per record. Every figure is printed beside its floor.

    python bench/bench_ledger.py [--records 10000 100000 1000000] [--rounds 5] [--workdir DIR]

For each size it builds a repository with ``bench/make_ledger.py ROOT N`` (timed, whole process),
then, whole process, against ``python -c pass`` timed alternately in the same run:

- ``deploystate doctor`` (target <= 1 s at 100k), and what it re-read: how the chain was judged
  (``content``: the verified bytes re-hashed, only the records after them parsed) and how many;
- the first ``deploystate state``, the first pre-push hook and the first MCP ``read_deployment_state``
  in a fresh ``cp -a`` of the repository (target <= 1 s; new inodes, so only the content key helps);
  the MCP rows (ours and the echo floor) run from a regular install (bench/regular.py), as a user's
  ``pip install .`` does, with the server's CPU seconds beside the wall (its whole life: the session
  ends at the reply); ``--mcp-only`` measures just these rows;
- ``deploystate attempt add`` (target: growth <= x1.2 per decade of records);
- bytes per record, all included: ledger, projection cache, chain mark, anchor, memory index, state
  file (target <= 400 B), with where the bytes of an average line go.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
EXE = str(Path(PY).with_name("deploystate"))
sys.path.insert(0, str(HERE))
from mcpfirst import first_read as mcp_first_read_of, print_instructions, ratio_row  # noqa: E402
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b", "PYTHONDONTWRITEBYTECODE": "1"}
TARGETS = {"doctor": 1.0, "first read after cp -a": 1.0, "growth": 1.2, "bytes": 400}


CPU: dict[str, list[float]] = {}  # label -> CPU seconds (user + sys) of each run, beside the wall times


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run(argv: list[str], cwd: Path, stdin: str | None = None, label: str = "") -> float:
    """Wall seconds of one whole process; its CPU seconds go to ``CPU[label]`` (the machine is shared:
    CPU time is what a loaded machine does not inflate)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, env=ENV, timeout=3600)
    wall = time.perf_counter() - started
    CPU.setdefault(label, []).append(_children_cpu() - cpu)
    return wall


def cpu(label: str) -> float:
    return statistics.median(CPU.get(label) or [0.0])


def alternate(rounds: int, argv: list[str], cwd: Path, stdin: str | None = None,
              label: str = "ours") -> tuple[float, float]:
    """(median of ``argv``, median of ``python -c pass``), timed one after the other each round."""
    CPU.pop(label, None)
    CPU.pop("pass", None)
    ours, floor = [], []
    for _ in range(rounds):
        ours.append(run(argv, cwd, stdin, label))
        floor.append(run([PY, "-c", "pass"], cwd, label="pass"))
    return statistics.median(ours), statistics.median(floor)


def append_path_ms(root: Path, rounds: int = 20) -> float:
    """In process: one ``store.record`` with its cache and state-file refresh, median ms (the ledger's
    append path alone, without the memory index an attempt also queries)."""
    code = ("import statistics, time; from deploystate.state.config.project import Project; "
            "from deploystate.state.ledger import store; p = Project.discover('.'); store.record(p, 'note', {'t': -1}); "
            "xs = []\nfor i in range(%d):\n t = time.perf_counter(); store.record(p, 'note', {'t': i}); "
            "xs.append(time.perf_counter() - t)\nprint(statistics.median(xs) * 1000)" % rounds)
    res = subprocess.run([PY, "-c", code], cwd=root, capture_output=True, text=True, env=ENV, timeout=600)
    try:
        return float(res.stdout.strip())
    except ValueError:
        raise SystemExit(res.stderr[-2000:])


def ledger_dir(root: Path) -> Path:
    return root / ".git" / "deploystate"


def pre_push(root: Path) -> tuple[list[str], str]:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                          timeout=60).stdout.strip()
    return [PY, "-I", "-m", "deploystate.hooks", "pre-push", "origin", "url"], \
        f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"


def first_after_copy(src: Path, work: Path, rounds: int, mcp_only: bool = False) -> dict[str, float]:
    """Each first read in its own fresh ``cp -a`` (median over rounds), and the same on the original."""
    argv_push, refs = pre_push(src)
    cases = {"state": ([EXE, "state"], None), "pre-push": (argv_push, refs), "doctor": ([EXE, "doctor"], None)}
    if mcp_only:
        cases = {}
    out: dict[str, float] = {}
    for name, (argv, stdin) in cases.items():
        times = []
        for _ in range(rounds):
            dst = work / "copy"
            shutil.rmtree(dst, ignore_errors=True)
            subprocess.run(["cp", "-a", str(src), str(dst)], check=True, timeout=600)
            times.append(run(argv, dst, stdin, label=f"first {name} after cp -a"))
        out[f"first {name} after cp -a"] = statistics.median(times)
        out[f"{name} on the original (warm)"] = statistics.median([run(argv, src, stdin, f"{name} on the original (warm)")
                                                                  for _ in range(rounds)])

    def mcp_first_read(root: Path, echo: bool = False, label: str = "") -> float | None:
        return mcp_first_read_of(root, CPU.setdefault(label, []), echo=echo)

    times, floor = [], []
    first, orig, echo = ("first MCP read (spawn to reply) after cp -a", "MCP read (spawn to reply) on the original",
                         "echo server, spawn to its reply (the floor)")
    for label in (first, orig, echo):
        CPU.pop(label, None)
    for _ in range(max(1, rounds // 2) if not mcp_only else rounds):
        dst = work / "copy"
        shutil.rmtree(dst, ignore_errors=True)
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True, timeout=600)
        t = mcp_first_read(dst, label=first)
        if t is None:
            break
        times.append(t)
        floor.append(mcp_first_read(dst, echo=True, label=echo) or 0.0)  # alternated: both see the same load
    if times:
        out[first] = statistics.median(times)
        out[orig] = mcp_first_read(src, label=orig) or 0.0
        out[echo] = statistics.median(floor)
    shutil.rmtree(work / "copy", ignore_errors=True)
    return out


def how_doctor_reads(root: Path) -> str:
    """In process, as doctor asks: how the chain was judged and how many records were parsed."""
    code = ("from deploystate.state.config.project import Project; from deploystate.state.ledger import chainmark; "
            "import time; p = Project.discover('.'); t = time.perf_counter(); "
            "s = chainmark.check(p.ledger, deep=True); print(s.how, s.records, s.reread, round(time.perf_counter() - t, 3))")
    res = subprocess.run([PY, "-c", code], cwd=root, capture_output=True, text=True, env=ENV, timeout=600)
    return res.stdout.strip() or res.stderr.strip()[-200:]


def sha256_floor(path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as fh:
        hashlib.file_digest(fh, "sha256")
    return time.perf_counter() - started


def size_breakdown(root: Path, n: int) -> tuple[dict[str, int], dict[str, float]]:
    d = ledger_dir(root)
    files = {"ledger.jsonl": d / "ledger.jsonl", "archive.jsonl": d / "archive.jsonl",
             "projection.json": d / "projection.json", "chain.verified.json": d / "chain.verified.json",
             "anchor.json": d / "anchor.json", "cache/memory.json (memory index tail)": d / "cache" / "memory.json",
             "DEPLOYMENT_STATE.md": root / "DEPLOYMENT_STATE.md"}
    for seg in sorted((d / "cache").glob("memory-*.seg")):
        files[f"cache/{seg.name} (memory base)"] = seg
    for seg in sorted((d / "archive").glob("*.json*")):
        files[f"archive/{seg.name} (closed segment)"] = seg
    sizes = {k: p.stat().st_size for k, p in files.items() if p.exists()}
    fields: dict[str, float] = {}
    count = 0
    with open(d / "ledger.jsonl", "rb") as fh:
        for raw in fh:
            rec = json.loads(raw)
            count += 1
            for key, value in rec.items():
                # the key with its quotes, colon and comma, and the value as written
                fields[key] = fields.get(key, 0) + len(key) + 4 + len(json.dumps(value, ensure_ascii=False,
                                                                                 separators=(",", ":")).encode())
            if count >= 20_000:
                break
    return sizes, {k: v / count for k, v in sorted(fields.items(), key=lambda kv: -kv[1])}


def print_firsts(results: dict[str, float]) -> None:
    """Each first-read row with its CPU and the target; the MCP read beside the echo floor, wall and CPU."""
    firsts: list[tuple[float, float | None]] = []
    for label, t in results.items():
        target = TARGETS["first read after cp -a"]
        c = cpu(label) if label in CPU else None
        verdict = f"  (target <= {target:g} s: wall {'met' if t <= target else 'MISSED'}" + (
            f", CPU {'met' if c is not None and c <= target else 'MISSED'})" if c is not None else ")") \
            if "first" in label else ""
        print(f"  {label:46s} {t:7.3f} s wall" + (f", {c:.3f} s CPU" if c is not None else "") + verdict)
        if label.startswith("echo server") and firsts:
            print(f"  {'first MCP read after cp -a / echo floor':46s} {ratio_row(*firsts[-1], t, c)}")
        if label.startswith("first MCP"):
            firsts = [(t, c)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workdir", type=Path, help="keep the repositories here (reused when present)")
    ap.add_argument("--mcp-only", action="store_true",
                    help="only the first MCP read after cp -a and its echo floor (rounds each, alternated)")
    ap.add_argument("--instructions", action="store_true",
                    help="with --mcp-only: also count each server's instructions once (valgrind, minutes)")
    a = ap.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    adds: dict[int, tuple[float, ...]] = {}
    try:
        for n in a.records:
            root = work / f"repo-{n}"
            if not root.exists():
                t = run([PY, str(HERE / "make_ledger.py"), str(root), str(n)], work, label="make")
                print(f"\n{n} records: make_ledger.py {t:.1f} s wall, {cpu('make'):.1f} s CPU, whole process "
                      f"(target: seconds at 100k, a few minutes at 1M)")
                CPU.pop("make")
            else:
                print(f"\n{n} records: reusing {root}")
            if a.mcp_only:
                print_firsts(first_after_copy(root, work, a.rounds, mcp_only=True))
                if a.instructions:
                    print_instructions(root, work)
                continue
            path = ledger_dir(root) / "ledger.jsonl"
            print(f"  ledger {path.stat().st_size / 1e6:.1f} MB; sha256 of it {sha256_floor(path) * 1000:.0f} ms "
                  "(the hashing floor)")
            run([EXE, "doctor"], root)  # warm: the first doctor after make_ledger writes nothing new
            doc, py = alternate(a.rounds, [EXE, "doctor"], root, label="doctor")
            print(f"  doctor whole process: {doc:.3f} s wall, {cpu('doctor'):.3f} s CPU  (python -c pass {py:.3f} s "
                  f"wall, {cpu('pass'):.3f} s CPU; wall {doc / py:.1f}x; target <= {TARGETS['doctor']:g} s: wall "
                  f"{'met' if doc <= TARGETS['doctor'] else 'MISSED'}, CPU "
                  f"{'met' if cpu('doctor') <= TARGETS['doctor'] else 'MISSED'})")
            print(f"  doctor's chain check in process (how, records in all, records parsed, s): {how_doctor_reads(root)}")
            argv = [EXE, "attempt", "add", "--summary", "raise the worker's redis pool timeout and restart",
                    "--service", "worker", "--outcome", "failed"]
            run(argv, root)  # the first add after a build is no different, but one warm-up evens the page cache
            wall, py = alternate(a.rounds, argv, root, label="add")
            adds[n] = (wall, py, cpu("add"), cpu("pass"), append_path_ms(root))
            print(f"  attempt add whole process: {wall:.3f} s wall, {cpu('add'):.3f} s CPU  (python -c pass "
                  f"{py:.3f} s wall, {cpu('pass'):.3f} s CPU)")
            print(f"  ledger append path in process (store.record + cache + state file): {adds[n][4]:.2f} ms median")
            run([EXE, "doctor"], root)
            doc, py = alternate(a.rounds, [EXE, "doctor"], root, label="doctor")
            print(f"  doctor after {a.rounds + 21} appends: {doc:.3f} s wall, {cpu('doctor'):.3f} s CPU; chain "
                  f"check: {how_doctor_reads(root)}")
            print_firsts(first_after_copy(root, work, a.rounds))
            sizes, fields = size_breakdown(root, n)
            records = n  # make_ledger wrote n; the live file holds only the newest (older ones are sealed on append)
            total = sum(sizes.values())
            print(f"  bytes per record, all included: {total / records:.0f} B (target <= {TARGETS['bytes']} B: "
                  f"{'met' if total / records <= TARGETS['bytes'] else 'MISSED'})")
            for name, size in sizes.items():
                print(f"    {name:38s} {size / 1e6:9.2f} MB  {size / records:6.1f} B/record")
            print("    an average line, by field (key and value as written): " +
                  ", ".join(f"{k} {v:.0f}" for k, v in fields.items()))
        ns = sorted(adds)
        if len(ns) > 1:
            print("\nattempt add growth per decade (target <= x1.2): wall, CPU, and the ledger's append path alone")
            for lo, hi in zip(ns, ns[1:]):
                decades = max(1e-9, (len(str(hi)) - len(str(lo))))
                for what, i in (("wall", 0), ("CPU", 2), ("append path in process", 4)):
                    g = (adds[hi][i] / adds[lo][i]) ** (1 / decades)
                    print(f"  {lo} -> {hi} {what:24s}: {adds[lo][i]:.3f} -> {adds[hi][i]:.3f} = x{g:.2f} per decade "
                          f"({'met' if g <= TARGETS['growth'] else 'MISSED'})")
        print(f"\nload average at end: {Path('/proc/loadavg').read_text().strip()}")
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
