"""Agent-client installers merge into existing settings, are idempotent, and uninstall only theirs."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks.agents import agent_install, agent_rules
from deploystate.state.errors import InputError

PY = "/opt/py/bin/python"  # an interpreter without a deploystate-hook beside it (personal scopes only)

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
    agent_install.install(tmp_path, "claude")
    doc = _read(path)
    # the user's permissions stay; ours (the second layer, hooks/agents/agent_rules.py) are added to deny
    assert doc["permissions"] == {**CLAUDE_EXISTING["permissions"],
                                  "deny": [*CLAUDE_EXISTING["permissions"].get("deny", []), *agent_rules.CLAUDE_DENY]}
    assert doc["hooks"]["PostToolUse"] == CLAUDE_EXISTING["hooks"]["PostToolUse"]
    pre = doc["hooks"]["PreToolUse"]
    assert pre[0] == CLAUDE_EXISTING["hooks"]["PreToolUse"][0]
    assert pre[1] == {"matcher": "Bash", "hooks": [{"type": "command", "timeout": 30,
                                                    "command": agent_install.command("claude", "pre-tool")}]}
    assert "then deploystate-hook agent claude pre-tool;" in pre[1]["hooks"][0]["command"]
    assert doc["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert "deploystate-hook agent claude stop;" in doc["hooks"]["Stop"][0]["hooks"][0]["command"]


@pytest.mark.parametrize("client", ["claude", "codex", "cursor", "gemini"])
def test_install_is_idempotent_and_uninstall_restores(tmp_path, client):
    """Installing twice equals installing once; uninstalling gives back the file as it was."""
    path = agent_install.settings_path(tmp_path, client)
    path.parent.mkdir(parents=True)
    original = {"theme": "dark", "hooks": {"Notification": [{"hooks": [{"type": "command", "command": "say hi"}]}]}}
    if client == "cursor":
        original = {"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}}
    path.write_text(json.dumps(original))
    agent_install.install(tmp_path, client)
    once = path.read_text()
    assert "already installed" in agent_install.install(tmp_path, client)
    assert path.read_text() == once
    assert agent_install.status(tmp_path, client) == "installed"
    agent_install.uninstall(tmp_path, client)
    assert _read(path) == original
    assert agent_install.status(tmp_path, client) == "not installed"


def test_each_client_gets_its_documented_events(tmp_path):
    """Codex, Cursor and Gemini get their own event names, matchers and timeout units."""
    for client in ("codex", "cursor", "gemini"):
        agent_install.install(tmp_path, client)
    codex = _read(tmp_path / ".codex" / "hooks.json")["hooks"]
    assert set(codex) == {"SessionStart", "Stop", "PreToolUse"}
    assert codex["PreToolUse"][0]["matcher"] == "Bash" and codex["Stop"][0]["hooks"][0]["timeout"] == 30
    cursor = _read(tmp_path / ".cursor" / "hooks.json")
    assert cursor["version"] == 1
    assert cursor["hooks"]["beforeShellExecution"] == [{"command": agent_install.command("cursor", "pre-tool"),
                                                          "timeout": 30, "failClosed": True}]
    assert set(cursor["hooks"]) == {"sessionStart", "stop", "beforeShellExecution"}
    gemini = _read(tmp_path / ".gemini" / "settings.json")["hooks"]
    assert gemini["BeforeTool"][0]["matcher"] == "run_shell_command"
    assert gemini["AfterAgent"][0]["hooks"][0]["timeout"] == 30000
    assert gemini["SessionStart"][0]["hooks"][0]["name"] == "deploystate-session-start"
    # Gemini compares a lifecycle matcher with the trigger exactly: "startup|resume|clear" never matched
    assert "matcher" not in gemini["SessionStart"][0]


def test_gemini_non_list_hook_keys_survive(tmp_path):
    """Gemini's hooks object may hold settings such as "disabled": they are kept untouched."""
    path = tmp_path / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"hooks": {"disabled": ["secret-scanner"]}, "general": {"vimMode": True}}))
    agent_install.install(tmp_path, "gemini")
    agent_install.uninstall(tmp_path, "gemini")
    assert _read(path) == {"hooks": {"disabled": ["secret-scanner"]}, "general": {"vimMode": True}}


