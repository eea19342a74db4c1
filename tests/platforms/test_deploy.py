"""Restart and rollback orchestration: plans from real git and the real ledger, one record per restart.

The scripted FakePlatform stands in for a runtime only in the logic tests; the last tests run the whole
loop against real local processes on the command platform."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

import pytest

from deploystate.platforms import deploy, registry
from deploystate.platforms.base import Observation, RestartResult
from deploystate.platforms.command.command import CommandPlatform
from deploystate.platforms.fake import FakePlatform
from deploystate.state.view import cache
from deploystate.state.ledger import store
from deploystate.state.errors import PlatformUnreachable, Refused
from deploystate.state.config.project import Project
from tests.platforms.cmdapp import cmd_app  # noqa: F401  (fixture)

CONFIG = """
[project]
name = "shop"
[services.api]
platform = "command"
paths = ["api/**"]
restart_cmd = ["true"]
[services.worker]
platform = "command"
paths = ["worker/**"]
restart_cmd = ["true"]
"""


@dataclass
class RefPlatform(FakePlatform):
    """The fake, plus the platform ids a real adapter returns (a rollback handle per restart)."""

    name: str = "command"
    counter: int = 0

    def restart(self, svc, strategy, *, timeout, progress=None):
        res = super().restart(svc, strategy, timeout=timeout, progress=progress)
        self.counter += 1
        res.platform_ids = {"rollback_ref": f"ref-{self.counter}"}
        return res


@pytest.fixture
def shop(git_repo):
    git_repo.commit("v1", {"deploystate.toml": CONFIG, "api/app.py": "v1", "worker/w.py": "v1",
                           ".gitignore": ".deploystate/projection.json\n"})
    return git_repo


def runtime(commit: str, **kw) -> RefPlatform:
    """A fake runtime whose api and worker report ``commit`` (what a real adapter reads from the instances)."""
    return RefPlatform(observations={n: Observation(n, "command", n, "running", revision=commit)
                                     for n in ("api", "worker")}, **kw)


def _project(repo) -> Project:
    return Project.discover(repo.path)


def _restart(project, names=None, platform=None, **kw):
    config = deploy.config_of(project)
    with registry.use("command", platform or RefPlatform()):
        plan = deploy.make_plan(project, config, names=names, **kw)
        return plan, deploy.execute(project, config, plan)


def test_restart_records_a_deploy_per_service_with_the_documented_payload(shop):
    """Each restart appends a deploy record (commit, strategy, platform ids, status, timing) and updates state."""
    project = _project(shop)
    plan, outcomes = _restart(project, ["api", "worker"])        # never deployed: nothing shows them unchanged
    assert [o.status for o in outcomes] == ["restarted", "restarted"]
    records = project.ledger.read().records
    assert [r["kind"] for r in records] == ["deploy", "deploy"]
    payload = records[0]["payload"]
    assert {"service", "commit", "strategy", "platform", "platform_ids", "status", "warnings", "forced", "reason",
            "started_at", "duration"} <= set(payload)
    assert payload["commit"] == shop.head() and payload["platform"] == "command" and payload["strategy"] == "command"
    assert payload["platform_ids"] == {"rollback_ref": "ref-1"} and payload["status"] == "restarted"
    state = cache.load(project.ledger).state
    assert state["services"]["api"]["running_commit"] == shop.head()
    assert "api" in project.state_file.read_text()


def test_plan_compares_each_service_from_its_running_commit(shop):
    """After a deploy, only the service whose files changed since the commit its runtime reports is restarted."""
    project = _project(shop)
    v1 = shop.head()
    _restart(project, ["api", "worker"])
    shop.commit("api change", {"api/app.py": "v2"})
    plan, outcomes = _restart(project, platform=runtime(v1))
    assert [o.service for o in outcomes] == ["api"]
    assert {i.service: i.action for i in plan.items} == {"api": "restart", "worker": "skip"}
    assert plan.items[0].files[0].file == "api/app.py"


def test_refused_plan_restarts_nothing_and_records_nothing(shop):
    """Naming a service whose code did not change raises Refused before any restart."""
    project = _project(shop)
    v1 = shop.head()
    _restart(project, ["api", "worker"])
    shop.commit("api change", {"api/app.py": "v2"})
    fake = runtime(v1)
    with pytest.raises(Refused, match="worker"):
        _restart(project, ["api", "worker"], platform=fake)
    assert fake.restarts == [] and len(project.ledger.read().records) == 2
    _plan, [forced] = _restart(project, ["worker"], platform=runtime(v1), force=True,
                               reason="pick up rotated secret")
    record = project.ledger.read().records[-1]["payload"]
    assert forced.status == "restarted" and record["forced"] is True and record["reason"] == "pick up rotated secret"


def test_a_platform_failure_is_recorded_and_the_others_still_run(shop):
    """An unreachable platform for one service gives a failed deploy record; the next service restarts."""
    project = _project(shop)
    fake = RefPlatform(errors={"restart:api": PlatformUnreachable("API at http://127.0.0.1:9 did not answer")})
    _plan, outcomes = _restart(project, ["api", "worker"], platform=fake)
    assert [(o.service, o.status) for o in outcomes] == [("api", "failed"), ("worker", "restarted")]
    failed = project.ledger.read().records[0]["payload"]
    assert failed["status"] == "failed" and "127.0.0.1:9" in failed["message"]
    assert cache.load(project.ledger).state["services"]["api"]["running_commit"] is None


def test_a_never_deployed_service_uses_the_revision_its_platform_reports(shop):
    """Without a deploy record, the running revision the platform reports is the base of the comparison."""
    project = _project(shop)
    v1 = shop.head()
    shop.commit("api change", {"api/app.py": "v2"})
    fake = RefPlatform(observations={n: Observation(n, "command", n, "running", revision=v1[:12])
                                     for n in ("api", "worker")})
    plan, outcomes = _restart(project, platform=fake)
    assert [o.service for o in outcomes] == ["api"] and plan.items[1].action == "skip"
    assert plan.items[0].base == v1


def test_uncommitted_changes_in_a_service_are_warned_about(shop):
    """Uncommitted files in a service's paths: a restart warns the commit will not match; a skip says to commit."""
    project = _project(shop)
    (shop.path / "api" / "app.py").write_text("edited, not committed")
    plan, _ = _restart(project, ["api", "worker"])
    assert "uncommitted" in plan.items[0].why and "api/app.py" in plan.items[0].why
    (shop.path / "worker" / "w.py").write_text("edited after the deploy, not committed")
    with registry.use("command", runtime(shop.head())):
        plan = deploy.make_plan(project, deploy.config_of(project))
    worker = next(i for i in plan.items if i.service == "worker")
    assert worker.action == "skip" and "commit them first" in worker.why


