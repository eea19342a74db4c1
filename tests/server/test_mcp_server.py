"""Server-wide guarantees: clear errors without a project, read-only mode, audit log, crash safety,
annotations, no cloud SDK at startup, and the tool list snapshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from mcp.client import Client

from deploystate.server.mcp.audit import AuditLog
from deploystate.server.mcp.mcp_app import TOOL_MODULES, build_server
from deploystate.server.mcp.tool_errors import error_info
from tests.server.mcp_support import make_project, project, run, snapshot_path, text, tool_list_snapshot  # noqa: F401

# This families; other families (verify, platform) add tools of their own to TOOL_MODULES.
MEMORY_MODULES = ("deploystate.server.tools.state", "deploystate.server.tools.memory")
READ_ONLY_TOOLS = {"read_deployment_state", "affected_services", "check_attempt"}
WRITING_TOOLS = {"record_attempt", "start_session", "end_session"}


def _session(root, calls, **options):
    async def body():
        async with Client(build_server(root=str(root), **options)) as client:
            tools = await client.list_tools()
            return tools.tools, [await client.call_tool(name, args) for name, args in calls]
    return run(body)


def test_missing_config_and_missing_state_dir_say_how_to_run_init(git_repo, tmp_path):
    """No deploystate.toml, or no state directory, is a tool error telling the agent to run deploystate init."""
    git_repo.commit("bare", {"README.md": "x\n"})
    _, (no_config,) = _session(git_repo.path, [("read_deployment_state", {})])
    assert no_config.is_error
    assert "no deploystate.toml" in text(no_config) and "deploystate init" in text(no_config)
    project = make_project(git_repo, state=False)
    _, (no_state, record) = _session(project.root, [("read_deployment_state", {}),
                                                    ("record_attempt", {"summary": "a", "outcome": "failed"})])
    for result in (no_state, record):
        assert result.is_error and "no state directory" in text(result) and "deploystate init" in text(result)
    assert not project.state_dir.exists()  # a refused call creates nothing
    assert no_state.structured_content is None  # nothing that could contradict the output schema
    assert error_info(no_state)["error_type"] == "StateMissing"


def test_read_only_hides_every_tool_that_changes_anything(project):
    """--read-only lists only read-only tools, and calling a hidden one says why it is unavailable."""
    tools, (hidden,) = _session(project.root, [("record_attempt", {"summary": "a", "outcome": "failed"})],
                                read_only=True)
    names = {t.name for t in tools}
    assert READ_ONLY_TOOLS <= names and not WRITING_TOOLS & names
    assert all(t.annotations.read_only_hint for t in tools)  # whatever family they come from
    assert hidden.is_error and "--read-only" in text(hidden)


def test_every_tool_has_honest_annotations_and_a_description(project):
    """Each tool states all four hints; read-only tools are exactly the ones that write nothing."""
    tools, _ = _session(project.root, [])
    for tool in tools:  # every family's tools
        ann = tool.annotations
        assert None not in (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint)
        assert len(tool.description) > 80 and tool.output_schema["type"] == "object"
        assert tool.input_schema.get("additionalProperties") is False
    mine, _ = _session(project.root, [], modules=MEMORY_MODULES)
    by_name = {t.name: t.annotations for t in mine}
    assert {n for n, a in by_name.items() if a.read_only_hint} == READ_ONLY_TOOLS
    assert not by_name["record_attempt"].destructive_hint and not by_name["record_attempt"].idempotent_hint
    # the memory tools touch only the repo and ledger; read_deployment_state(observe=true) asks the runtimes
    assert {n for n, a in by_name.items() if a.open_world_hint} == {"read_deployment_state"}


def test_every_call_is_audited_with_redacted_arguments(project):
    """Successful, refused and failed calls each append one audit line: tool, redacted args, outcome, duration."""
    _session(project.root, [("record_attempt", {"summary": "set DB_PASSWORD=supersecretvalue1 in env",
                                                "outcome": "failed"}),
                            ("record_attempt", {"summary": "a", "outcome": "bogus"}),
                            ("no_such_tool", {}),
                            ("read_deployment_state", {})])
    lines = AuditLog(project.state_dir).read()
    assert [(line["tool"], line["outcome"]) for line in lines] == [
        ("record_attempt", "ok"), ("record_attempt", "error"), ("no_such_tool", "error"),
        ("read_deployment_state", "ok")]
    assert "supersecretvalue1" not in json.dumps(lines)
    assert "[REDACTED]" in lines[0]["arguments"]["summary"]
    assert all(line["duration_ms"] >= 0 and line["transport"] == "stdio" for line in lines)
    assert "outcome" in lines[1]["error"]


def test_a_crashing_tool_becomes_an_error_and_the_server_keeps_serving(project):
    """A plain exception inside a tool is a readable (redacted) error; the next call on the connection works."""
    async def body():
        server = build_server(root=str(project.root), modules=TOOL_MODULES + ("tests.server.mcp_crash_family",))
        async with Client(server) as client:
            return await client.call_tool("explode", {}), await client.call_tool("read_deployment_state", {})

    crashed, after = run(body)
    assert crashed.is_error and "internal error in explode: KeyError" in text(crashed)
    assert "hunter2hunter2" not in text(crashed)
    assert not after.is_error


def test_server_startup_imports_no_cloud_sdk():
    """The CLI parser and the server, every family registered, load none of boto3, kubernetes, docker, gitpython."""
    code = ("import json, sys\n"
            "from deploystate.server.cli import build_parser\n"
            "from deploystate.server.mcp.mcp_app import build_server\n"
            "build_parser(); build_server().register_until(None)  # every family, as a listing registers them\n"
            "print(json.dumps(sorted(m for m in ('boto3', 'botocore', 'kubernetes', 'docker', 'git') "
            "if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "DEPLOYSTATE_ROOT": "/nonexistent"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_tool_list_matches_the_snapshot(project):
    """Names, annotations and input schemas change only deliberately (DEPLOYSTATE_UPDATE_SNAPSHOTS=1 rewrites)."""
    tools, _ = _session(project.root, [])
    current = tool_list_snapshot(tools)
    path = snapshot_path()
    if os.environ.get("DEPLOYSTATE_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert current == stored, ("the MCP tool list changed; if that is intended, run "
                               "DEPLOYSTATE_UPDATE_SNAPSHOTS=1 pytest tests/server/test_mcp_server.py and commit "
                               f"{path.name}")


def test_the_shipped_tool_listing_is_the_live_one():
    """server/mcp/tools_listing.json is what a fresh process lists live, key included (the snapshot flag rewrites it)."""
    from deploystate.server.mcp import listing

    res = subprocess.run([sys.executable, "-m", "deploystate.server.mcp.listing"], capture_output=True, text=True,
                         timeout=120, cwd="/", env={**os.environ, "DEPLOYSTATE_ROOT": "/nonexistent"})
    assert res.returncode == 0, res.stderr
    live = json.loads(res.stdout)
    if os.environ.get("DEPLOYSTATE_UPDATE_SNAPSHOTS") == "1":
        listing.PATH.write_text(res.stdout, encoding="utf-8")
    stored = json.loads(listing.PATH.read_text(encoding="utf-8"))
    if stored.get("versions") != live["versions"]:
        # Another Python/pydantic/mcp than the one it was generated with: the key cannot match here, so the
        # server lists live (never the shipped file); the tools must still be the same.
        assert listing.load() is None and stored["tools"] == live["tools"], "the shipped tools differ from the live ones"
        return
    assert stored == live, ("the tools or the code their schemas come from changed: run DEPLOYSTATE_UPDATE_SNAPSHOTS=1 "
                            f"pytest tests/server/test_mcp_server.py and commit server/mcp/{listing.PATH.name}")
