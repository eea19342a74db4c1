"""The second layer: the permission rules `hooks install` writes beside the hooks are refused by the
installed clients themselves (Claude Code's permission check in a real session with the hooks taken out;
Codex's `execpolicy check`, which loads the file with its match/not_match examples), and install,
reinstall and uninstall keep every rule that is not ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.hooks.agents import agent_install, agent_rules
from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.fixtures.parts import missing

CLIENTS_DIR = Path(os.environ.get("DEPLOYSTATE_CLIENTS_DIR", "/tmp/deploystate-agent-clients"))
CLAUDE = CLIENTS_DIR / "claude-code-2.1.332" / "node_modules" / ".bin" / "claude"
CODEX = CLIENTS_DIR / "codex-0.171.0" / "node_modules" / ".bin" / "codex"
INSTALL = "bash .ci/parts/50-agent-clients.sh (npm install of the agent clients)"

# Codex's rules match a command's first words only: "git push origin main --no-verify" is the hook's to catch.
CODEX_DENIED = ["git push --no-verify origin main", "git commit --no-verify -m wip", "git commit -n -m wip",
                "git send-pack origin refs/heads/main", "deploystate hooks uninstall --all"]
ALLOWED = ["git push origin main", "git commit -m 'do not use --no-verify'", "git status",
           "git commit -m 'fix the -n flag'", "deploystate hooks status"]


def test_claude_rules_merge_and_uninstall_keep_others(tmp_path):
    """Our deny rules join the user's; reinstall adds none twice; uninstall leaves only the user's."""
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"permissions": {"deny": ["Read(.env)"], "allow": ["Bash(npm test)"]}}))
    agent_install.install(tmp_path, "claude")
    agent_install.install(tmp_path, "claude")
    perms = json.loads(path.read_text())["permissions"]
    assert perms["deny"] == ["Read(.env)", *agent_rules.CLAUDE_DENY] and perms["allow"] == ["Bash(npm test)"]
    agent_install.uninstall(tmp_path, "claude")
    assert json.loads(path.read_text()) == {"permissions": {"deny": ["Read(.env)"], "allow": ["Bash(npm test)"]}}


def test_a_file_with_only_our_rules_and_hooks_is_removed(tmp_path):
    """Uninstall deletes the settings file (and the Codex rules file) when they held only ours."""
    agent_install.install(tmp_path, "claude")
    agent_install.install(tmp_path, "codex")
    assert agent_rules.codex_path(tmp_path / ".codex" / "hooks.json").exists()
    agent_install.uninstall(tmp_path, "claude")
    agent_install.uninstall(tmp_path, "codex")
    assert not (tmp_path / ".claude").exists() and not (tmp_path / ".codex").exists()


def _claude_session(shop, tmp_path, command: str) -> str:
    if not CLAUDE.exists():
        missing("Claude Code", INSTALL)
    home = tmp_path / "claude-home"
    home.mkdir(exist_ok=True)
    with FakeAnthropic(command) as api:
        env = {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
               "ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": "sk-stand-in",
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1", "GIT_CONFIG_NOSYSTEM": "1"}
        # --allowedTools Bash allows every command: only a deny rule can refuse one
        res = subprocess.run([str(CLAUDE), "-p", "do it", "--allowedTools", "Bash", "--output-format", "json"],
                             cwd=shop.path, env=env, capture_output=True, text=True, timeout=240)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    results = api.tool_results()
    assert results, "Claude Code sent no tool result"
    return results[0]


@pytest.mark.parametrize("command,denied", [("git push --no-verify origin main", True),
                                            ("git push origin main --no-verify", True),
                                            ("git status", False)])
def test_claude_code_refuses_by_its_own_rules_without_the_hooks(shop, tmp_path, command, denied):
    """With deploystate's hooks taken out of the settings, Claude Code's permission check still refuses
    the plain bypasses (and runs an ordinary command): the deny rules stand on their own."""
    agent_install.install(shop.path, "claude")
    path = shop.path / ".claude" / "settings.json"
    doc = json.loads(path.read_text())
    del doc["hooks"]
    path.write_text(json.dumps(doc))
    before = shop.git("--git-dir", str(shop.remote), "rev-parse", "main").stdout
    shop.change("api/app.py", "print('unpushed')\n")  # so a push that ran would move the remote
    result = _claude_session(shop, tmp_path, command)
    if denied:
        assert result.startswith(f"Permission to use Bash with command {command} has been denied"), result
        assert shop.git("--git-dir", str(shop.remote), "rev-parse", "main").stdout == before
    else:
        assert "On branch main" in result, result


def _codex_check(rules: Path, command: str) -> dict:
    res = subprocess.run([str(CODEX), "execpolicy", "check", "--rules", str(rules), "--", *command.split()],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(rules.parent)})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_codex_loads_our_rules_and_forbids_the_bypasses(tmp_path):
    """Codex's execpolicy loads the file (its match/not_match examples hold) and forbids each bypass."""
    if not CODEX.exists():
        missing("Codex", INSTALL)
    agent_install.install(tmp_path, "codex")
    rules = agent_rules.codex_path(tmp_path / ".codex" / "hooks.json")
    for command in CODEX_DENIED:
        out = _codex_check(rules, command)
        assert out.get("decision") == "forbidden", (command, out)
    for command in ALLOWED:
        out = _codex_check(rules, command)
        assert out.get("decision") != "forbidden", (command, out)


def test_codex_rejects_a_rules_file_whose_examples_fail(tmp_path):
    """The examples are real checks: a rule whose `match` example does not match fails to load."""
    if not CODEX.exists():
        missing("Codex", INSTALL)
    bad = tmp_path / "bad.rules"
    bad.write_text(agent_rules.codex_text().replace('"git commit -n -m wip"', '"git status"', 1))
    res = subprocess.run([str(CODEX), "execpolicy", "check", "--rules", str(bad), "--", "git", "status"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert res.returncode != 0


def test_claude_rules_never_match_free_text():
    """No deny rule has a wildcard before a commit's message could start (so messages are never refused)."""
    for rule in agent_rules.CLAUDE_DENY:
        body = rule[len("Bash("):-1]
        assert not body.startswith("git commit *") and not body.startswith("git merge *"), rule
