"""The ECS platform with real boto3 against a moto server: restart (our deployment), observe, rollback,
CloudWatch logs, and the orchestration's records. What moto cannot show is in test_ecs_recorded.py."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.ecs.ecs import EcsPlatform
from deploystate.state.config.config import EcsService
from deploystate.state.errors import PlatformError, TargetNotFound
from tests.platforms.ecs_support import (NEW, OLD, REGION, _no_project, create_service, ecs, primary,  # noqa: F401
                                         register, start_task, svc_ref)
from tests.timing import GENEROUS


# -- moto ------------------------------------------------------------------------------------------

def test_restart_forces_a_new_deployment_and_remembers_ours(ecs, aws_endpoint, tmp_path):
    """restart = update_service(forceNewDeployment); the new PRIMARY deployment id is ours and is returned."""
    td = register(ecs, OLD)
    create_service(ecs, td)
    before = primary(ecs)["id"]
    lines: list[str] = []
    result = EcsPlatform(poll_interval=0.05).restart(svc_ref(tmp_path, aws_endpoint), "auto", timeout=GENEROUS,
                                                     progress=lines.append)
    assert result.ok, result.message
    ours = result.platform_ids["deployment_id"]
    assert ours == primary(ecs)["id"] and ours != before
    assert result.platform_ids["previous_deployment_id"] == before
    assert result.platform_ids["task_definition"] == td == result.platform_ids["rollback_ref"]
    assert result.platform_ids["revision"] == OLD
    assert "completed" in result.message and any("forcing a new deployment" in line for line in lines)


class VirtualClock:
    """Time that moves only when the code sleeps: the rollout deadline is decided by the code, not the load."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_rollout_still_in_progress_at_the_timeout_is_a_warning_not_a_pass(ecs, aws_endpoint, tmp_path):
    """When the rollout does not finish in time the restart is issued, with progress and a warning."""
    create_service(ecs, register(ecs, OLD), desired=2)      # moto runs 1 task: stays IN_PROGRESS
    lines: list[str] = []
    clock = VirtualClock()
    started = time.monotonic()
    result = EcsPlatform(poll_interval=5, progress_every=10, clock=clock, sleep=clock.sleep).restart(
        svc_ref(tmp_path, aws_endpoint), "force_new_deployment", timeout=30, progress=lines.append)
    assert time.monotonic() - started < GENEROUS             # a handful of real calls to moto, no real waiting
    assert result.ok and "IN_PROGRESS" in result.message
    assert result.warnings == ["rollout not finished within 30s: verification will judge it"]
    assert clock.now == 25                                    # polled every 5 s until one poll was left
    assert any("IN_PROGRESS (running 1/2" in line for line in lines)


def test_observe_reads_revision_tasks_and_our_deployment(ecs, aws_endpoint, tmp_path):
    """observe: our deployment PRIMARY and COMPLETED, tasks' images give the running revision."""
    td = register(ecs, OLD)
    create_service(ecs, td)
    platform = EcsPlatform(poll_interval=0.05)
    ref = svc_ref(tmp_path, aws_endpoint)
    ours = platform.restart(ref, "auto", timeout=GENEROUS).platform_ids["deployment_id"]
    start_task(ecs, td, ours)
    obs = platform.observe(ref, timeout=GENEROUS)
    assert obs.state == "running" and obs.revision == OLD and obs.problems == []
    assert obs.rollout["our_deployment"] == ours and obs.rollout["ours_is_primary"] is True
    assert obs.rollout["complete"] and obs.rollout["rollout_state"] == "COMPLETED"
    assert obs.replicas == {"desired": 1, "running": 1, "pending": 0, "failed": 0}
    assert obs.instances[0].image.endswith(f"web:{OLD}") and obs.instances[0].revision == OLD
    by_env = platform.observe(svc_ref(tmp_path, aws_endpoint, source="env"), timeout=GENEROUS)
    assert by_env.revision == OLD and by_env.revision_source.startswith("env GIT_SHA")


