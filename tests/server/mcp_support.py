"""Shared pieces of the MCP server tests: a real git project with a ledger, and a client helper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Awaitable, Callable

import anyio
import pytest

from deploystate.state.ledger import store
from deploystate.state.config.project import Project
from tests.fixtures.gitrepo import GitRepo

CONFIG = """\
[project]
name = "shop"
doom_loop_after = 3

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]

[services.worker]
platform = "command"
paths = ["worker/**", "shared/*.py"]
restart_cmd = ["true"]
"""

AUTHOR = {"kind": "human", "name": "Test Dev", "client": None, "session": None}


def run(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run one async test body (plain anyio: no pytest async plugin needed)."""
    return anyio.run(fn)


def elicitation(action: str = "accept", confirm: bool = True, asked: list | None = None):
    """An elicitation callback answering like a user would (and noting each question in ``asked``)."""
    from mcp_types import ElicitResult

    async def answer(context: Any, params: Any) -> Any:
        if asked is not None:
            asked.append(params.message)
        return ElicitResult(action=action, content={"confirm": confirm} if action == "accept" else None)
    return answer


def text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def make_project(repo: GitRepo, config: str = CONFIG, *, state: bool = True) -> Project:
    """deploystate.toml and two services' files committed; the state directory created unless ``state=False``."""
    repo.commit("initial", {"deploystate.toml": config, "web/app.py": "print('v1')\n",
                            "worker/tasks.py": "def run(): pass\n", "shared/util.py": "X = 1\n",
                            "README.md": "shop\n"})
    project = Project.discover(repo.path)
    if state:
        project.ledger.ensure()
    return project


def deploy(project: Project, service: str, commit: str, *, status: str = "restarted") -> dict:
    return store.record(project, "deploy", {
        "service": service, "commit": commit, "strategy": "restart", "platform": "command", "platform_ids": {},
        "status": status, "warnings": [], "forced": False, "reason": "exit 1" if status == "failed" else "",
        "started_at": None, "duration": 0.5}, commit=commit, author=AUTHOR)


def verify(project: Project, service: str, commit: str, verdict: str, summary: str = "", *,
           recheck_due: str | None = None, failed_checks: list[str] | None = None) -> dict:
    return store.record(project, "verification", {
        "service": service, "commit": commit, "verdict": verdict, "summary": summary or f"{verdict} {service}",
        "deploy_id": None, "recheck": recheck_due is not None, "recheck_due": recheck_due,
        "failed_checks": failed_checks or [], "checks": [], "signature": None}, commit=commit, author=AUTHOR)


@pytest.fixture
def project(git_repo: GitRepo) -> Project:
    """A committed two-service project (web, worker) with an empty ledger."""
    return make_project(git_repo)


def tool_list_snapshot(tools: list[Any]) -> list[dict[str, Any]]:
    """Names, annotations and input schemas: what a client sees, in a stable JSON form."""
    out = []
    for t in tools:
        ann = t.annotations.model_dump(mode="json", by_alias=True, exclude_none=True) if t.annotations else {}
        out.append({"name": t.name, "annotations": ann, "input_schema": t.input_schema})
    return json.loads(json.dumps(out, sort_keys=True))


def snapshot_path() -> Path:
    return Path(__file__).parent / "snapshots" / "mcp_tools.json"
