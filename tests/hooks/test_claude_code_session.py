"""A real Claude Code session (the npm package, installed by .ci/parts/50-agent-clients.sh) runs the hooks
from the committed .claude/settings.json; a local stand-in answers for the model API and asks for one
Bash command. What Claude Code sends back as the tool result shows what our hook decided."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from deploystate.hooks.agents import agent_install
from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.fixtures.parts import missing

CLIENTS_DIR = Path(os.environ.get("DEPLOYSTATE_CLIENTS_DIR", "/tmp/deploystate-agent-clients"))
CLAUDE = CLIENTS_DIR / "claude-code-2.1.332" / "node_modules" / ".bin" / "claude"
BARE_PATH = "/usr/bin:/bin"


def _session(shop, tmp_path, command: str, path: str) -> FakeAnthropic:
    if not CLAUDE.exists():
        missing("Claude Code", "bash .ci/parts/50-agent-clients.sh (npm install of @anthropic-ai/claude-code)")
    import subprocess

    agent_install.install(shop.path, "claude")
    home = tmp_path / "claude-home"
    home.mkdir(exist_ok=True)
    with FakeAnthropic(command) as api:
        env = {"HOME": str(home), "PATH": path, "ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": "sk-stand-in",
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.test",
               "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.test"}
        res = subprocess.run([str(CLAUDE), "-p", "do it", "--allowedTools", "Bash", "--output-format", "json"],
                             cwd=shop.path, env=env, capture_output=True, text=True, timeout=240)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return api


def _remote_main(shop) -> str:
    return shop.git("--git-dir", str(shop.remote), "rev-parse", "main").stdout.strip()


def test_claude_code_denies_a_no_verify_push(shop, tmp_path):
    """In a real session the PreToolUse hook denies `timeout 10 git push --no-verify`; nothing is pushed."""
    before = _remote_main(shop)
    shop.change("api/app.py", "print(5)\n")
    api = _session(shop, tmp_path, "timeout 10 git push --no-verify origin main",
                   f"{Path(sys.executable).parent}:{BARE_PATH}")
    results = api.tool_results()
    assert results and "deploystate: denied (no-verify)" in results[0]
    assert _remote_main(shop) == before


def test_claude_code_on_a_teammate_machine_blocks(shop, tmp_path):
    """Without deploystate on PATH, the committed settings still block the push, saying what to install."""
    before = _remote_main(shop)
    shop.change("api/app.py", "print(6)\n")
    api = _session(shop, tmp_path, "git push origin main", BARE_PATH)
    results = api.tool_results()
    assert results and "deploystate-hook is not installed or not on PATH" in results[0]
    assert _remote_main(shop) == before


def test_claude_code_runs_an_allowed_command(shop, tmp_path):
    """An ordinary command goes through the hook and runs (its output comes back as the tool result)."""
    api = _session(shop, tmp_path, "git status", f"{Path(sys.executable).parent}:{BARE_PATH}")
    results = api.tool_results()
    assert results and "On branch main" in results[0]
