"""Benchmark the git hooks at 100k ledger records, in one run.

1. `git commit` with no commit-msg hook, with deploystate's commit-msg hook, and with a
   pre-commit framework no-op commit-msg hook (the real `pre-commit` package, `language: system`,
   `entry: true`): medians, and deploystate's overhead over pre-commit's (target <= 0.25x);
2. the hook processes alone: deploystate's commit-msg shim on a plain message and on a
   "deployed" claim (reads the 100k-record state), the pre-push hook judging a push to main
   (warm cache and chain mark; then a cold chain mark; then a cold projection cache), and
   `python -c pass` (target: the commit-msg hook process <= 3x `python -c pass`). The git hooks run
   as installed: `python -I` (isolated mode);
3. the agent pre-tool hook as a client runs it, whole process: the installed command line
   (`sh -c` launcher -> `deploystate-hook`) with Claude Code's JSON on stdin, per command
   (target <= 2x `python -c pass`), and `deploystate-hook` alone.

Run: /tmp/venv/bin/python bench/bench_hooks.py [--records 100000] [--rounds 25]
Prints figures only; nothing is asserted. Needs `pre-commit` (the `test` extra) for item 1's third case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import json

from deploystate.hooks import agent_install, install
from deploystate.state import chainmark  # moved from hooks to state (commit 91da4de)
from deploystate.state import cache
from deploystate.state.ledger import Ledger

PY = sys.executable
CONFIG = """[project]
name = "bench"
deploy_branches = ["main"]

[services.api]
platform = "command"
restart_cmd = ["true"]
paths = ["api/**"]