def test_a_restart_that_kept_the_old_code_is_not_unchanged(shop):
    """A deploy at HEAD is recorded but the runtime still reports the old commit (restart kept the image):
    the plan restarts it again (not "unchanged"), and naming it is not refused without --force."""
    project = _project(shop)
    v1 = shop.head()
    shop.commit("api change", {"api/app.py": "v2"})
    _restart(project, ["api"], platform=runtime(v1))            # recorded at HEAD; the runtime kept v1
    assert cache.load(project.ledger).state["services"]["api"]["running_commit"] == shop.head()
    plan, outcomes = _restart(project, ["api"], platform=runtime(v1))
    assert plan.items[0].action == "restart" and plan.items[0].files[0].file == "api/app.py"
    assert [o.status for o in outcomes] == ["restarted"]


def _verify(project, service, commit, deploy_id):
    store.record(project, "verification", {"service": service, "commit": commit, "verdict": "pass",
                                           "summary": "ok", "deploy_id": deploy_id})


def test_rollback_to_last_verified_hands_the_platform_the_recorded_handle(shop):
    """rollback(last_verified) finds the deploy the passing verification checked and records a rollback."""
    project = _project(shop)
    v1 = shop.head()
    _plan, [first] = _restart(project, ["api"])
    _verify(project, "api", v1, first.record_id)
    shop.commit("api change", {"api/app.py": "v2"})
    fake = RefPlatform(counter=1)
    with registry.use("command", fake):
        config = deploy.config_of(project)
        deploy.execute(project, config, deploy.make_plan(project, config, names=["api"]))
        outcome = deploy.rollback(project, config, "api")
    assert fake.rollbacks == [("api", "ref-1")]
    assert outcome.kind == "rollback" and outcome.status == "restarted" and outcome.commit == v1
    rec = project.ledger.read().records[-1]
    assert rec["kind"] == "rollback" and rec["payload"]["to"] == "last_verified"
    assert cache.load(project.ledger).state["services"]["api"]["running_commit"] == v1


