"""Planted secrets never reach the ledger, the MCP audit log, DEPLOYMENT_STATE.md or any MCP reply."""

from __future__ import annotations

import json
from typing import Any

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.mcp_app import build_server
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)
from tests.server.test_mcp_stdio import deploystate_bin
from tests.state.secrets_table import KEEP, SECRETS


def _reply(result: Any) -> str:
    """Everything a client sees of one reply: its text blocks and its structured content."""
    return text(result) + "\n" + json.dumps(result.structured_content or {}, default=str)


def _leaks(where: str, body: str) -> list[str]:
    return [f"{where}: {secret!r}" for _, secret in SECRETS if secret in body]


def _files(project) -> dict[str, str]:
    d = project.state_dir
    return {"ledger": (d / "ledger.jsonl").read_text(), "audit": (d / "audit.jsonl").read_text(),
            "state file": project.state_file.read_text()}


def test_secrets_are_redacted_everywhere_in_memory(project):
    """Each planted secret goes through attempts, sessions and a refused call; none is stored or echoed."""
    async def body():
        replies = []
        async with Client(build_server(root=str(project.root))) as client:
            started = await client.call_tool("start_session", {"goal": "rotate keys " + SECRETS[0][0]})
            replies.append(started)
            for i, (planted, _) in enumerate(SECRETS):
                replies.append(await client.call_tool("record_attempt", {
                    "summary": f"attempt {i}: {planted}", "hypothesis": planted, "evidence": planted,
                    "outcome": "failed", "services": ["web"]}))
                replies.append(await client.call_tool("check_attempt", {"summary": f"attempt {i}: {planted}"}))
            replies.append(await client.call_tool("record_attempt", {"summary": "bad", "outcome": SECRETS[1][0]}))
            sid = started.structured_content["session_id"]
            replies.append(await client.call_tool("end_session", {
                "session_id": sid, "did": SECRETS[2][0], "broke": SECRETS[3][0], "next": SECRETS[4][0]}))
            replies.append(await client.call_tool("read_deployment_state", {}))
        return replies

    replies = run(body)
    assert sum(1 for r in replies if not r.is_error) >= 2 * len(SECRETS)   # the calls really ran
    assert replies[-3].is_error                                           # the refused call
    leaks = [leak for i, r in enumerate(replies) for leak in _leaks(f"reply {i}", _reply(r))]
    for where, body in _files(project).items():
        leaks += _leaks(where, body)
    assert leaks == []
    ledger = _files(project)["ledger"]
    assert ledger.count("[REDACTED]") >= 3 * len(SECRETS)   # masked, not dropped
    assert "attempt 47: " in ledger


def test_ordinary_ids_survive_the_same_path(project):
    """Commit hashes, ids and counters written through the tools come back unchanged."""
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return await client.call_tool("record_attempt", {"summary": "evidence kept", "outcome": "failed",
                                                             "evidence": "\n".join(KEEP)})

    result = run(body)
    assert not result.is_error
    ledger = _files(project)["ledger"]
    record = [json.loads(line) for line in ledger.splitlines()][-1]
    assert record["payload"]["evidence"] == "\n".join(KEEP)


def test_secrets_are_redacted_over_real_stdio(project):
    """One round trip through the installed server: the reply, the audit log and the ledger hold no secret."""
    planted = "\n".join(p for p, _ in SECRETS[:12])
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(project.root)],
                                   cwd=str(project.root))

    async def body():
        async with Client(params, read_timeout_seconds=60) as client:
            recorded = await client.call_tool("record_attempt", {"summary": "leaky", "outcome": "failed",
                                                                 "evidence": planted, "hypothesis": planted})
            state = await client.call_tool("read_deployment_state", {})
            return recorded, state

    recorded, state = run(body)
    assert not recorded.is_error
    leaks = _leaks("record reply", _reply(recorded)) + _leaks("state reply", _reply(state))
    for where, body in _files(project).items():
        leaks += _leaks(where, body)
    assert leaks == []
