"""Every MCP tool asks the ledger's integrity first: writers refuse (nothing written), readers say it loudly."""

from __future__ import annotations

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.tool_errors import error_info
from deploystate.server.mcp.trust import META_KEY
from tests.server.mcp_support import deploy, project, run, text, verify  # noqa: F401 (fixture)
from tests.server.test_mcp_stdio import deploystate_bin

# every tool that decides or writes on the ledger, with arguments that would otherwise be accepted
WRITERS = {
    "verify_deploy": {"services": ["web"]},
    "mark_deployed": {"note": "shipped"},
    "preflight": {},
    "restart_affected": {"services": ["web"]},
    "rollback": {"service": "web"},
    "record_attempt": {"summary": "raise the worker memory", "outcome": "failed"},
    "start_session": {"goal": "fix the worker"},
    "end_session": {"session_id": "s1", "did": "restarted web", "next": "read the logs"},
}
READERS = {
    "read_deployment_state": {"observe": False},
    "affected_services": {},
    "check_attempt": {"summary": "raise the worker memory"},
    "system_health": {},
    "service_logs": {"service": "web"},
}


def _cut_tail(project) -> None:
    """Drop the last record (the failed verification): only the anchor can tell."""
    lines = project.ledger.path.read_text().splitlines(keepends=True)
    project.ledger.path.write_text("".join(lines[:-1]))


@pytest.fixture
def tampered(git_repo, project):
    head = git_repo.head()
    deploy(project, "web", head)
    verify(project, "web", head, "fail", "health: HTTP 500")
    _cut_tail(project)
    return project


def _call_all(server, calls: dict[str, dict]) -> dict:
    async def body():
        async with Client(server, read_timeout_seconds=120) as client:
            listed = {t.name for t in (await client.list_tools()).tools}
            assert set(calls) <= listed, set(calls) - listed
            return {name: await client.call_tool(name, args) for name, args in calls.items()}
    return run(body)


def test_the_tables_cover_every_tool_by_its_read_only_hint(project):
    """WRITERS are exactly the tools not annotated read-only, READERS the rest: a new tool must be classified."""
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return (await client.list_tools()).tools
    tools = run(body)
    assert {t.name for t in tools if not t.annotations.read_only_hint} == set(WRITERS)
    assert {t.name for t in tools if t.annotations.read_only_hint} == set(READERS)


def test_every_deciding_or_writing_tool_refuses_a_tampered_ledger(tampered):
    """Each writer returns a tool error naming the cut and `deploystate doctor`; the ledger is byte-identical."""
    before = tampered.ledger.path.read_bytes()
    results = _call_all(build_server(root=str(tampered.root)), WRITERS)
    for name, res in results.items():
        info = error_info(res)
        assert res.is_error and res.structured_content is None, (name, text(res))
        assert info["error_type"] == "LedgerTampered", (name, info)
        assert "TAMPERED" in info["error"] and "shorter than its anchor" in info["error"], (name, info)
        assert "deploystate doctor" in info["hint"] and "nothing was written" in info["hint"]
    assert tampered.ledger.path.read_bytes() == before


def test_read_only_tools_answer_but_say_it_first(tampered):
    """Each reader answers with schema-valid structured content, its text opening with the integrity warning."""
    results = _call_all(build_server(root=str(tampered.root)), READERS)
    for name, res in results.items():
        if res.is_error:  # a reader may fail for its own reason (no log source): it must still not hide this
            assert name == "service_logs", (name, text(res))
            continue
        assert text(res).startswith("WARNING: the ledger cannot be trusted: TAMPERED"), (name, text(res)[:200])
        assert any("shorter than its anchor" in p for p in res.meta[META_KEY]["problems"]), name
        assert res.structured_content is not None  # the SDK client validated it against the output schema


def test_an_intact_ledger_carries_no_warning(git_repo, project):
    """Without a problem the gate is silent: no warning text, no integrity meta, writers write."""
    results = _call_all(build_server(root=str(project.root)),
                        {"read_deployment_state": {"observe": False}, "record_attempt": WRITERS["record_attempt"]})
    assert not any(r.is_error for r in results.values())
    assert all(not text(r).startswith("WARNING") and META_KEY not in (r.meta or {}) for r in results.values())


def test_over_real_stdio_a_writer_refuses_and_a_reader_warns(tampered):
    """The installed server over stdio: record_attempt refuses, read_deployment_state warns, the server keeps serving."""
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(tampered.root)],
                                   cwd=str(tampered.root))
    results = _call_all(params, {"record_attempt": WRITERS["record_attempt"],
                                 "read_deployment_state": READERS["read_deployment_state"]})
    refused, state = results["record_attempt"], results["read_deployment_state"]
    assert refused.is_error and "TAMPERED" in text(refused) and "deploystate doctor" in text(refused)
    assert not state.is_error and text(state).startswith("WARNING: the ledger cannot be trusted")
    assert state.structured_content["status"] == "BROKEN"