def test_rollback_previous_and_to_a_commit(shop):
    """"previous" is the deploy before the current one; a commit with no deploy record is passed as is."""
    project = _project(shop)
    v1 = shop.head()
    _restart(project, ["api"])
    v2 = shop.commit("api change", {"api/app.py": "v2"})
    fake = RefPlatform(counter=1)
    with registry.use("command", fake):
        config = deploy.config_of(project)
        deploy.execute(project, config, deploy.make_plan(project, config, names=["api"]))
        prev = deploy.rollback(project, config, "api", "previous")
        v3 = shop.commit("worker change", {"worker/w.py": "v2"})
        to_commit = deploy.rollback(project, config, "worker", v3[:10])
    assert fake.rollbacks == [("api", "ref-1"), ("worker", v3)]
    assert prev.commit == v1 and to_commit.commit == v3 and v2 != v1


def test_rollback_without_a_verified_deploy_is_refused(shop):
    """last_verified with no passing verification is refused with the alternatives."""
    project = _project(shop)
    with registry.use("command", RefPlatform()):
        with pytest.raises(Refused, match="no passing verification"):
            deploy.rollback(project, deploy.config_of(project), "api")


# -- the whole loop against real processes ------------------------------------------------------------

def _version(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as resp:
        return json.loads(resp.read())


def test_restart_affected_then_rollback_with_real_processes(cmd_app):
    """First restart starts both; a commit to the API restarts only the API, whose new code then runs;
    rollback previous brings the old commit back (read from the running process)."""
    project = Project.discover(cmd_app.root)
    config = deploy.config_of(project)
    with registry.use("command", CommandPlatform()):
        first = deploy.execute(project, config, deploy.make_plan(project, config))
        assert sorted((o.service, o.status) for o in first) == [("api", "restarted"), ("worker", "restarted")]
        v2 = cmd_app.change_api("hello v2")
        plan = deploy.make_plan(project, config)
        assert [i.service for i in plan.restarts] == ["api"]
        worker_pid = cmd_app.pid("worker")
        [api] = deploy.execute(project, config, plan)
        assert api.status == "restarted" and api.platform_ids["revision"] == v2
        assert _version(cmd_app.port) == {"revision": v2, "greeting": "hello v2"}
        assert cmd_app.pid("worker") == worker_pid           # untouched: its code did not change
        back = deploy.rollback(project, config, "api", "previous")
    assert back.status == "restarted" and back.commit == cmd_app.commit_v1
    assert _version(cmd_app.port) == {"revision": cmd_app.commit_v1, "greeting": "hello v1"}
    state = cache.load(project.ledger).state
    assert state["services"]["api"]["running_commit"] == cmd_app.commit_v1
    assert state["services"]["api"]["deploy"]["kind"] == "rollback"


def test_restart_result_shapes_are_plain_data():
    """Outcomes serialise to plain dicts (CLI --json, MCP structured output)."""
    res = RestartResult("api", "command", True, "ok", {"pid": 1})
    out = deploy.Outcome("api", "deploy", "restarted", "command", "abc", "ok", "id1", res.platform_ids)
    assert json.loads(json.dumps(out.to_dict()))["platform_ids"] == {"pid": 1}
