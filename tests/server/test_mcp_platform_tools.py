"""restart_affected and rollback over the MCP SDK client (in memory, and once over real stdio), acting on a
real local app (an HTTP API and a worker) through the command platform."""

from __future__ import annotations

import json
import urllib.request

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.mcp_app import build_server
from deploystate.state.view import cache
from deploystate.state.config.project import Project
from tests.platforms.cmdapp import cmd_app  # noqa: F401  (fixture)
from tests.server.mcp_support import elicitation, run, text
from tests.server.test_mcp_stdio import deploystate_bin


def _calls(root, *calls):
    async def body():  # the user confirms each destructive call when asked (tests/server/test_mcp_confirm.py)
        async with Client(build_server(root=str(root)), elicitation_callback=elicitation()) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return tools, [await client.call_tool(name, args) for name, args in calls]
    return run(body)


def _version(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as resp:
        return json.loads(resp.read())


def _ledger(root):
    project = Project.discover(root)
    project.ledger.ensure()
    return project.ledger


def test_restart_affected_plans_restarts_records_and_rolls_back(cmd_app):
    """dry_run only plans; a real call restarts and records as the agent; rollback brings the old commit back."""
    ledger = _ledger(cmd_app.root)
    tools, (dry,) = _calls(cmd_app.root, ("restart_affected", {"dry_run": True}))
    ann = tools["restart_affected"].annotations
    assert ann.destructive_hint and not ann.read_only_hint and ann.open_world_hint
    assert not dry.is_error and dry.structured_content["dry_run"] and ledger.read().records == []
    assert [p["action"] for p in dry.structured_content["plan"]] == ["restart", "restart"]
    _, (first,) = _calls(cmd_app.root, ("restart_affected", {}))
    assert not first.is_error, text(first)
    assert [o["status"] for o in first.structured_content["outcomes"]] == ["restarted", "restarted"]
    assert "verify_deploy" in first.structured_content["next_step"]
    assert all(r["author"]["kind"] == "agent" for r in ledger.read().records)
    v2 = cmd_app.change_api("hello v2")
    _, (again, back) = _calls(cmd_app.root, ("restart_affected", {}), ("rollback", {"service": "api",
                                                                                   "to": "previous"}))
    assert [o["service"] for o in again.structured_content["outcomes"]] == ["api"]
    assert again.structured_content["outcomes"][0]["platform_ids"]["revision"] == v2
    assert not back.is_error, text(back)
    assert back.structured_content["outcome"]["commit"] == cmd_app.commit_v1 and "rollback RESTARTED" in text(back)
    assert _version(cmd_app.port)["revision"] == cmd_app.commit_v1


def test_unchanged_service_is_refused_and_force_needs_a_reason(cmd_app):
    """Naming a service whose code did not change is a readable error; force without a reason too."""
    ledger = _ledger(cmd_app.root)
    _, (first, refused, no_reason, no_verified) = _calls(
        cmd_app.root, ("restart_affected", {}), ("restart_affected", {"services": ["worker"]}),
        ("restart_affected", {"services": ["worker"], "force": True}), ("rollback", {"service": "api"}))
    assert not first.is_error
    count = len(ledger.read().records)
    assert refused.is_error and "refused to restart worker" in text(refused) and "force" in text(refused)
    assert no_reason.is_error and "needs a reason" in text(no_reason)
    assert no_verified.is_error and "no passing verification" in text(no_verified)
    assert len(ledger.read().records) == count
    assert cache.load(ledger).state["services"]["worker"]["deploy"]["forced"] is False


def test_restart_affected_over_real_stdio(cmd_app):
    """The installed server lists both tools and answers a dry-run plan over stdio."""
    _ledger(cmd_app.root)
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(cmd_app.root)],
                                   cwd=str(cmd_app.root))

    async def body():
        async with Client(params, read_timeout_seconds=60) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            return names, await client.call_tool("restart_affected", {"dry_run": True, "services": ["api"]})

    names, plan = run(body)
    assert {"restart_affected", "rollback"} <= names
    assert not plan.is_error and plan.structured_content["plan"][0]["service"] == "api"
    assert "dry run" in text(plan)


def test_restart_affected_syncs_the_team_ledger_first_when_configured(tmp_path):
    """With sync_before and no reachable remote, the tool says it decided from local state (offline)."""
    import subprocess

    from mcp.client import Client

    from deploystate.server.mcp.mcp_app import build_server
    from tests.server.mcp_support import run

    root = tmp_path / "repo"
    root.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    (root / "deploystate.toml").write_text('[project]\nname = "x"\n[project.hooks]\nsync_before = true\n'
                                           'sync_timeout = "5s"\n[services.web]\nplatform = "command"\n'
                                           'restart_cmd = ["true"]\npaths = ["web/**"]\n')
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=root, check=True, env={**__import__("os").environ, **env})
    from deploystate.state.ledger.ledger import Ledger

    Ledger(root / ".deploystate").ensure()

    async def body():
        async with Client(build_server(root=str(root))) as client:
            return await client.call_tool("restart_affected", {"dry_run": True})

    result = run(body)
    assert not result.is_error
    assert result.structured_content["synced"].startswith("offline: using local state")
