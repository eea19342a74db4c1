"""Benchmark the git hooks and the agent pre-tool hook at 100k ledger records, in one run.

The repository comes from ``make_ledger.make`` (the ledger where a real project keeps it, in the git
common dir, anchored, cache and chain mark warm; the last verification of each service a pass at HEAD).
Every case is timed in interleaved rounds (each round runs every case once, so machine load hits all
alike); each figure is a median, as wall time and as CPU time (the process and the children it waited
for, from getrusage), and as a ratio to its floor printed beside it:

1. `git commit` with no hook, with the hooks `hooks install --git` puts on a commit (commit-msg +
   post-commit), and with a pre-commit framework no-op commit-msg hook (the real `pre-commit` package,
   `language: system`, `entry: true`): deploystate's overhead / pre-commit's (issue 13: <= 0.15x), for a
   commit touching no service's paths (`--allow-empty`: post-commit has nothing to say, and its shim
   starts no Python) and for one touching api/ (`-a` after appending a line to api/main.py: Python
   prints "Committed is not running"); the bench checks that each says what it should;
2. the git hooks' processes alone, as the shims run them (``install.shim_argv``): pre-push judging
   a push to main (issue 13: <= 1.5x `python -c pass`; issue 12: <= 2x at 100k) and to a feature
   branch, commit-msg on a plain message and on a "deployed" claim; then pre-push with a cold chain
   mark and with a cold projection cache;
3. the agent pre-tool hook as a client runs it, whole process: the installed command line (`sh -c`
   launcher -> `deploystate-hook`) with Claude Code's JSON on stdin, per command (issue 18: <= 2x
   `python -c pass`), and `deploystate-hook` alone.

Every process runs the interpreter of a regular (non-editable) install of this checkout (bench/regular.py:
the README's `pip install .`; the dev venv's editable finder and coverage .pth add ~52M instructions to every
start), and the floor is that interpreter's `python -c pass`. With ``--instructions`` each case is also run
once under valgrind (callgrind's instruction count, which the machine's load does not move): the hook's own
process for the git hooks (git's diff child excluded), the whole tree for the installed command lines and
for `git commit`.

Run: python bench/bench_hooks.py [--records 100000] [--rounds 25] [--instructions]
Prints figures only; nothing is asserted. Needs `pre-commit` (the `test` extra) for item 1's third case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_ledger import make  # noqa: E402  (the one benchmark repository)
import proctime  # noqa: E402
from regular import python as regular_python  # noqa: E402
from hooks_report import FLOOR, ISOLATED, report, report_instructions  # noqa: E402

from deploystate.hooks.agents import agent_install
from deploystate.hooks.git import install  # noqa: E402
from deploystate.state.tamper import chainmark  # noqa: E402
from deploystate.state.config.project import Project  # noqa: E402

PY = sys.executable  # replaced in main() by the regular install's interpreter
PRE_COMMIT_CONFIG = """repos:
- repo: local
  hooks:
  - id: noop
    name: no-op
    entry: "true"
    language: system
    stages: [commit-msg]
    pass_filenames: false
    always_run: true
