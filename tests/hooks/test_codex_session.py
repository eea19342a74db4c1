"""A real Codex session (`codex exec`, the npm package installed by .ci/parts/50-agent-clients.sh) runs
the hooks from the committed .codex/hooks.json; a local stand-in answers for the model API and asks for
one shell command. Codex's own PreToolUse engine decides from our hook's output and exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deploystate.hooks.agents import agent_install
from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.parts import missing

CLIENTS_DIR = Path(os.environ.get("DEPLOYSTATE_CLIENTS_DIR", "/tmp/deploystate-agent-clients"))
CODEX = CLIENTS_DIR / "codex-0.171.0" / "node_modules" / ".bin" / "codex"
BARE_PATH = "/usr/bin:/bin"


def _session(shop, tmp_path, command: str, path: str) -> tuple[FakeOpenAI, str]:
    if not CODEX.exists():
        missing("Codex", "bash .ci/parts/50-agent-clients.sh (npm install of @openai/codex)")
    agent_install.install(shop.path, "codex")
    home = tmp_path / "codex-home"
    home.mkdir(exist_ok=True)
    with FakeOpenAI(command) as api:
        env = {"HOME": str(home), "PATH": path, "STAND_IN_KEY": "sk-stand-in", "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.test", "GIT_COMMITTER_NAME": "Dev",
               "GIT_COMMITTER_EMAIL": "dev@example.test"}
        # --trust: the project's .codex layer loads; --dangerously-bypass-hook-trust: no interactive /hooks review
        argv = [str(CODEX), "exec", "--trust", "--dangerously-bypass-hook-trust", "--skip-git-repo-check",
                "-c", 'model_provider="stand_in"', "-c", 'model_providers.stand_in.name="stand-in"',
                "-c", f'model_providers.stand_in.base_url="{api.url}"',
                "-c", 'model_providers.stand_in.env_key="STAND_IN_KEY"',
                "-c", 'model_providers.stand_in.wire_api="responses"', "-m", "gpt-5", "do it"]
        res = subprocess.run(argv, cwd=shop.path, env=env, capture_output=True, text=True, timeout=240,
                             stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return api, res.stdout + res.stderr


def _remote_main(shop) -> str:
    return shop.git("--git-dir", str(shop.remote), "rev-parse", "main").stdout.strip()


def test_codex_blocks_a_no_verify_push(shop, tmp_path):
    """Codex's PreToolUse engine blocks `sh -c 'git push --no-verify'` with our reason; nothing is pushed."""
    before = _remote_main(shop)
    shop.change("api/app.py", "print(7)\n")
    api, log = _session(shop, tmp_path, "sh -c 'git push --no-verify origin main'",
                        f"{Path(sys.executable).parent}:{BARE_PATH}")
    outputs = api.tool_outputs()
    assert outputs and "Command blocked by PreToolUse hook: deploystate: denied (no-verify)" in outputs[0]
    assert _remote_main(shop) == before


def test_codex_on_a_teammate_machine_blocks(shop, tmp_path):
    """Without deploystate on PATH, the committed .codex/hooks.json still blocks the push (exit 2)."""
    before = _remote_main(shop)
    shop.change("api/app.py", "print(8)\n")
    api, _ = _session(shop, tmp_path, "git push origin main", BARE_PATH)
    outputs = api.tool_outputs()
    assert outputs and "deploystate-hook is not installed or not on PATH" in outputs[0]
    assert _remote_main(shop) == before