[services.worker]
platform = "command"
restart_cmd = ["true"]
paths = ["worker/**"]
"""
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
# deploy branch (reads the 100k-record state).
PRE_TOOL_COMMANDS = [("npm test", "npm test"), ("git status", "git status"),
                     ("sh -c 'git push --no-verify' (denied)", "sh -c 'git push --no-verify origin main'"),
                     ("git push origin main (judged)", "git push origin main")]
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.test", "GIT_COMMITTER_NAME": "Bench",
       "GIT_COMMITTER_EMAIL": "b@example.test", "GIT_CONFIG_NOSYSTEM": "1"}
for var in ("DEPLOYSTATE_OVERRIDE", "DEPLOYSTATE_ROOT", "DEPLOYSTATE_STATE_DIR", "PRE_COMMIT"):
    ENV.pop(var, None)


def sh(*argv: str, cwd: Path, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, input=input, capture_output=True, text=True, env=ENV,
                          check=check, timeout=600)


def timed(rounds: int, argv: list[str], cwd: Path, input: str | None = None) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=cwd, input=input, capture_output=True, text=True, env=ENV, timeout=600)
        out.append(time.perf_counter() - t0)
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def fill_ledger(state_dir: Path, n: int, head: str) -> None:
    """n records of every kind, ending with both services deployed at HEAD and verified (status OK)."""
    ledger = Ledger(state_dir)
    batch: list[dict] = []
    author = {"kind": "agent", "name": "bench", "client": "claude-code", "session": "s-1"}
    for i in range(n - 4):
        kind = ("attempt", "deploy", "verification", "note", "attempt")[i % 5]
        svc = ("api", "worker")[i % 2]
        payload = {
            "attempt": {"summary": f"attempt {i}: raised the worker memory limit and retried the import path",
                        "outcome": "failed" if i % 3 else "worked", "files": [f"{svc}/app.py"], "services": [svc]},
            "deploy": {"service": svc, "commit": f"{i:040x}", "strategy": "recreate", "status": "restarted"},
            "verification": {"service": svc, "commit": f"{i - 1:040x}", "verdict": ("pass", "fail")[i % 2],
                             "summary": "health 200, no errors in logs since restart", "failed_checks": []},
            "note": {"text": f"note {i}: checked the dashboards"},
        }[kind]
        batch.append({"kind": kind, "author": author, "commit": None, "payload": payload})
    for svc in ("api", "worker"):
        batch.append({"kind": "deploy", "author": author, "commit": head,
                      "payload": {"service": svc, "commit": head, "strategy": "recreate", "status": "restarted"}})
        batch.append({"kind": "verification", "author": author, "commit": head,
                      "payload": {"service": svc, "commit": head, "verdict": "pass", "summary": "ok"}})
    for start in range(0, len(batch), 5000):
        ledger.append_sealed(batch[start:start + 5000], reseal=True)


def setup(root: Path, records: int) -> tuple[Path, Path]:
    repo, remote = root / "repo", root / "remote.git"
    sh("git", "init", "-q", "--bare", "-b", "main", str(remote), cwd=root)
    sh("git", "init", "-q", "-b", "main", str(repo), cwd=root)
    (repo / "api").mkdir()
    (repo / "api" / "app.py").write_text("print('api')\n")
    (repo / "deploystate.toml").write_text(CONFIG)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-q", "-m", "initial", cwd=repo)
    sh("git", "remote", "add", "origin", str(remote), cwd=repo)
    sh("git", "push", "-q", "origin", "main", cwd=repo)
    head = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
    t0 = time.perf_counter()
    fill_ledger(repo / ".deploystate", records, head)
    print(f"ledger: {records} records, {(repo / '.deploystate' / 'ledger.jsonl').stat().st_size / 1e6:.1f} MB, "
          f"written in {time.perf_counter() - t0:.1f} s")
    return repo, remote


def warm(repo: Path) -> tuple[float, float]:
    ledger = Ledger(repo / ".deploystate")
    t0 = time.perf_counter()
    cache.load(ledger)
    t1 = time.perf_counter()
    status = chainmark.check(ledger)
    t2 = time.perf_counter()
    assert status.ok, status.problems
    return t1 - t0, t2 - t1


def commit_argv(label: str, counter: list[int]) -> list[str]:
    counter[0] += 1
    return ["git", "commit", "-q", "--allow-empty", "-m", f"{label} change {counter[0]}"]


def run_interleaved(cases: dict[str, tuple], rounds: int) -> dict[str, list[float]]:
    """Each round runs every case once, so machine load hits all cases alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    counter = [0]
    for i in range(rounds + 1):  # round 0 warms caches and is dropped
        for name, (argv, cwd, stdin) in cases.items():
            args = commit_argv(name, counter) if argv == "commit" else argv
            t0 = time.perf_counter()
            res = subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, text=True, env=ENV, timeout=600)
            elapsed = time.perf_counter() - t0
            if argv == "commit" and res.returncode != 0:
                raise SystemExit(f"commit failed under {name}: {res.stderr}")
            if i:
                times[name].append(elapsed)
    return times


