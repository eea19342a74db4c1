"""A real local app under deploystate's command platform: an HTTP API and a worker managed by the app's
own control script (tests/platforms/command_app/ctl.py), inside a real git repository."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Iterator

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.state.config.config import load_config
from tests.fixtures.gitrepo import GitRepo
from tests.fixtures.moto_server import free_port

APP_SOURCE = Path(__file__).with_name("command_app")
PY = sys.executable


def config_text(port: int, extra: str = "") -> str:
    ctl = ["app/ctl.py"]
    def cmd(*args: str) -> str:
        return "[" + ", ".join(f'"{a}"' for a in [PY, *ctl, *args]) + "]"
    return f"""
[project]
name = "cmdapp"

[services.api]
platform = "command"
paths = ["app/server.py"]
restart_cmd = {cmd("restart", "api")}
observe_cmd = {cmd("status", "api")}
rollback_cmd = {cmd("rollback", "api")}
log_file = "app/run/api.log"
restart_timeout = 30
revision = {{ source = "http", url = "http://127.0.0.1:{port}/version", json_key = "revision" }}

[services.worker]
platform = "command"
paths = ["app/worker.py"]
restart_cmd = {cmd("restart", "worker")}
observe_cmd = {cmd("status", "worker")}
log_file = "app/run/worker.log"
restart_timeout = 30
{extra}
"""


class CommandApp:
    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.root = repo.path
        self.app = self.root / "app"
        self.port = free_port()

    def setup(self, extra_config: str = "") -> "CommandApp":
        self.app.mkdir()
        for name in ("ctl.py", "server.py", "worker.py"):
            shutil.copy(APP_SOURCE / name, self.app / name)
        (self.app / "port").write_text(str(self.port))
        self.repo.write("app/.gitignore", "run/\nport\ncrash\n")
        self.repo.write("deploystate.toml", config_text(self.port, extra_config))
        self.repo.write(".gitignore", ".deploystate/projection.json\n")
        self.commit_v1 = self.repo.commit("app v1")
        return self

    @property
    def config(self):
        return load_config(self.root / "deploystate.toml")

    def ref(self, name: str) -> ServiceRef:
        return ServiceRef(name, self.config.services[name], self.root)

    def change_api(self, greeting: str) -> str:
        text = (self.app / "server.py").read_text().replace('GREETING = "hello v1"', f'GREETING = "{greeting}"')
        return self.repo.commit(f"api: {greeting}", {"app/server.py": text})

    def pid(self, name: str) -> int | None:
        try:
            return int((self.app / "run" / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def stop_all(self) -> None:
        run = self.app / "run"
        for pid_file in run.glob("*.pid") if run.exists() else []:
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass


@pytest.fixture
def cmd_app(git_repo: GitRepo) -> Iterator[CommandApp]:
    """The app committed in a fresh repository; its processes are killed afterwards."""
    app = CommandApp(git_repo).setup()
    try:
        yield app
    finally:
        app.stop_all()
