"""The hooks under the pre-commit framework: the shipped manifest is valid and works through the real framework."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.fixtures.gitrepo import GIT_ENV
from tests.fixtures.parts import missing

from .conftest import FILES, Shop

ROOT = Path(__file__).resolve().parents[2]


def _pre_commit() -> str:
    exe = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(exe).exists():
        missing("pre-commit", "pip install pre-commit (it is in the `test` extra)")
    return exe


def test_manifest_is_valid_for_the_framework():
    """.pre-commit-hooks.yaml validates with pre-commit's own schema and names both hooks' stages."""
    try:
        from pre_commit.clientlib import load_manifest
    except ImportError:
        missing("pre-commit", "pip install pre-commit (it is in the `test` extra)")  # fails under CI=true

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert hooks["deploystate-pre-push"]["stages"] == ["pre-push"]
    assert hooks["deploystate-pre-push"]["entry"] == "python -I -m deploystate.hooks pre-push"  # isolated
    assert hooks["deploystate-commit-msg"]["stages"] == ["commit-msg"]
    assert hooks["deploystate-commit-msg"]["pass_filenames"] is True  # the framework passes the message file


CACHE = Path(tempfile.gettempdir()) / "deploystate-test-pre-commit"  # the framework's envs, reused by revision


def _hooks_repo() -> tuple[Path, str]:
    """This repository as a hook repository the framework can clone: the working tree's files, committed
    with fixed dates, so the revision names the content and the framework's environment for it is reused."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True, timeout=60).stdout.split()
    dest = CACHE / "repo"
    shutil.rmtree(dest, ignore_errors=True)
    for rel in files:
        src = ROOT / rel
        if src.is_file() and not rel.startswith((".venv", "tests/", "bench/")):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "hooks"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True, env=env, timeout=60)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True, check=True,
                         env=env, timeout=60).stdout.strip()
    return dest, rev


def test_framework_runs_our_hooks(git_repo, git_remote, tmp_path, monkeypatch):
    """The SHIPPED .pre-commit-hooks.yaml, installed by the real framework from a clone of this repository
    (language: python, its own virtualenv), refuses a claim and a push, and allows them once verified."""
    exe = _pre_commit()
    repo, rev = _hooks_repo()
    monkeypatch.setenv("PRE_COMMIT_HOME", str(CACHE / "home"))
    config = f"""repos:
- repo: {repo}
  rev: {rev}
  hooks:
  - id: deploystate-pre-push
  - id: deploystate-commit-msg
"""
    git_repo.commit("initial", {**FILES, ".pre-commit-config.yaml": config})
    git_repo.git("push", "-q", "origin", "main")
    res = subprocess.run([exe, "install", "--hook-type", "pre-push", "--hook-type", "commit-msg"],
                         cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    # The hooks import the standard library and deploystate's own modules only (test_hook_imports), so the
    # framework's environment needs no third-party packages: PIP_NO_DEPS keeps its build quick.
    res = subprocess.run([exe, "install-hooks"], cwd=git_repo.path, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0"})
    assert res.returncode == 0, res.stdout + res.stderr  # the framework built its env from the manifest
    shop = Shop(git_repo, git_remote)
    shop.deploy("api")
    shop.repo.write("api/app.py", "print(2)\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-m", "api deployed")
    assert res.returncode != 0 and "has no verification since" in res.stdout + res.stderr
    assert shop.git("commit", "-m", "api change").returncode == 0
    res = shop.push()
    assert res.returncode != 0
    assert "refusing to push main to origin" in res.stdout + res.stderr
    shop.verify("api", "pass")
    # the framework stashes unstaged files while hooks run; the ledger lives in the git common dir,
    # out of the stash's reach, so the verification is seen without committing anything
    res = shop.push()
    assert res.returncode == 0, res.stdout + res.stderr
