"""Who is writing a record: a human, an agent (and its client and session), or CI. Standard library only."""

from __future__ import annotations

import os
from functools import lru_cache

from .proc import run

# Environment variables coding agents set, by client name: enough to tell an agent from a person.
_AGENT_ENV = {"CLAUDECODE": "claude-code", "CODEX_SANDBOX": "codex", "CURSOR_AGENT": "cursor",
              "GEMINI_CLI": "gemini-cli"}


def current_author(*, client: str | None = None, session: str | None = None, kind: str | None = None) -> dict:
    """Describe the writer from explicit arguments, then DEPLOYSTATE_* variables, then git config."""
    env = os.environ
    detected = next((name for var, name in _AGENT_ENV.items() if env.get(var)), None)
    client = client or env.get("DEPLOYSTATE_CLIENT") or detected
    kind = kind or env.get("DEPLOYSTATE_AUTHOR_KIND") or ("ci" if env.get("CI") else "agent" if client else "human")
    name = env.get("DEPLOYSTATE_AUTHOR") or _git_user() or env.get("USER") or "unknown"
    return {"kind": kind, "name": name[:200], "client": client, "session": session or env.get("DEPLOYSTATE_SESSION")}


@lru_cache(maxsize=1)  # one git call per process: a long-running MCP server records many times
def _git_user() -> str | None:
    try:
        res = run(["git", "config", "user.name"], timeout=5)
    except Exception:  # git missing or hung: the author is still recorded from the environment
        return None
    return res.stdout.strip() or None if res.ok else None
