"""Every MCP tool refuses a bad deploystate.toml with an error naming file, line and key, writing nothing."""

from __future__ import annotations

from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from tests.server.mcp_support import CONFIG, make_project, run, text
from tests.server.test_bad_config_matrix import tree

CALLS = [
    ("read_deployment_state", {}),
    ("record_attempt", {"summary": "restart web", "outcome": "failed", "services": ["web"]}),
    ("check_attempt", {"summary": "restart web"}),
    ("start_session", {"goal": "fix web"}),
    ("affected_services", {}),
]


def test_mcp_tools_refuse_a_bad_config_and_write_nothing(git_repo):
    """A config with an invalid regex: each tool is an error naming deploystate.toml:line and the key."""
    bad = CONFIG + '\n[[services.web.checks]]\ntype = "logs"\nmust_match = ["model (loaded"]\n'
    project = make_project(git_repo, bad, state=False)
    before = tree(project.root)

    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return [await client.call_tool(name, args) for name, args in CALLS]

    results = run(body)
    for (name, _), result in zip(CALLS, results):
        assert result.is_error, name
        assert "deploystate.toml:" in text(result) and "services.web.checks.0.must_match" in text(result), name
    assert tree(project.root) == before
