"""The hooks under the pre-commit framework: the manifest is valid and the framework's way of calling works."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_framework_runs_our_hooks(git_repo, git_remote):
    """Installed through pre-commit (local hooks, as the manifest declares them), a push and a claim are refused."""
    exe = _pre_commit()
    config = f"""repos:
- repo: local
  hooks:
  - id: deploystate-pre-push
    name: deploystate pre-push
    entry: {sys.executable} -m deploystate.hooks pre-push
    language: system
    stages: [pre-push]
    pass_filenames: false
    always_run: true
  - id: deploystate-commit-msg
    name: deploystate commit-msg
    entry: {sys.executable} -m deploystate.hooks commit-msg
    language: system
    stages: [commit-msg]
    always_run: true
"""
    git_repo.commit("initial", {**FILES, ".pre-commit-config.yaml": config})
    git_repo.git("push", "-q", "origin", "main")
    res = subprocess.run([exe, "install", "--hook-type", "pre-push", "--hook-type", "commit-msg"],
                         cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
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
    res = shop.push()  # the framework stashes the uncommitted verification record while hooks run
    assert res.returncode != 0 and "commit the state directory" in res.stdout + res.stderr
    shop.git("add", "-A")
    assert shop.git("commit", "-m", "record the verification").returncode == 0
    res = shop.push()
    assert res.returncode == 0, res.stdout + res.stderr
