"""verify_deploy, mark_deployed, preflight and system_health over the MCP SDK client (in memory, and once over
real stdio with the installed console script), against the command-platform app run by real processes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.server.mcp.mcp_app import build_server
from tests.fixtures.gitrepo import GitRepo
from tests.fixtures.parts import missing
from tests.server.mcp_support import run, text
from tests.verify.support import APP_SECRET, app_mode, app_project, app_restart, ledger_text, state_of


def calls(root: Path, *items: tuple[str, dict]) -> list:
    async def body():  # noqa: ANN202
        async with Client(build_server(root=str(root))) as client:
            return [await client.call_tool(name, args) for name, args in items]
    return run(body)


def test_verify_then_mark_deployed_over_mcp(git_repo: GitRepo) -> None:
    """mark_deployed is refused before a pass and says to verify; after verify_deploy passes it records."""
    project, _ = app_project(git_repo)
    app_restart(project)
    refused, verified, marked = calls(project.root, ("mark_deployed", {"note": "live"}),
                                      ("verify_deploy", {"services": ["web"], "wait_seconds": 30}),
                                      ("mark_deployed", {"services": ["web"], "note": "live"}))
    assert refused.is_error and "never verified" in text(refused) and "deploystate verify web" in text(refused)
    assert not verified.is_error and verified.structured_content["verdict"] == "pass"
    assert text(verified).startswith("VERIFY PASS")
    checks = verified.structured_content["services"][0]["checks"]
    assert {c["type"] for c in checks} == {"revision", "rollout", "logs"}
    assert not marked.is_error and marked.structured_content["marked"][0]["service"] == "web"
    rec = state_of(project)["services"]["web"]
    assert rec["marked_deployed"]["verification_id"] == rec["verification"]["id"]
    assert rec["verification"]["author"] == rec["marked_deployed"]["author"]


def test_failed_verify_result_is_redacted_and_reports_the_evidence(git_repo: GitRepo) -> None:
    """A failing verdict comes back as a result (not an error) with evidence; planted secrets are redacted."""
    project, _ = app_project(git_repo)
    app_mode(git_repo, "fallback")
    app_restart(project)
    (result,) = calls(project.root, ("verify_deploy", {}))
    assert not result.is_error and result.structured_content["verdict"] == "fail"
    assert "using fallback" in text(result)
    assert APP_SECRET not in text(result) and APP_SECRET not in str(result.structured_content)
    assert APP_SECRET not in ledger_text(project)


def test_bad_arguments_are_refused_with_the_limit(git_repo: GitRepo) -> None:
    """Unknown service, out-of-range wait and a missing note are errors that change nothing."""
    project, _ = app_project(git_repo)
    unknown, too_long, no_note = calls(project.root, ("verify_deploy", {"services": ["nginx"]}),
                                       ("verify_deploy", {"wait_seconds": 999999}),
                                       ("mark_deployed", {"services": ["web"]}))
    assert unknown.is_error and "unknown service: nginx" in text(unknown)
    assert too_long.is_error and "wait_seconds" in text(too_long)
    assert no_note.is_error and "note" in text(no_note)
    assert state_of(project)["counts"].get("verification") is None


def test_preflight_and_system_health_tools(git_repo: GitRepo) -> None:
    """preflight answers GO/NO-GO with failing items; system_health puts errors and code paths first."""
    project, _ = app_project(git_repo)
    config = project.config_path.read_text() + (
        '\n[[preflight]]\ntype = "command"\nname = "workers answer"\n'
        f'argv = ["{sys.executable}", "-c", "print(\'Error: No nodes replied\')"]\nstdout_regex = "OK"\n')
    project.config_path.write_text(config)
    app_mode(git_repo, "fallback")
    app_restart(project)
    preflight, health = calls(project.root, ("preflight", {"wait_seconds": 20}), ("system_health", {}))
    assert not preflight.is_error and preflight.structured_content["result"] == "NO-GO"
    assert "workers answer" in preflight.structured_content["failing"][0]
    assert text(preflight).startswith("NO-GO")
    h = health.structured_content
    assert not health.is_error and h["headline"] == "UNHEALTHY"
    web = h["services"][0]
    assert web["errors"] >= 1 and any(s for s in web["error_samples"] if "using fallback" in s)
    assert text(health).splitlines()[0].startswith("UNHEALTHY")
    assert APP_SECRET not in text(health)


def test_verify_deploy_over_real_stdio(git_repo: GitRepo) -> None:
    """The installed `deploystate serve` over stdio: verify_deploy returns the verdict and records it."""
    beside = Path(sys.executable).parent / "deploystate"
    binary = str(beside) if beside.exists() else shutil.which("deploystate")
    if not binary:
        missing("the deploystate console script", "pip install -e '.[test]'")
    project, _ = app_project(git_repo)
    app_restart(project)
    params = StdioServerParameters(command=binary, args=["serve", "--root", str(project.root)],
                                   cwd=str(project.root))

    async def body():  # noqa: ANN202
        async with Client(params, read_timeout_seconds=60) as client:
            tools = await client.list_tools()
            return tools, await client.call_tool("verify_deploy", {"services": ["web"], "wait_seconds": 30})

    tools, result = run(body)
    by = {t.name: t for t in tools.tools}
    assert {"verify_deploy", "mark_deployed", "preflight", "system_health"} <= set(by)
    assert by["system_health"].annotations.read_only_hint is True
    assert by["verify_deploy"].annotations.read_only_hint is False
    assert not result.is_error and result.structured_content["verdict"] == "pass"
    assert state_of(project)["services"]["web"]["verification"]["verdict"] == "pass"