"""
# What an agent runs, through the pre-tool hook: allowed at once, a bypass denied by parsing, a push to a
# deploy branch (reads the 100k-record state and is allowed), a push to a feature branch.
PRE_TOOL_COMMANDS = [("npm test", "npm test"), ("git status", "git status"),
                     ("sh -c 'git push --no-verify' (denied)", "sh -c 'git push --no-verify origin main'"),
                     ("git push origin main (judged)", "git push origin main"),
                     ("git push origin feature", "git push origin feature")]
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.test", "GIT_COMMITTER_NAME": "Bench",
       "GIT_COMMITTER_EMAIL": "b@example.test", "GIT_CONFIG_NOSYSTEM": "1"}
for var in ("DEPLOYSTATE_OVERRIDE", "DEPLOYSTATE_ROOT", "DEPLOYSTATE_STATE_DIR", "PRE_COMMIT", "PYTHONPATH"):
    ENV.pop(var, None)


def sh(*argv: str, cwd: Path) -> str:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env=ENV, check=True,
                          timeout=600).stdout.strip()


def run_once(argv: list[str], cwd: Path, stdin: str | None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the process and its waited-for children, the result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, env=ENV, timeout=600)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), res


def run_interleaved(cases: dict[str, tuple], rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
    counter = 0
    for i in range(rounds + 1):  # round 0 warms the OS caches and is dropped
        for name, (argv, cwd, stdin, want) in cases.items():
            if argv == "commit":
                counter += 1
                args = ["git", "commit", "-q", "--allow-empty", "-m", f"{name} change {counter}"]
            elif argv == "commit-touch":  # the file is written before the clock starts; `-a` stages it
                counter += 1
                with open(cwd / "api" / "main.py", "a", encoding="utf-8") as fh:
                    fh.write(f"# change {counter}\n")
                args = ["git", "commit", "-q", "-a", "-m", f"{name} change {counter}"]
            else:
                args = argv
            wall, cpu, res = run_once(args, cwd, stdin)
            if want is not None and res.returncode != want:
                raise SystemExit(f"{name}: exit {res.returncode}, expected {want}: {res.stdout} {res.stderr}")
            if "deploystate commit-msg" in name and (argv == "commit-touch") != ("Committed is not running" in
                                                                               res.stderr):
                raise SystemExit(f"{name}: post-commit said {res.stderr!r}")
            if i:
                times[name][0].append(wall)
                times[name][1].append(cpu)
    return times


def clone_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def build(tmp: Path, records: int) -> dict[str, tuple]:
    t0 = time.perf_counter()
    base = tmp / "base"
    ledger = make(base, records)
    print(f"ledger: {records} records, {ledger.stat().st_size / 1e6:.1f} MB in {ledger.parent}, built in "
          f"{time.perf_counter() - t0:.1f} s")
    sh("git", "branch", "feature", cwd=base)
    # `ours` takes a commit every round (HEAD moves past the verified commit, so judging a push runs one
    # `git diff` by the one rule); `still` never does (HEAD is the verified commit: no git process at all)
    # `touched` takes the commits that change api/ (in `ours` they would make the pushes below refuse)
    none, ours, still, pc, touched, refused = (clone_tree(base, tmp / n) for n in (
        "none", "ours", "still", "pre-commit", "touched", "refused"))
    # `refused`: a deploy of api at HEAD with no verification after it: a push to main is refused
    from deploystate.state.ledger.store import record
    record(Project.discover(refused), "deploy", {"service": "api", "commit": sh("git", "rev-parse", "HEAD", cwd=base),
                                                 "strategy": "restart", "platform": "command",
                                                 "status": "restarted"})
    for repo in (none, ours, still, pc, touched, refused):  # the first read of a copy re-keys its caches; not measured
        sh(PY, "-m", "deploystate.server.cli", "state", "--no-observe", cwd=repo)
    for repo in (ours, still, touched):
        install.install(repo, python=PY)  # what `hooks install --git` installs
    for repo in (ours, touched):  # the first commit through the hooks writes post-commit's path matcher
        sh("git", "commit", "-q", "--allow-empty", "-m", "first through the hooks", cwd=repo)
    cases: dict[str, tuple] = {"git commit, no hook": ("commit", none, None, 0),
                               "git commit, deploystate commit-msg + post-commit": ("commit", ours, None, 0),
                               "git commit touching api/, no hook": ("commit-touch", none, None, 0),
                               "git commit touching api/, deploystate commit-msg + post-commit": (
                                   "commit-touch", touched, None, 0)}
    precommit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if Path(precommit).exists():
        (pc / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
        sh("git", "add", ".pre-commit-config.yaml", cwd=pc)
        sh("git", "commit", "-q", "-m", "pre-commit config", cwd=pc)
        sh(precommit, "install", "--hook-type", "commit-msg", cwd=pc)
        cases["git commit, pre-commit no-op commit-msg"] = ("commit", pc, None, 0)
        cases["git commit touching api/, pre-commit no-op commit-msg"] = ("commit-touch", pc, None, 0)
    else:
        print("pre-commit is not installed (pip install pre-commit): its case is skipped")
    msg, claim = tmp / "MSG", tmp / "CLAIM"
    msg.write_text("Refactor the cart\n")
    claim.write_text("api deployed and verified working in production\n")
    head = sh("git", "rev-parse", "HEAD", cwd=still)
    shim = str(still / ".git" / "hooks" / "commit-msg")
    push = install.shim_argv("pre-push", PY, install.regular_site(PY)) + ["origin", "url"]  # as the shim runs it
    refs = {b: f"refs/heads/{b} {head} refs/heads/{b} {'0' * 40}\n" for b in ("main", "feature")}
    cases.update({FLOOR: ([PY, "-c", "pass"], still, None, 0),
                  ISOLATED: ([PY, "-I", "-c", "pass"], still, None, 0),
                  "pre-push hook (main: judged, allowed)": (push, still, refs["main"], 0),
                  "pre-push hook (main, HEAD moved on: one git diff)": (push, ours, refs["main"], 0),
                  "pre-push hook (main: judged, refused)": (push, refused, refs["main"], 1),
                  "pre-push hook (feature branch)": (push, still, refs["feature"], 0),
                  "commit-msg hook (plain message)": ([shim, str(msg)], still, None, 0),
                  "commit-msg hook (claim: reads the state)": ([shim, str(claim)], still, None, None)})
    launcher = str(Path(PY).with_name(agent_install.LAUNCHER))
    pre_tool = ["/bin/sh", "-c", agent_install.command("claude", "pre-tool", launcher)]
    for label, command in PRE_TOOL_COMMANDS:
        payload = json.dumps({"session_id": "bench", "cwd": str(still), "tool_name": "Bash",
                              "tool_input": {"command": command}})
        cases[f"pre-tool, installed command: {label}"] = (pre_tool, still, payload, 0)
    moved = json.dumps({"session_id": "bench", "cwd": str(ours), "tool_name": "Bash",
                        "tool_input": {"command": "git push origin main"}})
    cases["pre-tool, installed command: git push origin main (HEAD moved on: one git diff)"] = (
        pre_tool, ours, moved, 0)
    payload = json.dumps({"session_id": "bench", "cwd": str(still), "tool_name": "Bash",
                          "tool_input": {"command": "git push origin main"}})
    cases["pre-tool, deploystate-hook alone: git push origin main"] = (
        [launcher, "agent", "claude", "pre-tool"], still, payload, 0)
    return cases


def cold(cases: dict[str, tuple]) -> dict[str, tuple[list[float], list[float]]]:
    """pre-push with the chain mark removed (full chain verification), then with the cache removed too."""
    push, repo, refs, _ = cases["pre-push hook (main: judged, allowed)"]
    state_dir = Project.discover(repo).ledger.dir
    out: dict[str, tuple[list[float], list[float]]] = {"pre-push, cold chain mark": ([], []),
                                                        "pre-push, cold chain mark and projection cache": ([], [])}
    for _ in range(3):
        for name, extra in (("pre-push, cold chain mark", ()),
                            ("pre-push, cold chain mark and projection cache", ("projection.json",))):
            for f in (chainmark.MARK, *extra):
                (state_dir / f).unlink(missing_ok=True)
            wall, cpu, _ = run_once(push, repo, refs)
            out[name][0].append(wall)
            out[name][1].append(cpu)
    return out


# Counted once each under valgrind with --instructions: pre-push's own process (the one rule's `git diff`
# child excluded); the whole tree for the commit-msg shim (sh, grep, python) and the installed agent command
# lines (sh, cat, python).
PROCESS_ONLY = ("pre-push hook", FLOOR, ISOLATED)


def count(cases: dict[str, tuple]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for name, (argv, cwd, stdin, _) in cases.items():
        if isinstance(argv, str):
            continue  # the `git commit` cases are timed only
        out[name] = proctime.instructions(argv, cwd, children=not name.startswith(PROCESS_ONLY), stdin=stdin,
                                          env=ENV)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--instructions", action="store_true", help="also count instructions once per case (valgrind)")
    a = ap.parse_args()
    global PY
    PY = regular_python(Path(__file__).resolve().parent.parent)
    tmp = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    ENV["HOME"] = str(tmp)  # pre-commit's cache and git's global config stay in the temp dir
    try:
        print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
        cases = build(tmp, a.records)
        print(f"{a.rounds} interleaved rounds of {len(cases)} cases...\n")
        times = run_interleaved(cases, a.rounds)
        times.update(cold(cases))
        report(times, [label for label, _ in PRE_TOOL_COMMANDS])
        if a.instructions:
            report_instructions(count(cases))
        print(f"\nload average at end: {Path('/proc/loadavg').read_text().strip()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
