"""Deploys that CI performs: a push is a pending deploy; `verify --wait` waits for the runtime, then verifies.

Real git pushes to a bare remote whose post-receive hook plays CI in the background (tests/server/ci_play.py);
the service is a command-platform process whose observe_cmd reads what the "deployment" wrote.
"""

from __future__ import annotations

import json
import sys

import pytest

from deploystate.hooks.git import install
from deploystate.state.config.project import Project
from deploystate.state.ledger.store import record

from . import ci_play
from ._cli import ds

CONFIG = """\
[project]
name = "shop"
deployed_by = "ci"

[services.api]
platform = "command"
paths = ["api/**"]
restart_cmd = ["true"]
observe_cmd = ["cat", "run/api.state"]
log_file = "run/api.log"

[[services.api.checks]]
type = "logs"
must_not_match = ["Traceback"]
window = "1h"

[services.docs]
platform = "command"
deployed_by = "deploystate"
paths = ["docs/**"]
restart_cmd = ["true"]
"""


@pytest.fixture
def shop(git_repo, git_remote):
    """A committed project whose api runs commit A (as its runtime says), pushed, with the git hooks."""
    git_repo.write(".gitignore", "run/\n")
    a = git_repo.commit("A", {"deploystate.toml": CONFIG, "api/app.py": "v1\n", "docs/index.md": "d\n"})
    (git_repo.path / "run").mkdir()
    (git_repo.path / "run" / "api.state").write_text(f"state=running\nrevision={a}\n")
    git_repo.git("push", "-q", "origin", "main")
    project = Project.discover(git_repo.path)
    dep = record(project, "deploy", {"service": "api", "commit": a, "strategy": "ci", "platform": "command",
                                     "status": "restarted"}, commit=a)
    record(project, "verification", {"service": "api", "commit": a, "verdict": "pass", "summary": "ok",
                                     "deploy_id": dep["id"]}, commit=a)
    install.install(git_repo.path, python=sys.executable)
    return git_repo, git_remote, a


def _push(repo):
    return repo.git("push", "origin", "main", check=False)


def _records(repo, kind):
    path = Project.discover(repo.path).ledger.path
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["kind"] == kind]


def test_a_push_ci_deploys_is_pending_and_refuses_the_next_push(shop, capsys):
    """The allowed push records a pending CI deploy of api (not docs); state is UNVERIFIED; the next push is refused."""
    repo, bare, a = shop
    ci_play.install(bare, repo.path, "never")
    b = repo.commit("B: fix api", {"api/app.py": "v2\n"})
    res = _push(repo)
    assert res.returncode == 0, res.stderr
    assert f"api: pushed {b[:12]} to main, CI deploy pending (running {a[:12]})" in res.stderr
    dep = _records(repo, "deploy")[-1]
    assert dep["payload"]["service"] == "api" and dep["payload"]["status"] == "pending"
    assert dep["payload"]["commit"] == b and dep["payload"]["performed_by"] == "ci"
    code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--json")
    data = json.loads(out)
    # the runtime still runs A: committed, not running (DRIFT) outranks the pending deploy, which stays in the reason
    assert data["status"] == "DRIFT" and "CI deploy pending" in data["reason"] and "api runs" in data["reason"]
    repo.commit("C: another api change", {"api/app.py": "v3\n"})
    again = _push(repo)
    assert again.returncode != 0 and "refusing to push main" in again.stderr and "api" in again.stderr


def test_a_push_that_does_not_touch_a_ci_service_records_nothing(shop):
    """A docs-only push changes no ci service's code: no pending deploy, the push goes through."""
    repo, bare, a = shop
    ci_play.install(bare, repo.path, "never")
    repo.commit("docs", {"docs/index.md": "more\n"})
    assert _push(repo).returncode == 0
    assert [d["payload"]["status"] for d in _records(repo, "deploy")] == ["restarted"]


def test_a_service_whose_running_commit_is_unknown_is_pending_after_any_push(shop):
    """Fail closed: with no known running commit for api, even a docs-only push leaves api pending."""
    repo, bare, a = shop
    project = Project.discover(repo.path)
    (repo.path / "deploystate.toml").write_text(CONFIG.replace("[services.api]", "[services.web]\nplatform = "
                                               "\"command\"\npaths = [\"web/**\"]\nrestart_cmd = [\"true\"]\n\n[services.api]"))
    repo.commit("add web", {})
    ci_play.install(bare, repo.path, "never")
    res = _push(repo)
    assert res.returncode == 0 and "web: pushed" in res.stderr and "running an unknown revision" in res.stderr
    assert [d["payload"]["service"] for d in _records(repo, "deploy") if d["payload"]["status"] == "pending"] == ["web"]