def test_uninstall_deletes_a_file_that_held_only_ours(tmp_path):
    """A settings file created by the installer disappears again on uninstall."""
    agent_install.install(tmp_path, "codex")
    agent_install.uninstall(tmp_path, "codex")
    assert not (tmp_path / ".codex").exists()


def test_invalid_json_is_never_overwritten(tmp_path):
    """A settings file that is not valid JSON is refused and left exactly as it was."""
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text("{ // a comment\n}")
    with pytest.raises(InputError, match="not valid JSON"):
        agent_install.install(tmp_path, "claude")
    assert path.read_text() == "{ // a comment\n}"


def test_reinstall_replaces_older_commands_only(tmp_path):
    """Entries written by older releases (an absolute interpreter path) are replaced, never duplicated."""
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    old = {"type": "command", "command": f"{PY} -m deploystate.hooks agent claude pre-tool"}
    path.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [old]}]}}))
    agent_install.install(tmp_path, "claude")
    doc = _read(path)
    commands = [h["command"] for groups in doc["hooks"].values() for g in groups for h in g["hooks"]]
    assert len(commands) == 3 and not any(PY in c for c in commands)


def test_shared_files_hold_nothing_machine_specific(tmp_path):
    """The project (committed) scope names the launcher on PATH only, and refuses --python."""
    for client in ("claude", "codex", "cursor", "gemini"):
        agent_install.install(tmp_path, client)
    for rel in (".claude/settings.json", ".codex/hooks.json", ".cursor/hooks.json", ".gemini/settings.json"):
        text = (tmp_path / rel).read_text()
        assert str(tmp_path) not in text and "/bin/python" not in text and ".venv" not in text
    with pytest.raises(InputError, match="shared, committed file"):
        agent_install.install(tmp_path, "claude", PY)


def test_scopes_write_each_clients_own_files(tmp_path, monkeypatch):
    """--scope local and user write the personal files each client defines; missing ones are refused."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    repo = tmp_path / "repo"
    agent_install.install(repo, "claude", PY, scope="local")
    local = _read(repo / ".claude" / "settings.local.json")
    assert not (repo / ".claude" / "settings.json").exists()
    # an interpreter without the console script beside it: run the module in isolated mode
    assert f"{PY} -I -m deploystate.hooks agent claude stop" in local["hooks"]["Stop"][0]["hooks"][0]["command"]
    for client, rel in (("claude", ".claude/settings.json"), ("codex", ".codex/hooks.json"),
                        ("gemini", ".gemini/settings.json"), ("cursor", ".cursor/hooks.json")):
        agent_install.install(repo, client, scope="user")
        assert agent_install.status(repo, client, scope="user") == "installed"
        assert (home / rel).is_file()
    for client in ("codex", "gemini", "cursor"):
        with pytest.raises(InputError, match="no local-scope hooks file"):
            agent_install.install(repo, client, scope="local")


def test_pre_tool_command_hands_the_input_to_the_launcher_and_drains_it_without_one(tmp_path):
    """The installed pre-tool command gives the launcher the client's input byte for byte; with no launcher
    it still reads all of it (a client writing 200 kB gets no broken pipe) and blocks with exit 2."""
    import subprocess as sp

    from deploystate.hooks.agents import agent_install as ai

    seen = tmp_path / "seen"
    stub = tmp_path / "stub-hook"
    stub.write_text(f'#!/bin/sh\ncat > "{seen}"\nexit 0\n')
    stub.chmod(0o755)
    payload = '{"tool_input": {"command": "git push origin main"}, "pad": "' + "x" * 200_000 + '"}\n'
    ok = sp.run(["/bin/sh", "-c", ai.command("claude", "pre-tool", str(stub))], input=payload, text=True,
                capture_output=True, timeout=60)
    assert ok.returncode == 0 and seen.read_text() == payload
    gone = sp.run(["/bin/sh", "-c", ai.command("claude", "pre-tool", str(tmp_path / "missing"))], input=payload,
                  text=True, capture_output=True, timeout=60)
    assert gone.returncode == 2 and "is not installed or not on PATH" in gone.stderr
