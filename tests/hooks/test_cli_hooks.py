"""`deploystate hooks install/uninstall/status/run` through the real console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import FILES


def _cli(*args: str, cwd: Path, input: str = "") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("deploystate") or str(Path(sys.executable).with_name("deploystate"))
    return subprocess.run([exe, *args], cwd=cwd, input=input, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))


def test_install_all_then_uninstall_all(git_repo):
    """--all installs git shims and every client's settings; status shows them; uninstall removes them all."""
    git_repo.commit("initial", FILES)
    res = _cli("hooks", "install", "--all", cwd=git_repo.path)
    assert res.returncode == 0, res.stderr
    for rel in (".git/hooks/pre-push", ".git/hooks/commit-msg", ".claude/settings.json", ".codex/hooks.json",
                ".cursor/hooks.json", ".gemini/settings.json"):
        assert (git_repo.path / rel).exists(), rel
    status = json.loads(_cli("hooks", "status", "--all", "--json", cwd=git_repo.path).stdout)
    assert "pre-push: installed" in status["git"]
    assert status["clients"] == {c: f"{c}: installed" for c in ("claude", "codex", "cursor", "gemini")}
    res = _cli("hooks", "uninstall", "--all", cwd=git_repo.path)
    assert res.returncode == 0, res.stderr
    assert not (git_repo.path / ".git/hooks/pre-push").exists()
    assert not (git_repo.path / ".claude").exists()


def test_default_is_git_only(git_repo):
    """With no flag, only the git hooks are installed."""
    git_repo.commit("initial", FILES)
    res = _cli("hooks", "install", cwd=git_repo.path)
    assert res.returncode == 0 and "pre-push: installed" in res.stdout
    assert not (git_repo.path / ".claude").exists()


def test_run_executes_a_hook(git_repo):
    """`deploystate hooks run agent ...` runs the same hook the shims and clients call."""
    git_repo.commit("initial", FILES)
    payload = {"session_id": "s", "cwd": str(git_repo.path), "tool_name": "Bash",
               "tool_input": {"command": "git commit --no-verify -m x"}}
    res = _cli("hooks", "run", "agent", "claude", "pre-tool", cwd=git_repo.path, input=json.dumps(payload))
    assert res.returncode == 0
    assert json.loads(res.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