def test_verify_wait_sees_the_old_code_then_the_new_then_passes(shop, capsys):
    """CI deploys B a second after the push: verify --wait waits, records the observed deploy, passes; status OK."""
    repo, bare, a = shop
    ci_play.install(bare, repo.path, "deploy", delay=1.5)
    b = repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert _push(repo).returncode == 0
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "240",
                        "--wait-interval", "0.5", "--json")
    data = json.loads(out)
    assert code == 0, err + out
    assert [s["service"] for s in data["services"]] == ["api"]  # the pending one, by default
    assert data["rollouts"][0]["rolled_out"] and data["rollouts"][0]["running"] == b
    assert f"api runs {a[:12]}" in err  # it saw the old code first
    deploys = _records(repo, "deploy")
    assert [d["payload"]["status"] for d in deploys] == ["restarted", "pending", "restarted"]
    observed = deploys[-1]["payload"]
    assert observed["performed_by"] == "ci" and observed["commit"] == b and observed["platform_ids"]["observed"]
    ver = _records(repo, "verification")[-1]
    assert ver["payload"]["verdict"] == "pass" and ver["payload"]["deploy_id"] == deploys[-1]["id"]
    code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--json")
    data = json.loads(out)
    assert data["observed"]["api"]["verdict"] == "runs_head"
    # docs has no observe_cmd, so what it runs is unknown: the only thing short of OK
    assert data["status"] == "UNKNOWN" and data["reason"].startswith("what runs is not known for docs (")
    assert "api" not in data["reason"]


def test_a_ci_that_never_deploys_fails_naming_what_still_runs(shop, capsys):
    """Nothing rolls out within the limit: FAIL 'CI did not deploy it (still running A)', recorded, never a pass."""
    repo, bare, a = shop
    ci_play.install(bare, repo.path, "never")
    b = repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert _push(repo).returncode == 0
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "3",
                        "--wait-interval", "0.5", "--ci")
    assert code == 1
    assert f"deploystate: FAIL api: CI did not deploy it within 3s (still running {a[:12]})" in out
    ver = _records(repo, "verification")[-1]
    assert ver["payload"]["verdict"] == "fail" and ver["payload"]["commit"] == b
    repo.commit("C: next try", {"api/app.py": "v3\n"})
    assert _push(repo).returncode != 0  # still refused: the failure is on record


def test_a_ci_that_deploys_a_broken_build_fails_on_the_logs(shop, capsys, monkeypatch):
    """CI rolls out B but the app logs a Traceback: rolled out, then the logs check fails the verdict (GitHub annotations)."""
    repo, bare, a = shop
    ci_play.install(bare, repo.path, "broken", delay=0.5)
    repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert _push(repo).returncode == 0
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "240",
                        "--wait-interval", "0.5", "--ci")
    assert code == 1, out + err
    assert "::error title=deploystate verify api::FAIL api" in out
    assert "Traceback" in out
    assert [d["payload"]["status"] for d in _records(repo, "deploy")] == ["restarted", "pending", "restarted"]


def test_commit_must_be_head(shop, capsys):
    """--commit that is not HEAD is refused with what to do (check it out), exit 2, nothing recorded."""
    repo, bare, a = shop
    repo.commit("B", {"api/app.py": "v2\n"})
    code, _, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--commit", a)
    assert code == 2 and "is not HEAD" in err and "check out" in err
    assert len(_records(repo, "verification")) == 1  # only the fixture's


def test_the_agent_sees_the_pending_push_and_verifies_it_with_wait_over_stdio(shop):
    """Over real stdio: read_deployment_state names the pending push and the next step; verify_deploy with
    wait_for_ci waits for CI, records the observed deploy and passes."""
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    from .mcp_support import run, text
    from .test_mcp_stdio import deploystate_bin

    repo, bare, a = shop
    ci_play.install(bare, repo.path, "deploy", delay=2.0)
    b = repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert _push(repo).returncode == 0
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(repo.path)],
                                   cwd=str(repo.path))

    async def body():
        async with Client(params, read_timeout_seconds=300) as client:
            before = await client.call_tool("read_deployment_state", {})
            verified = await client.call_tool("verify_deploy", {"wait_for_ci": True, "ci_wait_seconds": 240})
            return before, verified

    before, verified = run(body)
    steps = before.structured_content["next_steps"]
    assert any(f"`api`: pushed {b[:10]}" in s and "CI deploy pending" in s and "wait_for_ci" in s for s in steps), steps
    assert not verified.is_error, text(verified)
    out = verified.structured_content
    assert out["verdict"] == "pass" and out["rollouts"][0]["rolled_out"] and out["rollouts"][0]["running"] == b
    assert _records(repo, "deploy")[-1]["payload"]["performed_by"] == "ci"