def test_observe_without_tasks_reads_the_task_definition_and_says_so(ecs, aws_endpoint, tmp_path):
    """With no running task seen, the revision comes from the service's task definition, labelled as such."""
    create_service(ecs, register(ecs, NEW))
    obs = EcsPlatform().observe(svc_ref(tmp_path, aws_endpoint), timeout=GENEROUS)
    assert obs.revision == NEW and "no running task seen" in obs.revision_source


def test_observe_flags_our_deployment_replaced_by_another(ecs, aws_endpoint, tmp_path):
    """If someone else deploys after our restart, our deployment is no longer PRIMARY: degraded, said why."""
    create_service(ecs, register(ecs, OLD))
    platform = EcsPlatform(poll_interval=0.05)
    ref = svc_ref(tmp_path, aws_endpoint)
    ours = platform.restart(ref, "auto", timeout=GENEROUS).platform_ids["deployment_id"]
    ecs.update_service(cluster="prod", service="web", forceNewDeployment=True)   # somebody else
    obs = platform.observe(ref, timeout=GENEROUS)
    assert obs.state == "degraded" and obs.rollout["ours_is_primary"] is False
    assert any(ours in p and "PRIMARY is" in p for p in obs.problems)


def test_observe_reports_stopped_tasks_and_their_reasons(ecs, aws_endpoint, tmp_path):
    """A task stopped since our deployment shows up with its stoppedReason."""
    td = register(ecs, OLD)
    create_service(ecs, td)
    platform = EcsPlatform(poll_interval=0.05)
    ref = svc_ref(tmp_path, aws_endpoint)
    ours = platform.restart(ref, "auto", timeout=GENEROUS).platform_ids["deployment_id"]
    task = start_task(ecs, td, ours)
    ecs.stop_task(cluster="prod", task=task, reason="Essential container in task exited")
    obs = platform.observe(ref, timeout=GENEROUS)
    assert obs.restart_count == 1
    assert any("stopped: Essential container in task exited" in p for p in obs.problems)


def test_rollback_to_previous_named_or_commit_task_definition(ecs, aws_endpoint, tmp_path):
    """rollback deploys revision-1, a named family:revision, or the revision whose image carries a commit."""
    td1, td2 = register(ecs, OLD), register(ecs, NEW)
    create_service(ecs, td2)
    platform = EcsPlatform(poll_interval=0.05)
    ref = svc_ref(tmp_path, aws_endpoint)
    back = platform.rollback(ref, None, timeout=GENEROUS)
    assert back.ok and back.platform_ids["task_definition"] == td1
    assert back.platform_ids["previous_task_definition"] == td2
    assert ecs.describe_services(cluster="prod", services=["web"])["services"][0]["taskDefinition"] == td1
    forward = platform.rollback(ref, "web:2", timeout=GENEROUS)
    assert forward.platform_ids["task_definition"] == td2
    by_commit = platform.rollback(ref, OLD[:10], timeout=GENEROUS)
    assert by_commit.platform_ids["task_definition"] == td1 and by_commit.platform_ids["revision"] == OLD
    with pytest.raises(TargetNotFound, match="carries revision"):
        platform.rollback(ref, "abcdef1234", timeout=GENEROUS)


