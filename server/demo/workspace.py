"""The demo's playground: a git repository with the application, a bare remote, git hooks, and an
environment of its own (no user git config, no inherited deploystate settings).

Every git command goes through ``state.proc.run``; commits and pushes run the real hooks
deploystate installed, and their output is captured so the story can show and check it.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from deploystate.state.git import proc
from deploystate.state.errors import GitError

GIT_TIMEOUT = 60.0
# Variables that would point git or deploystate somewhere other than the demo's repository.
CLEARED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
           "DEPLOYSTATE_OVERRIDE", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_SESSION", "DEPLOYSTATE_CLIENT",
           "DEPLOYSTATE_AUTHOR", "DEPLOYSTATE_AUTHOR_KIND", "PRE_COMMIT", "PRE_COMMIT_REMOTE_BRANCH")


GitRun = proc.Completed  # what one git command did, hooks included


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_environment(root: Path) -> Iterator[None]:
    """Point deploystate (in this process and in hooks) at ``root`` and give git a fixed identity and
    no user or system config (a global core.hooksPath or commit signing must not leak in), restoring
    the caller's environment afterwards."""
    saved = dict(os.environ)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update({
        "DEPLOYSTATE_ROOT": str(root), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Demo Developer", "GIT_AUTHOR_EMAIL": "dev@demo.invalid",
        "GIT_COMMITTER_NAME": "Demo Developer", "GIT_COMMITTER_EMAIL": "dev@demo.invalid",
        "GIT_TERMINAL_PROMPT": "0",
    })
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Workspace:
    """The demo repository at ``root`` and its bare remote next to it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "demo-shop"
        self.remote = base / "remote.git"
        self.port = free_port()

    # -- git ---------------------------------------------------------------------------------------
    def git(self, *args: str, cwd: Path | None = None, check: bool = True) -> GitRun:
        argv = ["git", *args]
        run = res = proc.run(argv, cwd=cwd or self.root, timeout=GIT_TIMEOUT)
        if check and not run.ok:
            raise GitError(f"{' '.join(argv)} exited {res.returncode}: {(res.stderr or res.stdout).strip()[-400:]}",
                           "the demo needs git >= 2.28; run it again with --keep to inspect the repository")
        return run

    def create(self, files: dict[str, str], config_text: str) -> None:
        self.root.mkdir(parents=True)
        self.git("init", "--bare", "-q", "-b", "main", str(self.remote), cwd=self.base)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Demo Developer")
        self.git("config", "user.email", "dev@demo.invalid")
        self.git("config", "commit.gpgsign", "false")
        self.git("remote", "add", "origin", str(self.remote))
        for rel, text in {**files, "deploystate.toml": config_text}.items():
            self.write(rel, text)
        (self.root / "run").mkdir()
        (self.root / "run" / "port").write_text(str(self.port))

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def commit(self, message: str, paths: list[str] | None = None) -> GitRun:
        """Commit ``paths`` (default: everything); the commit-msg and post-commit hooks run."""
        self.git("add", "--", *(paths or ["."]))
        return self.git("commit", "-q", "-m", message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def remote_head(self) -> str | None:
        res = self.git("rev-parse", "--verify", "-q", "refs/heads/main", cwd=self.remote, check=False)
        return res.stdout.strip() or None

    def push(self) -> GitRun:
        """``git push origin main``: the pre-push hook decides; a refusal is a result, not an error."""
        return self.git("push", "-q", "origin", "main", check=False)

    def install_hooks(self) -> list[str]:
        """What ``deploystate hooks install --git`` does, for this repository."""
        from deploystate.hooks.git import install

        return install.install(self.root, python=sys.executable, project_root=self.root)
