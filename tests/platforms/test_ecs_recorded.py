"""The ECS platform with real boto3 against a loopback endpoint replaying recorded real ECS response shapes
(tests/platforms/recorded/): what moto cannot show (a FAILED rollout, two live deployments, OOM-killed and
unpullable tasks), and faults (an endpoint that is down, throttles, or hangs)."""

from __future__ import annotations

import copy
import socket
import time

import pytest

from deploystate.platforms.ecs.ecs import EcsPlatform
from deploystate.state.errors import PlatformUnreachable
from tests.platforms.aws_replay import THROTTLED, Replay, recorded
from tests.platforms.ecs_support import _no_project, svc_ref  # noqa: F401  (autouse fixture)
from tests.timing import GENEROUS, HANG



# -- faults ----------------------------------------------------------------------------------------

def test_an_endpoint_that_is_down_is_unreachable_and_named(aws_env, tmp_path):
    """A closed port gives PlatformUnreachable naming the endpoint, without waiting out the timeout."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(PlatformUnreachable, match=url.replace(".", r"\.")):
        EcsPlatform().observe(svc_ref(tmp_path, url), timeout=HANG)
    assert time.monotonic() - started < GENEROUS


def test_throttling_is_unreachable_within_the_timeout(aws_env, tmp_path):
    """An API answering ThrottlingException (retried once) gives PlatformUnreachable saying it throttles."""
    with Replay() as api:
        api.answers["DescribeServices"] = [THROTTLED]
        started = time.monotonic()
        with pytest.raises(PlatformUnreachable, match="throttling"):
            EcsPlatform().observe(svc_ref(tmp_path, api.url), timeout=HANG)
        assert time.monotonic() - started < GENEROUS             # a refusal is final: no waiting out the timeout
        assert api.ops().count("DescribeServices") == 2          # one retry, then give up


def test_a_hanging_api_times_out_within_the_timeout(aws_env, tmp_path):
    """An endpoint that accepts and never answers (600 s) gives PlatformUnreachable once our timeout is spent."""
    with Replay() as api:
        api.hang = HANG
        started = time.monotonic()
        with pytest.raises(PlatformUnreachable, match="did not answer"):
            EcsPlatform().observe(svc_ref(tmp_path, api.url), timeout=4)
        assert time.monotonic() - started < GENEROUS


# -- recorded real responses (moto cannot show these) ------------------------------------------------

def _replay_recorded(api: Replay, describe: list[dict] | None = None) -> dict:
    data = recorded("ecs_failed_rollout.json")
    tasks = {t["taskArn"]: t for t in data["Tasks"]}
    api.answers["DescribeServices"] = [(200, d) for d in (describe or [data["DescribeServices"]])]
    api.answers["ListTasks"] = lambda body: (200, data["ListTasks"][body.get("desiredStatus", "RUNNING")])
    api.answers["DescribeTasks"] = lambda body: (200, {"tasks": [tasks[a] for a in body["tasks"]], "failures": []})
    api.answers["DescribeTaskDefinition"] = lambda body: (200, {"taskDefinition": data["TaskDefinitions"][
        body["taskDefinition"]]})
    return data


def test_recorded_failed_rollout_with_two_deployments_and_an_oom_kill(aws_env, tmp_path):
    """Recorded real shapes (moto cannot produce them): circuit breaker FAILED, the old deployment still
    serving, a task OOM-killed with exit 137 and one that could not pull its image."""
    with Replay() as api:
        _replay_recorded(api)
        ref = svc_ref(tmp_path, api.url)
        platform = EcsPlatform()
        platform._ours[("prod", "web", api.url)] = "ecs-svc/5204786405893224316"
        obs = platform.observe(ref, timeout=10)
    assert obs.state == "degraded" and obs.oom_killed and obs.restart_count == 2
    assert obs.rollout["rollout_state"] == "FAILED" and len(obs.rollout["deployments"]) == 2
    assert obs.rollout["ours_is_primary"] is True and not obs.rollout["complete"]
    text = "\n".join(obs.problems)
    assert "rollout FAILED: ECS deployment circuit breaker: tasks failed to start." in text
    assert "4 task(s) failed to start" in text
    assert "exited 137 (OOM-killed" in text and "CannotPullContainerError" in text
    # The old tasks still serve the old commit: the running revision is not the new one.
    assert obs.revision == "4be1c0d9e2f3" and obs.facts["image_digests"] == [
        "sha256:7d1f0c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"]


def test_recorded_restart_that_the_circuit_breaker_fails(aws_env, tmp_path):
    """Following our deployment through recorded states IN_PROGRESS -> FAILED makes the restart fail."""
    data = recorded("ecs_failed_rollout.json")
    settled = copy.deepcopy(data["DescribeServices"])
    svc = settled["services"][0]
    svc["deployments"] = [dict(svc["deployments"][1], status="PRIMARY")]
    svc["taskDefinition"] = svc["deployments"][0]["taskDefinition"]
    progressing = copy.deepcopy(data["DescribeServices"])
    new = progressing["services"][0]["deployments"][0]
    new.update(rolloutState="IN_PROGRESS", rolloutStateReason="ECS deployment in progress.", failedTasks=1,
               pendingCount=2)
    with Replay() as api:
        _replay_recorded(api, [settled, progressing, data["DescribeServices"]])
        api.answers["UpdateService"] = [(200, {"service": progressing["services"][0]})]
        lines: list[str] = []
        result = EcsPlatform(poll_interval=0.05).restart(svc_ref(tmp_path, api.url), "auto", timeout=10,
                                                         progress=lines.append)
    assert not result.ok and "FAILED: ECS deployment circuit breaker" in result.message
    assert result.platform_ids["deployment_id"] == "ecs-svc/5204786405893224316"
    assert result.platform_ids["previous_deployment_id"] == "ecs-svc/8473829373628475618"
    assert any("IN_PROGRESS" in line and "2 deployment(s) live" in line for line in lines)