def test_logs_come_from_cloudwatch_since_the_restart(ecs, aws_endpoint, tmp_path):
    """Logs are read from the awslogs group/stream prefix of the task definition, since the given time."""
    td = register(ecs, OLD)
    create_service(ecs, td)
    platform = EcsPlatform(poll_interval=0.05)
    ref = svc_ref(tmp_path, aws_endpoint)
    ours = platform.restart(ref, "auto", timeout=GENEROUS).platform_ids["deployment_id"]
    old_task = start_task(ecs, td, ours).rsplit("/", 1)[-1]
    ecs.stop_task(cluster="prod", task=old_task, reason="replaced")
    new_task = start_task(ecs, td, ours).rsplit("/", 1)[-1]
    logs = boto3.client("logs", endpoint_url=aws_endpoint, region_name=REGION)
    logs.create_log_group(logGroupName="/ecs/web")
    now = datetime.now(timezone.utc)
    ms = lambda dt: int(dt.timestamp() * 1000)  # noqa: E731
    for task, events in ((old_task, [(now - timedelta(minutes=5), "using fallback")]),
                         (new_task, [(now - timedelta(minutes=5), "stale line"), (now, "RL model made")])):
        logs.create_log_stream(logGroupName="/ecs/web", logStreamName=f"ecs/web/{task}")
        logs.put_log_events(logGroupName="/ecs/web", logStreamName=f"ecs/web/{task}",
                            logEvents=[{"timestamp": ms(t), "message": m} for t, m in events])
    since = now - timedelta(seconds=30)
    assert list(platform.logs(ref, since=since, timeout=GENEROUS)) == ["RL model made"]
    assert list(platform.logs(ref, since=None, previous=True, timeout=GENEROUS)) == ["using fallback"]


def test_logs_without_awslogs_is_a_clear_error(ecs, aws_endpoint, tmp_path):
    """A task definition without the awslogs driver gives an error saying so."""
    create_service(ecs, register(ecs, OLD, logs=False))
    with pytest.raises(PlatformError, match="awslogs"):
        list(EcsPlatform().logs(svc_ref(tmp_path, aws_endpoint), since=None, timeout=GENEROUS))


def test_missing_service_or_cluster_is_target_not_found(ecs, aws_endpoint, tmp_path):
    """A service or cluster that does not exist is TargetNotFound naming it."""
    with pytest.raises(TargetNotFound, match="'nope'"):
        EcsPlatform().observe(svc_ref(tmp_path, aws_endpoint, service="nope"), timeout=GENEROUS)
    cfg = EcsService(cluster="ghost", service="web", region=REGION, endpoint_url=aws_endpoint)
    with pytest.raises(TargetNotFound):
        EcsPlatform().restart(ServiceRef("web", cfg, tmp_path), "auto", timeout=GENEROUS)


def test_deploy_records_our_deployment_and_a_later_process_finds_it(ecs, aws_endpoint, git_repo):
    """Through the orchestration: the deploy record holds the ECS deployment id; a fresh platform (a later
    process) observes against it; rollback previous hands ECS the recorded task definition."""
    from deploystate.platforms import deploy, registry
    from deploystate.state.config.project import Project

    td1 = register(ecs, OLD)
    create_service(ecs, td1)
    git_repo.commit("v1", {"deploystate.toml": f"""
[services.web]
platform = "ecs"
cluster = "prod"
service = "web"
region = "{REGION}"
endpoint_url = "{aws_endpoint}"
paths = ["web/**"]
revision = {{ source = "image_tag" }}
""", "web/app.py": "v1"})
    project = Project.discover(git_repo.path)
    config = deploy.config_of(project)
    with registry.use("ecs", EcsPlatform(poll_interval=0.05)):
        [first] = deploy.execute(project, config, deploy.make_plan(project, config, names=["web"]))
        git_repo.commit("v2", {"web/app.py": "v2"})
        ecs.update_service(cluster="prod", service="web", taskDefinition=register(ecs, NEW))   # a new image
        [second] = deploy.execute(project, config, deploy.make_plan(project, config, names=["web"]))
    record = project.ledger.read().records[-1]["payload"]
    assert record["platform_ids"]["deployment_id"] == second.platform_ids["deployment_id"] == primary(ecs)["id"]
    ref = ServiceRef("web", config.services["web"], git_repo.path)
    fresh = EcsPlatform()
    assert fresh.our_deployment(ref) == second.platform_ids["deployment_id"]
    assert fresh.observe(ref, timeout=GENEROUS).rollout["ours_is_primary"] is True
    with registry.use("ecs", EcsPlatform(poll_interval=0.05)):
        back = deploy.rollback(project, config, "web", "previous")
    assert back.status == "restarted" and back.platform_ids["task_definition"] == td1
    assert back.commit == first.commit
    assert ecs.describe_services(cluster="prod", services=["web"])["services"][0]["taskDefinition"] == td1