def clone_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=25)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    ENV["HOME"] = str(tmp)  # pre-commit's cache and git's global config stay in the temp dir
    try:
        base, _ = setup(tmp, a.records)
        rebuild, chain_full = warm(base)
        print(f"cold projection rebuild {rebuild * 1000:.0f} ms; full chain verification {chain_full * 1000:.0f} ms "
              "(both once; hooks then reuse the cache and the chain mark)")
        # One copy of the repository (100k-record ledger included) per configuration.
        none = clone_tree(base, tmp / "none")
        ours = clone_tree(base, tmp / "ours")
        ours_all = clone_tree(base, tmp / "ours-all")
        install.install(ours, python=PY, hooks=("commit-msg",))
        install.install(ours_all, python=PY)
        cases: dict[str, tuple] = {"git commit, no hook": ("commit", none, None),
                                   "git commit, deploystate commit-msg": ("commit", ours, None),
                                   "git commit, deploystate commit-msg + post-commit": ("commit", ours_all, None)}
        precommit = shutil.which("pre-commit") or str(Path(PY).with_name("pre-commit"))
        if Path(precommit).exists():
            pc = clone_tree(base, tmp / "pre-commit")
            (pc / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
            sh("git", "add", ".pre-commit-config.yaml", cwd=pc)
            sh("git", "commit", "-q", "-m", "pre-commit config", cwd=pc)
            sh(precommit, "install", "--hook-type", "commit-msg", cwd=pc)
            cases["git commit, pre-commit no-op commit-msg"] = ("commit", pc, None)
        else:
            print("pre-commit is not installed (pip install pre-commit): its case is skipped")
        msg, claim = tmp / "MSG", tmp / "CLAIM"
        msg.write_text("Refactor the cart\n")
        claim.write_text("api deployed and verified working in production\n")
        shim = str(ours / ".git" / "hooks" / "commit-msg")
        head = sh("git", "rev-parse", "HEAD", cwd=ours).stdout.strip()
        refs = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
        push = [PY, "-I", "-m", "deploystate.hooks", "pre-push", "origin", "url"]  # as the shim runs it
        cases.update({"commit-msg hook alone (plain message)": ([shim, str(msg)], ours, None),
                      "commit-msg hook alone (claim: reads state)": ([shim, str(claim)], ours, None),
                      "pre-push hook alone (main, warm)": (push, ours, refs),
                      "python -c pass": ([PY, "-c", "pass"], ours, None)})
        launcher = str(Path(PY).with_name(agent_install.LAUNCHER))
        pre_tool = ["/bin/sh", "-c", agent_install.command("claude", "pre-tool", launcher)]
        for label, command in PRE_TOOL_COMMANDS:
            payload = json.dumps({"session_id": "bench", "cwd": str(ours), "tool_name": "Bash",
                                  "tool_input": {"command": command}})
            cases[f"pre-tool hook, installed command: {label}"] = (pre_tool, ours, payload)
        payload = json.dumps({"session_id": "bench", "cwd": str(ours), "tool_name": "Bash",
                              "tool_input": {"command": "npm test"}})
        cases["pre-tool: deploystate-hook alone (npm test)"] = ([launcher, "agent", "claude", "pre-tool"], ours,
                                                                payload)
        print(f"{a.rounds} interleaved rounds...\n")
        times = run_interleaved(cases, a.rounds)
        mark = ours / ".deploystate" / chainmark.MARK
        cold_chain, cold_cache = [], []
        for _ in range(3):
            mark.unlink()
            cold_chain += timed(1, push, ours, refs)
            (ours / ".deploystate" / "projection.json").unlink()
            mark.unlink()
            cold_cache += timed(1, push, ours, refs)
        times["pre-push, cold chain mark (full verification)"] = cold_chain
        times["pre-push, cold cache and chain mark"] = cold_cache

        print(f"{'case':52s} {'median ms':>10s} {'min ms':>8s}")
        for name, xs in times.items():
            print(f"{name:52s} {med(xs):10.1f} {min(xs) * 1000:8.1f}")
        print()
        t = {k: med(v) for k, v in times.items()}
        overhead = t["git commit, deploystate commit-msg"] - t["git commit, no hook"]
        pc_key = "git commit, pre-commit no-op commit-msg"
        if pc_key in t:
            pc_overhead = t[pc_key] - t["git commit, no hook"]
            print(f"deploystate commit-msg overhead {overhead:.1f} ms vs pre-commit no-op overhead "
                  f"{pc_overhead:.1f} ms: ratio {overhead / pc_overhead:.2f}x (target <= 0.25x)")
        py = t["python -c pass"]
        print(f"commit-msg hook process / python -c pass: {t['commit-msg hook alone (plain message)'] / py:.2f}x "
              "(target <= 3x)")
        print(f"  with a claim (reads the state of {a.records} records): "
              f"{t['commit-msg hook alone (claim: reads state)'] / py:.2f}x")
        print(f"pre-push hook process / python -c pass: {t['pre-push hook alone (main, warm)'] / py:.2f}x")
        for label, _ in PRE_TOOL_COMMANDS:
            key = f"pre-tool hook, installed command: {label}"
            print(f"{key} / python -c pass: {t[key] / py:.2f}x (target <= 2x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
