"""Agent-client installers merge into existing settings, are idempotent, and uninstall only theirs."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks import agent_install
from deploystate.state.errors import InputError

PY = "/opt/py/bin/python"

CLAUDE_EXISTING = {
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint-guard.sh"}]}],
        "PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "prettier --write"}]}],
    },
}


def _read(path):
    return json.loads(path.read_text())


def test_claude_merge_keeps_everything_else(tmp_path):
    """Installing into an existing .claude/settings.json adds ours beside the user's hooks and keys."""
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(CLAUDE_EXISTING))
    agent_install.install(tmp_path, "claude", PY)
    doc = _read(path)
    assert doc["permissions"] == CLAUDE_EXISTING["permissions"]
    assert doc["hooks"]["PostToolUse"] == CLAUDE_EXISTING["hooks"]["PostToolUse"]
    pre = doc["hooks"]["PreToolUse"]
    assert pre[0] == CLAUDE_EXISTING["hooks"]["PreToolUse"][0]
    assert pre[1] == {"matcher": "Bash", "hooks": [{"type": "command", "timeout": 30,
                                                    "command": f"{PY} -m deploystate.hooks agent claude pre-tool"}]}
    assert doc["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert doc["hooks"]["Stop"][0]["hooks"][0]["command"].endswith("agent claude stop")


@pytest.mark.parametrize("client", ["claude", "codex", "cursor", "gemini"])
def test_install_is_idempotent_and_uninstall_restores(tmp_path, client):
    """Installing twice equals installing once; uninstalling gives back the file as it was."""
    rel = agent_install.CLIENTS[client][0]
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    original = {"theme": "dark", "hooks": {"Notification": [{"hooks": [{"type": "command", "command": "say hi"}]}]}}
    if client == "cursor":
        original = {"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}}
    path.write_text(json.dumps(original))
    agent_install.install(tmp_path, client, PY)
    once = path.read_text()
    assert "already installed" in agent_install.install(tmp_path, client, PY)
    assert path.read_text() == once
    assert agent_install.status(tmp_path, client) == "installed"
    agent_install.uninstall(tmp_path, client)
    assert _read(path) == original
    assert agent_install.status(tmp_path, client) == "not installed"


def test_each_client_gets_its_documented_events(tmp_path):
    """Codex, Cursor and Gemini get their own event names, matchers and timeout units."""
    for client in ("codex", "cursor", "gemini"):
        agent_install.install(tmp_path, client, PY)
    codex = _read(tmp_path / ".codex" / "hooks.json")["hooks"]
    assert set(codex) == {"SessionStart", "Stop", "PreToolUse"}
    assert codex["PreToolUse"][0]["matcher"] == "Bash" and codex["Stop"][0]["hooks"][0]["timeout"] == 30
    cursor = _read(tmp_path / ".cursor" / "hooks.json")
    assert cursor["version"] == 1
    assert cursor["hooks"]["beforeShellExecution"] == [{"command": f"{PY} -m deploystate.hooks agent cursor pre-tool"}]
    assert set(cursor["hooks"]) == {"sessionStart", "stop", "beforeShellExecution"}
    gemini = _read(tmp_path / ".gemini" / "settings.json")["hooks"]
    assert gemini["BeforeTool"][0]["matcher"] == "run_shell_command"
    assert gemini["AfterAgent"][0]["hooks"][0]["timeout"] == 30000
    assert gemini["SessionStart"][0]["hooks"][0]["name"] == "deploystate-session-start"


def test_gemini_non_list_hook_keys_survive(tmp_path):
    """Gemini's hooks object may hold settings such as "disabled": they are kept untouched."""
    path = tmp_path / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"hooks": {"disabled": ["secret-scanner"]}, "general": {"vimMode": True}}))
    agent_install.install(tmp_path, "gemini", PY)
    agent_install.uninstall(tmp_path, "gemini")
    assert _read(path) == {"hooks": {"disabled": ["secret-scanner"]}, "general": {"vimMode": True}}


def test_uninstall_deletes_a_file_that_held_only_ours(tmp_path):
    """A settings file created by the installer disappears again on uninstall."""
    agent_install.install(tmp_path, "codex", PY)
    agent_install.uninstall(tmp_path, "codex")
    assert not (tmp_path / ".codex").exists()


def test_invalid_json_is_never_overwritten(tmp_path):
    """A settings file that is not valid JSON is refused and left exactly as it was."""
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text("{ // a comment\n}")
    with pytest.raises(InputError, match="not valid JSON"):
        agent_install.install(tmp_path, "claude", PY)
    assert path.read_text() == "{ // a comment\n}"


def test_reinstall_with_another_interpreter_replaces_ours_only(tmp_path):
    """Installing again from another Python updates our commands, never duplicating them."""
    agent_install.install(tmp_path, "claude", PY)
    agent_install.install(tmp_path, "claude", "/other/python")
    doc = _read(tmp_path / ".claude" / "settings.json")
    commands = [h["command"] for groups in doc["hooks"].values() for g in groups for h in g["hooks"]]
    assert len(commands) == 3 and all(c.startswith("/other/python ") for c in commands)
