"""The installed ``deploystate serve`` as a real subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.audit import AuditLog
from tests.fixtures.parts import missing
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)


def deploystate_bin() -> str:
    """The console script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "deploystate"
    found = str(beside) if beside.exists() else shutil.which("deploystate")
    if not found:
        missing("the deploystate console script", "pip install -e '.[test]'")
    return found


def test_installed_server_over_real_stdio(project):
    """List tools, read state, record an attempt and hit an error over stdio; the server keeps serving."""
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(project.root)],
                                   cwd=str(project.root))

    async def body():
        async with Client(params, read_timeout_seconds=60) as client:
            tools = await client.list_tools()
            state = await client.call_tool("read_deployment_state", {})
            recorded = await client.call_tool("record_attempt", {"summary": "restart web with a new image",
                                                                 "outcome": "failed", "services": ["web"]})
            refused = await client.call_tool("record_attempt", {"summary": "x", "outcome": "failed",
                                                                "services": ["nginx"]})
            after = await client.call_tool("read_deployment_state", {})
            return client.server_info, tools, state, recorded, refused, after

    info, tools, state, recorded, refused, after = run(body)
    assert info.name == "deploystate"
    names = {t.name for t in tools.tools}
    assert {"read_deployment_state", "record_attempt", "check_attempt", "affected_services", "start_session",
            "end_session"} <= names
    # asked by default, the command services (no observe_cmd) cannot say what runs: unknown, never OK
    assert not state.is_error and text(state).startswith("Status: UNKNOWN")
    assert not recorded.is_error and len(recorded.structured_content["id"]) == 26
    assert refused.is_error and "unknown service: nginx" in text(refused) and "web, worker" in text(refused)
    assert after.structured_content["failed_attempts"][0]["id"] == recorded.structured_content["id"]
    audit = AuditLog(project.state_dir).read()
    assert [(a["tool"], a["outcome"]) for a in audit][-2:] == [("record_attempt", "error"),
                                                               ("read_deployment_state", "ok")]
    assert all(a["transport"] == "stdio" for a in audit)
