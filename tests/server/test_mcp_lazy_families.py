"""Tool families are registered when first needed (server/mcp/mcp_app.py): the handshake and a first
read_deployment_state load no other family, and whatever a client asks first, it sees the same tools,
resources and prompts, in the same order, as a client that lists first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mcp.client import Client

from deploystate.server.mcp.mcp_app import TOOL_MODULES, build_server
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)

# Builds the server, answers one read, then lists: the family modules loaded after each step.
PROBE = """
import json, sys
import anyio
from deploystate.server.mcp.mcp_app import TOOL_MODULES, build_server

def loaded():
    return [m for m in TOOL_MODULES if m in sys.modules]

server = build_server(root=sys.argv[1])
steps = {"built": loaded()}
result = anyio.run(server.call_tool, "read_deployment_state", {"observe": False})
steps["read"] = loaded()
steps["read_ok"] = not getattr(result, "is_error", True)
anyio.run(server.list_tools)
steps["listed"] = loaded()  # the listing shipped in the package answered (server/mcp/listing.py)
from deploystate.server.mcp import listing
listing._LOADED[:] = [None]  # as when its key is not the installed code's
anyio.run(server.list_tools)
steps["listed_live"] = loaded()
print(json.dumps(steps))
"""


def test_the_first_read_loads_only_the_state_family(project):
    """In a fresh process: no family at build, only the state family after a read and after a listing from the
    shipped one; every family once listed live."""
    res = subprocess.run([sys.executable, "-c", PROBE, str(project.root)], cwd=project.root, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    steps = json.loads(res.stdout.strip().splitlines()[-1])
    assert steps["built"] == []
    assert steps["read_ok"] and steps["read"] == ["deploystate.server.tools.state"]
    assert steps["listed"] == ["deploystate.server.tools.state"]
    assert steps["listed_live"] == list(TOOL_MODULES)


def _dump(items) -> list[dict]:
    return [item.model_dump(mode="json", by_alias=True) for item in items]


def _first_then_list(root: Path, first):
    async def body():
        async with Client(build_server(root=str(root))) as client:
            before = await first(client)
            tools = await client.list_tools()
            resources = await client.list_resources()
            templates = await client.list_resource_templates()
            prompts = await client.list_prompts()
            return before, (_dump(tools.tools), _dump(resources.resources), _dump(templates.resource_templates),
                            _dump(prompts.prompts))
    return run(body)


async def _nothing(client):
    return None


def test_whatever_comes_first_the_lists_are_those_of_a_list_first_client(project):
    """A later family's tool called first works; afterwards tools, resources and prompts equal a list-first run."""
    _, listed_first = _first_then_list(project.root, _nothing)
    names = [t["name"] for t in listed_first[0]]
    assert len(names) > 10 and names.index("read_deployment_state") == 0

    async def record(client):
        return await client.call_tool("record_attempt", {"summary": "restart web", "outcome": "failed"})
    recorded, after_record = _first_then_list(project.root, record)
    assert not recorded.is_error, text(recorded)
    assert after_record == listed_first

    async def unknown(client):
        return await client.call_tool("no_such_tool", {})
    refused, after_unknown = _first_then_list(project.root, unknown)
    assert refused.is_error and all(name in text(refused) for name in names)  # every family's tools offered
    assert after_unknown == listed_first


def test_resources_and_prompts_asked_first_include_the_families(project):
    """Listing resources, templates or prompts, or reading a resource, before any tool registers the families."""
    async def resources(client):
        return [r.uri for r in (await client.list_resources()).resources]
    uris, _ = _first_then_list(project.root, resources)
    assert "deploystate://state" in [str(u) for u in uris]

    async def templates(client):
        return [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
    assert "deploystate://attempts/{attempt_id}" in _first_then_list(project.root, templates)[0]

    async def prompts(client):
        return [p.name for p in (await client.list_prompts()).prompts]
    assert "session_start" in _first_then_list(project.root, prompts)[0]

    async def prompt(client):
        return await client.get_prompt("session_start", {"goal": "ship the fix"})
    assert _first_then_list(project.root, prompt)[0].messages

    async def read(client):
        return await client.read_resource("deploystate://state")
    assert _first_then_list(project.root, read)[0].contents
