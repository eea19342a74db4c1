"""One base for "what changed", identical in `deploystate affected`, MCP `affected_services`, the restart plan
(`restart --dry-run`) and MCP `restart_affected` (dry run): the last verified deploy, else the commit the runtime
reports, else HEAD~1 flagged as a guess (never refused as unchanged). Real git, real ledger, a fake runtime."""

from __future__ import annotations

from typing import Any

from mcp.client import Client

from deploystate.platforms.base import Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.server.mcp.mcp_app import build_server
from tests.fixtures.gitrepo import GitRepo
from tests.server._cli import ds_json
from tests.server.mcp_support import make_project, run, verify

CONFIG = """\
[project]
name = "shop"

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]

[services.worker]
platform = "command"
paths = ["worker/**"]
restart_cmd = ["true"]

[services.jobs]
platform = "command"
paths = ["jobs/**"]
restart_cmd = ["true"]
"""


def _mcp(root: str, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    async def body() -> list[Any]:
        async with Client(build_server(root=root)) as client:
            return [await client.call_tool(tool, args) for tool, args in calls]
    return run(body)


def test_affected_and_the_restart_plan_use_the_same_base_everywhere(git_repo: GitRepo, capsys: Any) -> None:
    """web: verified at B (its runtime's A is not used); worker: nothing on record, its runtime reports A;
    jobs: nothing on record, no revision reported -> HEAD~1 as a guess. The four answers agree."""
    project = make_project(git_repo, CONFIG)
    first = git_repo.head()
    second = git_repo.commit("jobs", {"jobs/run.py": "v1\n"})
    verify(project, "web", second, "pass")
    head = git_repo.commit("change all three", {"web/app.py": "v2\n", "worker/tasks.py": "v2\n",
                                                "jobs/run.py": "v2\n"})
    fake = FakePlatform(name="command", observations={
        "web": Observation("web", "command", "web", "running", revision=first),
        "worker": Observation("worker", "command", "worker", "running", revision=first),
        "jobs": Observation("jobs", "command", "jobs", "running")})
    root = str(git_repo.path)
    with use("command", fake):
        _code, affected = ds_json(capsys, "--root", root, "affected")
        _code, plan = ds_json(capsys, "--root", root, "restart", "--affected", "--dry-run")
        tool, planned = _mcp(root, ("affected_services", {}), ("restart_affected", {"dry_run": True}))
    expected = {"web": second, "worker": first, "jobs": second}          # jobs: HEAD~1 = B, a guess
    assert {n: s["base"] for n, s in affected["services"].items()} == expected
    assert {n: s["base_known"] for n, s in affected["services"].items()} == {"web": True, "worker": True,
                                                                             "jobs": False}
    assert affected["services"]["web"]["base_reason"] == "last verified deploy"
    assert affected["services"]["worker"]["base_reason"] == "the commit the runtime reports"
    items = plan["plan"]["items"] if "plan" in plan else plan["items"]
    assert {i["service"]: i["base"] for i in items} == expected and plan.get("head", head) == head
    assert {i["service"]: i["action"] for i in items} == {"web": "restart", "worker": "restart", "jobs": "restart"}
    assert "running commit unknown" in next(i["why"] for i in items if i["service"] == "jobs")
    services = {s["name"]: s for s in tool.structured_content["services"]}
    assert {n: s["base"] for n, s in services.items()} == {"web": second, "worker": first, "jobs": None}
    assert services["jobs"]["affected"] is None and services["web"]["affected"] is True
    assert {e["service"]: e["base"] for e in planned.structured_content["plan"]} == expected
