"""Shared pieces of the verification tests: a real git project, records, and a tiny HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from deploystate.state.view import cache
from deploystate.state.ledger import store
from deploystate.state.config.config import Config, load_config
from deploystate.state.config.project import Project
from tests.fixtures.gitrepo import GitRepo

AUTHOR = {"kind": "human", "name": "Test Dev", "client": None, "session": None}


def make_project(repo: GitRepo, config: str, files: dict[str, str] | None = None) -> tuple[Project, Config]:
    """Commit deploystate.toml (and files), create the state directory, return the project and its config."""
    repo.commit("initial", {"deploystate.toml": config, "app/main.py": "print('v1')\n", **(files or {})})
    project = Project.discover(repo.path)
    project.ledger.ensure()
    return project, load_config(project.config_path)


def record_deploy(project: Project, service: str, commit: str, *, started_at: str | None = None,
                  platform_ids: dict[str, Any] | None = None) -> dict:
    return store.record(project, "deploy", {
        "service": service, "commit": commit, "strategy": "restart", "platform": "command",
        "platform_ids": platform_ids or {}, "status": "restarted", "warnings": [], "forced": False, "reason": "",
        "started_at": started_at, "duration": 0.1}, commit=commit, author=AUTHOR)


def state_of(project: Project) -> dict:
    return cache.load(project.ledger).state


def ledger_text(project: Project) -> str:
    return (project.state_dir / "ledger.jsonl").read_text(encoding="utf-8")


class Capture:
    """A loopback HTTP server answering every request with ``answer(method, path, body)``; keeps the bodies."""

    def __init__(self, answer: Callable[[str, str, bytes], tuple[int, bytes, dict[str, str]]]) -> None:
        self.bodies: list[bytes] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append(body)
                status, data, headers = answer(self.command, self.path, body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def json_bodies(self) -> list[Any]:
        return [json.loads(b) for b in self.bodies if b]

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# -- the simulated app behind the command platform (tests/verify/appsim.py), real processes -----------------

APP_CONFIG = """\
[project]
name = "trading"
doom_loop_after = 3
recheck_after = "{recheck}"
{hook}

[services.web]
platform = "command"
paths = ["app/**"]
restart_cmd = ["{py}", "appsim.py", "restart"]
observe_cmd = ["{py}", "appsim.py", "observe"]
log_file = "run/app.log"

[[services.web.checks]]
type = "revision"

[[services.web.checks]]
type = "rollout"

[[services.web.checks]]
type = "logs"
must_match = ["RL model made"]
must_not_match = ["using fallback", "(?i)\\\\berror\\\\b"]
window = "10m"
"""
APP_SECRET = "supersecret123456789"   # appsim.py logs it on every start


def app_project(repo: GitRepo, *, recheck: str = "30m", hook: str | None = None) -> tuple[Project, Config]:
    """A project whose one service ``web`` is appsim.py behind the command platform, built at HEAD."""
    import shutil
    import sys
    from pathlib import Path

    app = Path(__file__).with_name("appsim.py")
    shutil.copy(app, repo.path / "appsim.py")
    text = APP_CONFIG.format(py=sys.executable, recheck=recheck, hook=f'alert_webhook = "{hook}"' if hook else "")
    project, config = make_project(repo, text, {"appsim.py": app.read_text()})
    app_mode(repo, "ok")
    app_build(repo)
    return project, config


def app_mode(repo: GitRepo, mode: str) -> None:
    (repo.path / "run").mkdir(exist_ok=True)
    (repo.path / "run" / "mode").write_text(mode)


def app_build(repo: GitRepo) -> None:
    """Bake HEAD into the app's "image" (what a CI build would do)."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "appsim.py", "build"], cwd=repo.path, check=True, timeout=30)


def app_restart(project: Project) -> None:
    """``deploystate restart web --force`` through the real platform code, recording the deploy."""
    from deploystate.platforms import deploy

    config = deploy.config_of(project)
    plan = deploy.make_plan(project, config, names=["web"], force=True, reason="test deploy")
    outcomes = deploy.execute(project, config, plan, author=AUTHOR)
    assert [o.status for o in outcomes] == ["restarted"], outcomes
