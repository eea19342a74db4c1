"""`deploystate restart` and `deploystate rollback` through the installed console script, against a real
local app (an HTTP API and a worker) on the command platform."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from deploystate.server.cli import main
from deploystate.state.config.project import Project
from tests.platforms.cmdapp import cmd_app  # noqa: F401  (fixture)

SCRIPT = Path(sys.executable).with_name("deploystate")


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: pip install -e . installs the console script")
    return subprocess.run([str(SCRIPT), "--root", str(root), *args], capture_output=True, text=True, timeout=120)


def _version(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as resp:
        return json.loads(resp.read())


def _records(root: Path) -> list[dict]:
    path = Project.discover(root).ledger.path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_restart_prints_the_plan_then_restarts_and_records(cmd_app):
    """restart --affected prints the plan, then progress and one line per restart; records each deploy."""
    res = cli(cmd_app.root, "restart", "--affected")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.index("plan (HEAD") < out.index("running restart_cmd") < out.index("api: RESTARTED")
    assert "running commit unknown" in out and "next: deploystate verify api worker" in out
    assert [r["payload"]["status"] for r in _records(cmd_app.root)] == ["restarted", "restarted"]
    v2 = cmd_app.change_api("hello v2")
    dry = cli(cmd_app.root, "restart", "--affected", "--dry-run")
    assert dry.returncode == 0 and "restart  api [command, command]: 1 file changed" in dry.stdout
    assert "skip     worker" in dry.stdout and "dry run: nothing was restarted" in dry.stdout
    assert len(_records(cmd_app.root)) == 2 and _version(cmd_app.port)["revision"] == cmd_app.commit_v1
    res = cli(cmd_app.root, "restart", "--affected", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["plan"]["restart"] == ["api"] and data["outcomes"][0]["platform_ids"]["revision"] == v2
    assert _version(cmd_app.port)["revision"] == v2


def test_restart_of_unchanged_code_is_refused_unless_forced_with_a_reason(cmd_app, capsys):
    """Naming a service whose code did not change exits 1 with the plan and the way to force it."""
    assert main(["--root", str(cmd_app.root), "restart", "--affected"]) == 0
    capsys.readouterr()
    assert main(["--root", str(cmd_app.root), "restart", "worker"]) == 1
    captured = capsys.readouterr()
    assert "REFUSED  worker" in captured.out and "--force" in captured.err
    assert main(["--root", str(cmd_app.root), "restart", "worker", "--force"]) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert main(["--root", str(cmd_app.root), "restart", "worker", "--force", "--reason", "log rotation"]) == 0
    assert _records(cmd_app.root)[-1]["payload"]["reason"] == "log rotation"


def test_restart_needs_names_or_affected(cmd_app, capsys):
    """restart with neither names nor --affected (or both) is bad input, exit 2; bad names are rejected."""
    assert main(["--root", str(cmd_app.root), "restart"]) == 2
    assert "--dry-run" in capsys.readouterr().err
    assert main(["--root", str(cmd_app.root), "restart", "api", "--affected"]) == 2
    assert main(["--root", str(cmd_app.root), "restart", "nope"]) == 2
    assert "known services: api, worker" in capsys.readouterr().err


def test_rollback_previous_and_last_verified(cmd_app, capsys):
    """rollback --to previous brings the old commit back; last_verified without a pass is refused (exit 1)."""
    root = str(cmd_app.root)
    assert main(["--root", root, "restart", "--affected"]) == 0
    cmd_app.change_api("hello v2")
    assert main(["--root", root, "restart", "api"]) == 0
    capsys.readouterr()
    assert main(["--root", root, "rollback", "api"]) == 1
    assert "no passing verification" in capsys.readouterr().err
    assert main(["--root", root, "rollback", "api", "--to", "previous", "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)["outcome"]
    assert outcome["kind"] == "rollback" and outcome["commit"] == cmd_app.commit_v1
    assert _version(cmd_app.port) == {"revision": cmd_app.commit_v1, "greeting": "hello v1"}
    assert main(["--root", root, "rollback", "api", "--to=-bad"]) == 2


def test_a_failed_restart_exits_1_and_is_recorded(cmd_app, capsys):
    """A restart command that fails exits 1 and leaves a failed deploy record naming the cause."""
    (cmd_app.app / "crash").write_text("1")
    assert main(["--root", str(cmd_app.root), "restart", "api"]) == 1
    out = capsys.readouterr().out
    assert "api: FAILED" in out and "did not become ready" in out
    assert _records(cmd_app.root)[-1]["payload"]["status"] == "failed"
