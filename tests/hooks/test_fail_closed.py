"""Agent-client hooks fail closed: a missing launcher, a crash or unreadable state blocks, with a reason.

The commands are taken from the settings files the installer wrote and run the way
the clients run them (``sh -c`` with the client's JSON on stdin), so what is tested
is what a teammate's machine would execute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.hooks.agents import agent_install

from .conftest import run_hook

CLIENTS = ("claude", "codex", "cursor", "gemini")
BIN = Path(sys.executable).parent
BARE_PATH = "/usr/bin:/bin"  # a machine where deploystate is not installed (git and sh are)


def _commands(top: Path, client: str, scope: str = "project") -> dict[str, str]:
    """Our event -> the command line in the installed settings file."""
    doc = json.loads(agent_install.settings_path(top, client, scope).read_text())
    _, flat, events = agent_install.CLIENTS[client]
    out = {}
    for event, _, ours in events:
        entries = doc["hooks"][event]
        handler = entries[-1] if flat else entries[-1]["hooks"][0]
        out[ours] = handler["command"]
    return out


def _sh(command: str, payload: dict, path: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = path
    return subprocess.run(["/bin/sh", "-c", command], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


def _pre_tool(client: str, cwd: Path, command: str) -> dict:
    if client == "cursor":
        return {"hook_event_name": "beforeShellExecution", "command": command, "cwd": str(cwd),
                "workspace_roots": [str(cwd)]}
    tool = "run_shell_command" if client == "gemini" else "Bash"
    return {"session_id": "s1", "cwd": str(cwd), "tool_name": tool, "tool_input": {"command": command}}


@pytest.mark.parametrize("client", CLIENTS)
def test_teammate_without_deploystate_is_blocked(shop, client):
    """Committed settings run where deploystate is not installed: the push is refused (exit 2), with the reason."""
    agent_install.install(shop.path, client)
    cmd = _commands(shop.path, client)["pre-tool"]
    res = _sh(cmd, _pre_tool(client, shop.path, "git push --no-verify origin main"), BARE_PATH, shop.path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "deploystate-hook is not installed or not on PATH" in res.stderr
    assert f"deploystate hooks install --{client}" in res.stderr  # what to run
    assert len(res.stderr.strip().splitlines()) == 1  # one line in the transcript


def test_settings_from_a_virtualenv_that_does_not_exist_here_block(shop, tmp_path):
    """A personal file naming another machine's virtualenv launcher blocks once that venv is gone."""
    venv = tmp_path / "venv-a" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").symlink_to(sys.executable)
    launcher = venv / "deploystate-hook"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -I -m deploystate.hooks \"$@\"\n")
    launcher.chmod(0o755)
    agent_install.install(shop.path, "claude", str(venv / "python"), scope="local")
    cmd = _commands(shop.path, "claude", "local")["pre-tool"]
    assert str(launcher) in cmd
    ok = _sh(cmd, _pre_tool("claude", shop.path, "git push --no-verify origin main"), BARE_PATH, shop.path)
    assert ok.returncode == 0 and "denied (no-verify)" in json.loads(ok.stdout)["hookSpecificOutput"][
        "permissionDecisionReason"]
    shutil.rmtree(tmp_path / "venv-a")  # the teammate's machine: that virtualenv does not exist
    res = _sh(cmd, _pre_tool("claude", shop.path, "git push origin main"), BARE_PATH, shop.path)
    assert res.returncode == 2 and "is not installed or not on PATH" in res.stderr


@pytest.mark.parametrize("client", CLIENTS)
def test_installed_launcher_on_path_decides(shop, client):
    """With deploystate-hook on PATH the same committed command runs the real hook: bypass denied, rest allowed."""
    agent_install.install(shop.path, client)
    cmd = _commands(shop.path, client)["pre-tool"]
    path = f"{BIN}:{BARE_PATH}"
    denied = _sh(cmd, _pre_tool(client, shop.path, "timeout 10 git push --no-verify origin main"), path, shop.path)
    assert denied.returncode == 0, denied.stderr
    assert "denied (no-verify)" in denied.stdout
    allowed = _sh(cmd, _pre_tool(client, shop.path, "git status"), path, shop.path)
    assert allowed.returncode == 0 and "deny" not in allowed.stdout


def test_a_launcher_that_crashes_blocks(shop, tmp_path):
    """A deploystate-hook that exits 1 (a traceback, a bad interpreter) is turned into a refusal (exit 2)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "deploystate-hook").write_text("#!/bin/sh\necho Traceback >&2\nexit 1\n")
    (fake / "deploystate-hook").chmod(0o755)
    agent_install.install(shop.path, "codex")
    cmd = _commands(shop.path, "codex")["pre-tool"]
    res = _sh(cmd, _pre_tool("codex", shop.path, "git status"), f"{fake}:{BARE_PATH}", shop.path)
    assert res.returncode == 2 and "the deploystate hook failed (exit 1)" in res.stderr


@pytest.mark.parametrize("client", ["claude", "codex", "gemini"])
def test_stop_without_deploystate_blocks_once(shop, client):
    """The stop hook refuses when deploystate is missing, and lets the agent stop once it already continued."""
    agent_install.install(shop.path, client)
    cmd = _commands(shop.path, client)["stop"]
    first = _sh(cmd, {"session_id": "s1", "cwd": str(shop.path), "stop_hook_active": False}, BARE_PATH, shop.path)
    assert first.returncode == 2 and "not installed or not on PATH" in first.stderr
    again = _sh(cmd, {"session_id": "s1", "cwd": str(shop.path), "stop_hook_active": True}, BARE_PATH, shop.path)
    assert again.returncode == 0 and again.stderr == ""


def test_cursor_stop_without_deploystate_asks_for_a_followup(shop):
    """Cursor's stop reads only followup_message: the refusal is one, and loop_count > 0 lets it stop."""
    agent_install.install(shop.path, "cursor")
    cmd = _commands(shop.path, "cursor")["stop"]
    first = _sh(cmd, {"conversation_id": "c", "workspace_roots": [str(shop.path)], "loop_count": 0}, BARE_PATH,
                shop.path)
    assert first.returncode == 0 and "not installed" in json.loads(first.stdout)["followup_message"]
    again = _sh(cmd, {"conversation_id": "c", "workspace_roots": [str(shop.path)], "loop_count": 1}, BARE_PATH,
                shop.path)
    assert again.returncode == 0 and again.stdout == ""


