"""Instructions per ``record_attempt`` call in process, the figure a loaded machine does not move.

Why: the record row of issue 13 is a wall ratio over stdio (``bench_mcp.py``), and on the two shared cores
the same code's wall and CPU figures move by 20% from run to run. This runs the server as ``deploystate
serve`` builds it (deferred derived files, held projection cache) and calls the record tool's function
``--calls`` times in one thread on a copy of bench_mcp's 100k-record repository, running the background
refresh every ``--flush-every`` calls (the bench's rotation gets one about every 20); callgrind counts the
whole process (all threads) at N calls and at 0, and the difference over N is the answer.
``--python`` runs it on another install, e.g. ``bench/regular.py``'s venv of a ``git archive`` of an older
commit, for an A/B of two versions on the same repository.

    python bench/record_instructions.py [--records 100000] [--calls 40] [--flush-every 20] [--python PY]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORDS = ("restart recreate worker celery beat queue redis postgres pool timeout memory limit oom event loop closed "
         "fallback model endpoint config image tag digest rollout probe health cron schedule retry").split()


def calls(source: str, n: int, every: int) -> None:
    """``n`` record_attempt calls on a fresh copy of ``source`` (after 5 warm-up calls and a refresh)."""
    root = tempfile.mkdtemp(prefix="record-instr-")
    shutil.rmtree(root)
    shutil.copytree(source, root, symlinks=True)
    os.chdir(root)
    from deploystate.server.mcp import derived, warm

    derived.serve_deferred()
    warm.start(root)
    from deploystate.server.mcp.mcp_app import build_server

    server = build_server(root=root, transport="stdio")
    warm.then(server.ctx)
    server.register_until("record_attempt")
    tool = server._tool_manager.get_tool("record_attempt").fn
    rnd = random.Random(3)
    later = derived.current()
    later.quiet = later.max_lag = 1e9  # no background thread: the refreshes run here, every ``every`` calls
    for i in range(5 + n):
        result = tool(summary=f"bench attempt {i}: raise {rnd.choice(WORDS)} limit for worker", outcome="failed",
                      services=["worker"], files=["worker/main.py"], mcp_context=None)
        if result.is_error:
            raise SystemExit(result.content[0].text)
        if i == 4 or (i >= 5 and (i - 4) % every == 0):
            later.flush()
    shutil.rmtree(root, ignore_errors=True)


def counted(python: str, source: str, n: int, every: int) -> int:
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, __file__,
                          "--child", source, str(n), str(every)], capture_output=True, text=True, timeout=1800)
    found = re.findall(r"Collected : (\d+)", res.stderr)
    if res.returncode or not found:
        raise SystemExit(f"the counted run failed:\n{res.stderr[-2000:]}")
    return int(found[-1])


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        calls(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--flush-every", type=int, default=20)
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the install to count")
    parser.add_argument("--repo", type=Path, help="an existing bench_mcp repository (else one is built)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    sys.path.insert(0, str(HERE))
    import bench_mcp  # noqa: E402  (its repository: four command services, 100k mixed records)
    import proctime  # noqa: E402

    work = Path(tempfile.mkdtemp(prefix="record-instr-repo-"))
    try:
        repo = args.repo
        if repo is None:
            repo = work / "repo"
            bench_mcp.build_project(repo, args.records)
        zero = counted(args.python, str(repo), 0, args.flush_every)
        many = counted(args.python, str(repo), args.calls, args.flush_every)
        print(f"record_attempt in process ({args.python}): {(many - zero) / args.calls / 1e6:.2f}M instructions "
              f"per call ({args.calls} calls minus 0, a refresh every {args.flush_every}; load {proctime.load()})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
