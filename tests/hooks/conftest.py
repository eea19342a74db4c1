"""A real repository under deploystate, with a bare remote and the git hooks installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.hooks.git import install
from deploystate.state.config.project import Project
from deploystate.state.ledger.store import record
from tests.fixtures.gitrepo import GIT_ENV, GitRepo

CONFIG = """\
[project]
name = "shop"
deploy_branches = ["main", "release/*"]
doom_loop_after = 3

[services.api]
platform = "command"
restart_cmd = ["true"]
paths = ["api/**"]

[services.worker]
platform = "command"
restart_cmd = ["true"]
paths = ["worker/**"]
"""

FILES = {
    "deploystate.toml": CONFIG,
    "api/app.py": "print('api')\n",
    "worker/tasks.py": "print('worker')\n",
    "docs/readme.md": "shop\n",
}

AGENT = {"kind": "agent", "name": "claude", "client": "claude-code", "session": "sess-1"}


class Shop:
    """The repository, its remote, and helpers to put the ledger into a situation."""

    def __init__(self, repo: GitRepo, remote: Path) -> None:
        self.repo, self.remote, self.path = repo, remote, repo.path

    @property
    def project(self) -> Project:
        return Project.discover(self.path)

    def record(self, kind: str, payload: dict, *, author: dict | None = None, commit: str | None = None) -> dict:
        return record(self.project, kind, payload, commit=commit or self.repo.head(),
                      author=author or {"kind": "human", "name": "Test Dev", "client": None, "session": None})

    def deploy(self, service: str, commit: str | None = None, *, status: str = "restarted",
               author: dict | None = None) -> dict:
        commit = commit or self.repo.head()
        return self.record("deploy", {"service": service, "commit": commit, "strategy": "recreate",
                                      "platform": "command", "status": status}, author=author, commit=commit)

    def verify(self, service: str, verdict: str, commit: str | None = None, summary: str = "") -> dict:
        commit = commit or self.repo.head()
        return self.record("verification", {"service": service, "commit": commit, "verdict": verdict,
                                            "summary": summary or f"{service} {verdict}",
                                            "failed_checks": ["health: HTTP 500"] if verdict == "fail" else []},
                           commit=commit)

    def git(self, *args: str, env: dict[str, str] | None = None, input: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        return self.repo.git(*args, check=False, env=env, input=input)

    def push(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.git("push", *(args or ("origin", "main")), env=env)

    def change(self, rel: str, text: str, message: str = "change") -> str:
        """Commit a change with hooks bypassed (the setup, not the thing under test)."""
        return self.repo.commit(message, {rel: text})

    def ledger_records(self) -> list[dict]:
        path = self.project.ledger.path
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _no_ambient_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine running the tests may itself be inside an agent session: keep its variables out."""
    for var in ("DEPLOYSTATE_OVERRIDE", "DEPLOYSTATE_SESSION", "DEPLOYSTATE_ROOT", "DEPLOYSTATE_STATE_DIR",
                "CLAUDE_ENV_FILE", "CODEX_ENV_FILE", "DEPLOYSTATE_CONTEXT_BUDGET", "DEPLOYSTATE_CLIENT",
                "PRE_COMMIT_REMOTE_BRANCH", "PRE_COMMIT_LOCAL_BRANCH", "PRE_COMMIT_TO_REF", "PRE_COMMIT_FROM_REF"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def shop(git_repo: GitRepo, git_remote: Path) -> Shop:
    """A committed project pushed once to its remote, then the git hooks installed."""
    git_repo.commit("initial", FILES)
    git_repo.git("push", "-q", "origin", "main")
    install.install(git_repo.path, python=sys.executable)
    return Shop(git_repo, git_remote)


def regular_site_dir(tmp_path: Path) -> Path:
    """site-packages as `pip install .` lays deploystate out (the checkout's packages, linked) beside a
    dist-info directory; no editable finder and nothing else."""
    import deploystate
    from deploystate import hooks, platforms, server, state, verify

    site = tmp_path / "site-packages"
    pkg = site / "deploystate"
    pkg.mkdir(parents=True)
    top = Path(deploystate.__file__).parent
    for module in top.glob("*.py"):  # __init__, tomlsubset, jsonlite
        shutil.copy(module, pkg / module.name)
    for sub in (hooks, platforms, server, state, verify):
        (pkg / sub.__name__.rpartition(".")[2]).symlink_to(Path(sub.__path__[0]), target_is_directory=True)
    (site / "deploystate-0.0.dist-info").mkdir()
    return site


def run_hook(args: list[str], *, cwd: Path, input: str = "", env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """``python -m deploystate.hooks ...`` in a fresh interpreter, as the shims and clients run it."""
    return subprocess.run([sys.executable, "-m", "deploystate.hooks", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **GIT_ENV, **(env or {})})
