"""The shipped .pre-commit-hooks.yaml through prek (the Rust drop-in for pre-commit), for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fixtures.parts import missing

from .conftest import FILES, Shop
from .test_pre_commit_framework import CACHE, ROOT, _hooks_repo

HOME = CACHE.with_name("deploystate-test-prek")  # prek's store (its uv and the hook envs), reused by revision
CLOUD_SDKS = ("boto3", "botocore", "kubernetes", "docker")


def _prek() -> str:
    exe = shutil.which("prek") or str(Path(sys.executable).with_name("prek"))
    if not Path(exe).exists():
        missing("prek", "pip install prek (it is in the `test` extra)")
    return exe


def test_prek_validates_the_shipped_manifest():
    """prek's own manifest validation accepts .pre-commit-hooks.yaml."""
    res = subprocess.run([_prek(), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_prek_runs_our_hooks_from_a_core_only_environment(git_repo, git_remote, monkeypatch):
    """prek installs the shipped hooks from a clone of this repository into its own environment (core
    dependencies only: no cloud SDKs), refuses a claim and a push after a failed verification, and allows
    the push once verified."""
    exe = _prek()
    repo, rev = _hooks_repo()
    monkeypatch.setenv("PREK_HOME", str(HOME))
    config = f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: deploystate-pre-push\n" \
             "  - id: deploystate-commit-msg\n"
    git_repo.commit("initial", {**FILES, ".pre-commit-config.yaml": config})
    git_repo.git("push", "-q", "origin", "main")
    res = subprocess.run([exe, "install", "-t", "pre-push", "-t", "commit-msg"], cwd=git_repo.path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run([exe, "prepare-hooks"], cwd=git_repo.path, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    envs = [p for p in HOME.glob("hooks/python-*/lib/python*/site-packages") if (p / "deploystate").exists()
            or any(p.glob("deploystate*"))]
    assert envs, sorted(str(p) for p in HOME.glob("hooks/*"))
    installed = {p.name.split("-")[0].lower() for p in envs[-1].iterdir()}
    assert not installed & set(CLOUD_SDKS), sorted(installed & set(CLOUD_SDKS))  # the core install only
    shop = Shop(git_repo, git_remote)
    shop.deploy("api")
    shop.repo.write("api/app.py", "print(2)\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-m", "api deployed")
    assert res.returncode != 0 and "has no verification since" in res.stdout + res.stderr
    assert shop.git("commit", "-m", "api change").returncode == 0
    shop.verify("api", "fail", summary="health: HTTP 500")
    res = shop.push()
    assert res.returncode != 0 and "refusing to push main to origin" in res.stdout + res.stderr
    assert "FAILED" in res.stdout + res.stderr
    shop.verify("api", "pass")
    res = shop.push(env={**os.environ})
    assert res.returncode == 0, res.stdout + res.stderr