@pytest.mark.parametrize("client", CLIENTS)
def test_session_start_without_deploystate_warns(shop, client):
    """Session start never blocks: without deploystate it injects a warning that the state is unknown."""
    agent_install.install(shop.path, client)
    res = _sh(_commands(shop.path, client)["session-start"], {"session_id": "s1", "cwd": str(shop.path)},
              BARE_PATH, shop.path)
    assert res.returncode == 0
    out = json.loads(res.stdout)
    text = out["additional_context"] if client == "cursor" else out["hookSpecificOutput"]["additionalContext"]
    assert "deployment state is unknown" in text


def _crash(argv: list[str], payload: dict, cwd: Path, broken: str) -> subprocess.CompletedProcess[str]:
    """Run the hook entry point with one of its modules broken (importing it raises)."""
    code = (f"import sys; sys.modules[{broken!r}] = None\n"
            "from deploystate.hooks.__main__ import main\n"
            f"sys.exit(main({argv!r}))")
    return subprocess.run([sys.executable, "-c", code], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=cwd, timeout=60)


@pytest.mark.parametrize("client", ["claude", "codex", "gemini", "cursor"])
def test_a_crashing_pre_tool_hook_refuses(shop, client):
    """When hooks/__main__.py cannot load the agent hook, pre-tool exits 2 with the error named."""
    res = _crash(["agent", client, "pre-tool"], _pre_tool(client, shop.path, "git status"), shop.path,
                 "deploystate.hooks.agents.agents")
    assert res.returncode == 2
    assert "the pre-tool hook failed (ModuleNotFoundError" in res.stderr and "deploystate doctor" in res.stderr


def test_a_crashing_stop_hook_refuses_once(shop):
    """A crashing stop hook blocks, but not when the client says a stop hook already continued the turn."""
    payload = {"session_id": "s1", "cwd": str(shop.path), "stop_hook_active": False}
    assert _crash(["agent", "claude", "stop"], payload, shop.path, "deploystate.hooks.agents.agents").returncode == 2
    payload["stop_hook_active"] = True
    assert _crash(["agent", "claude", "stop"], payload, shop.path, "deploystate.hooks.agents.agents").returncode == 0


def test_an_error_inside_the_pre_tool_logic_refuses(shop):
    """An exception while judging the command (not at import) also refuses, through the client's exit 2."""
    code = ("import sys\nfrom deploystate.hooks.shell import shellparse\n"
            "shellparse.analyze = lambda command: 1 / 0\n"
            "from deploystate.hooks.__main__ import main\nsys.exit(main(['agent', 'claude', 'pre-tool']))")
    res = subprocess.run([sys.executable, "-c", code], input=json.dumps(_pre_tool("claude", shop.path, "ls")),
                         capture_output=True, text=True, cwd=shop.path, timeout=60)
    assert res.returncode == 2 and "ZeroDivisionError" in res.stderr


def test_a_crashing_git_hook_refuses(shop):
    """pre-push and commit-msg exit 1 (git refuses) when their module cannot load."""
    res = _crash(["pre-push", "origin", "url"], {}, shop.path, "deploystate.hooks.git.gitpush")
    assert res.returncode == 1 and "the pre-push hook failed (ModuleNotFoundError" in res.stderr


def test_a_crashing_git_hook_still_takes_the_override(shop):
    """DEPLOYSTATE_OVERRIDE with a reason gets past a broken hook, and is recorded in the ledger."""
    code = ("import sys; sys.modules['deploystate.hooks.git.gitpush'] = None\n"
            "from deploystate.hooks.__main__ import main\nsys.exit(main(['pre-push', 'origin', 'url']))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=shop.path, timeout=60,
                         env={**os.environ, "DEPLOYSTATE_OVERRIDE": "outage hotfix, verifying after"})
    assert res.returncode == 0, res.stderr
    assert "OVERRIDE recorded" in res.stderr
    assert any(r["kind"] == "override" for r in shop.ledger_records())


def test_stop_blocks_when_the_state_is_unreadable(shop):
    """A stop hook that cannot read the state does not let "done" through: it blocks once, saying why."""
    (shop.path / "deploystate.toml").write_text("[project\n")
    res = run_hook(["agent", "claude", "stop"], cwd=shop.path,
                   input=json.dumps({"session_id": "s1", "cwd": str(shop.path), "stop_hook_active": False,
                                     "last_assistant_message": "Refactored."}))
    out = json.loads(res.stdout)
    assert out["decision"] == "block" and "could not read the deployment state" in out["reason"]


def test_pre_tool_push_is_denied_when_the_state_is_unreadable(shop):
    """A push to a deploy branch is denied when the state cannot be read (unknown is never OK)."""
    (shop.path / "deploystate.toml").write_text("[project\n")
    res = run_hook(["agent", "claude", "pre-tool"], cwd=shop.path,
                   input=json.dumps(_pre_tool("claude", shop.path, "git push origin main")))
    reason = json.loads(res.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "denied (refused-push)" in reason and "could not read its state" in reason
