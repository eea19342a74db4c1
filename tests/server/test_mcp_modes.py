"""Server modes: read-only < verify < full, decided by annotations and enforced when a tool is called."""

from __future__ import annotations

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.modes import refusal
from deploystate.server.mcp.tool_errors import error_info
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)
from tests.server.test_mcp_http import http_server
from tests.server.test_mcp_stdio import deploystate_bin

DESTRUCTIVE = {"restart_affected", "rollback"}
MIDDLE = {"verify_deploy", "mark_deployed", "preflight", "record_attempt", "start_session", "end_session"}


async def _restart_and_state(client):
    tools = {t.name for t in (await client.list_tools()).tools}
    refused = await client.call_tool("restart_affected", {"services": ["web"], "force": True, "reason": "test"})
    back = await client.call_tool("rollback", {"service": "web", "to": "previous"})
    state = await client.call_tool("read_deployment_state", {})
    return tools, refused, back, state


def _assert_verify_mode(project, tools, refused, back, state):
    assert MIDDLE <= tools and not DESTRUCTIVE & tools
    for result in (refused, back):
        assert result.is_error and "verify mode" in text(result) and "nothing was done" in text(result)
        assert error_info(result)["error_type"] == "Refused"
    assert state.structured_content["mode"] == "verify" and "MCP server mode: verify" in text(state)
    kinds = {r["kind"] for r in project.ledger.read().records}
    assert not kinds & {"deploy", "rollback"}  # nothing was restarted or recorded as restarted


def test_verify_mode_refuses_restart_and_rollback_in_memory(project):
    """--mode verify lists and allows verify/record/mark, refuses restart and rollback when called."""
    async def body():
        async with Client(build_server(root=str(project.root), mode="verify")) as client:
            return await _restart_and_state(client)
    _assert_verify_mode(project, *run(body))


def test_verify_mode_refuses_restart_over_stdio(project):
    """The installed `deploystate serve --mode verify` over real stdio refuses restart_affected and rollback."""
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--mode", "verify", "--root",
                                                                    str(project.root)], cwd=str(project.root))

    async def body():
        async with Client(params, read_timeout_seconds=60) as client:
            return await _restart_and_state(client)
    _assert_verify_mode(project, *run(body))


def test_verify_mode_refuses_restart_over_http(project):
    """`deploystate serve --http --mode verify` refuses restart_affected and rollback over streamable HTTP."""
    with http_server(project.root, "--mode", "verify") as url:
        async def body():
            async with Client(url) as client:
                return await _restart_and_state(client)
        result = run(body)
    _assert_verify_mode(project, *result)


def test_modes_follow_the_annotations_not_the_names():
    """A destructive tool is refused in verify mode and a writing one in read-only, whatever it is called."""
    class Ann:
        def __init__(self, read_only, destructive):
            self.read_only_hint, self.destructive_hint = read_only, destructive
    assert refusal("verify", Ann(False, True)) and refusal("verify", Ann(False, None))  # unset counts as destructive
    assert refusal("verify", Ann(False, False)) is None and refusal("verify", Ann(True, False)) is None
    assert refusal("read-only", Ann(False, False)) and refusal("read-only", Ann(True, False)) is None
    assert refusal("full", Ann(False, True)) is None
