"""AWS checks against the real moto server (EventBridge, ECS, SageMaker, CloudWatch Logs), AWS faults from a
loopback stand-in (throttling, HTTP 500, malformed JSON, refused, hung), and incident 2 end to end."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from deploystate.server.cli import main
from deploystate.state.config.checks import CloudWatchLogsCheck, EventBridgeRulesCheck, SageMakerEndpointCheck
from deploystate.verify.context import CheckContext
from deploystate.verify.preflight import run_preflight
from deploystate.verify.runner import Job, run_jobs
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import Capture, ledger_text, make_project, state_of
from tests.timing import GENEROUS, HANG

REGION = "us-east-1"


def run_one(check, deadline: float = 120.0):  # noqa: ANN001, ANN201
    return run_jobs([Job(check.label(), check, CheckContext(root=Path(".")), None)], deadline=deadline)[0]


def aws(service: str, endpoint: str):  # noqa: ANN201
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def rules(endpoint: str, disabled: tuple[str, ...] = ()) -> None:
    eb = aws("events", endpoint)
    for name in ("trading-open", "trading-close", "trading-rebalance"):
        eb.put_rule(Name=name, ScheduleExpression="rate(5 minutes)")
        if name in disabled:
            eb.disable_rule(Name=name)


def test_eventbridge_enabled_rules_pass(aws_endpoint: str) -> None:
    """Rules found by prefix, all ENABLED: pass, listing them."""
    rules(aws_endpoint)
    res = run_one(EventBridgeRulesCheck(prefix="trading-", endpoint_url=aws_endpoint, region=REGION))
    assert res.result == "pass" and res.evidence["rules"]["trading-open"] == "ENABLED"


def test_eventbridge_disabled_or_missing_rules_fail_by_name(aws_endpoint: str) -> None:
    """DISABLED rules and rules that do not exist fail, each named."""
    rules(aws_endpoint, disabled=("trading-open", "trading-close"))
    res = run_one(EventBridgeRulesCheck(prefix="trading-", names=["trading-settle"], endpoint_url=aws_endpoint,
                                        region=REGION))
    assert res.result == "fail"
    assert "trading-open (DISABLED)" in res.summary and "trading-close (DISABLED)" in res.summary
    assert "trading-settle" in res.summary and "trading-rebalance (" not in res.summary
    empty = run_one(EventBridgeRulesCheck(prefix="nothing-", endpoint_url=aws_endpoint, region=REGION))
    assert empty.result == "fail" and "no rule" in empty.summary


def test_eventbridge_ecs_targets_must_use_the_current_task_definition(aws_endpoint: str) -> None:
    """A scheduled ECS target still on an old task definition revision fails; the current one passes."""
    ecs = aws("ecs", aws_endpoint)
    ecs.create_cluster(clusterName="prod")
    tds = [ecs.register_task_definition(family="jobs", containerDefinitions=[
        {"name": "jobs", "image": f"jobs:{i}", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
        for i in (1, 2)]
    ecs.create_service(cluster="prod", serviceName="jobs", taskDefinition=tds[1], desiredCount=1)
    eb = aws("events", aws_endpoint)
    eb.put_rule(Name="nightly-report", ScheduleExpression="cron(0 2 * * ? *)")
    cluster_arn = ecs.describe_clusters(clusters=["prod"])["clusters"][0]["clusterArn"]

    def target(td: str) -> None:
        eb.put_targets(Rule="nightly-report", Targets=[{"Id": "1", "Arn": cluster_arn,
                                                         "RoleArn": "arn:aws:iam::123456789012:role/events",
                                                         "EcsParameters": {"TaskDefinitionArn": td}}])

    check = EventBridgeRulesCheck(names=["nightly-report"], ecs_cluster="prod", ecs_service="jobs",
                                  endpoint_url=aws_endpoint, region=REGION)
    target(tds[0])
    res = run_one(check)
    assert res.result == "fail" and "jobs:1" in res.summary and "jobs:2" in res.summary
    target(tds[1])
    assert run_one(check).result == "pass"


def sagemaker_endpoint(endpoint: str, name: str = "rl-model", config: str = "rl-config-v7") -> None:
    sm = aws("sagemaker", endpoint)
    sm.create_model(ModelName="rl", ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/rl:7"})
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[
        {"VariantName": "main", "ModelName": "rl", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)


def test_sagemaker_endpoint_in_service_passes_and_wrong_config_or_missing_fails(aws_endpoint: str) -> None:
    """InService on the expected config passes; another config or no endpoint fails."""
    sagemaker_endpoint(aws_endpoint)
    ok = run_one(SageMakerEndpointCheck(endpoint="rl-model", endpoint_config="rl-config-v7",
                                        endpoint_url=aws_endpoint, region=REGION))
    assert ok.result == "pass" and ok.evidence["status"] == "InService"
    wrong = run_one(SageMakerEndpointCheck(endpoint="rl-model", endpoint_config="rl-config-v8",
                                           endpoint_url=aws_endpoint, region=REGION))
    assert wrong.result == "fail" and "rl-config-v8" in wrong.summary
    gone = run_one(SageMakerEndpointCheck(endpoint="nope", endpoint_url=aws_endpoint, region=REGION))
    assert gone.result == "fail" and "does not exist" in gone.summary


def test_cloudwatch_logs_must_not_match_and_must_match(aws_endpoint: str) -> None:
    """Incident 3 on CloudWatch: 'using fallback' present fails; 'RL model made' absent fails, present passes."""
    logs = aws("logs", aws_endpoint)
    logs.create_log_group(logGroupName="/ecs/decider")
    logs.create_log_stream(logGroupName="/ecs/decider", logStreamName="task-1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/ecs/decider", logStreamName="task-1", logEvents=[
        {"timestamp": now, "message": "decision for AAPL: using fallback (endpoint error)"}])
    common = {"log_group": "/ecs/decider", "endpoint_url": aws_endpoint, "region": REGION}
    bad = run_one(CloudWatchLogsCheck(filter_pattern='"using fallback"', mode="must_not_match", **common))
    assert bad.result == "fail" and "using fallback" in bad.summary
    missing = run_one(CloudWatchLogsCheck(filter_pattern='"RL model made"', mode="must_match", **common))
    assert missing.result == "fail"
    logs.put_log_events(logGroupName="/ecs/decider", logStreamName="task-1", logEvents=[
        {"timestamp": now + 5, "message": "RL model made decision BUY AAPL"}])
    assert run_one(CloudWatchLogsCheck(filter_pattern='"RL model made"', mode="must_match", **common)).result \
        == "pass"
    absent = run_one(CloudWatchLogsCheck(filter_pattern="x", **{**common, "log_group": "/ecs/none"}))
    assert absent.result == "inconclusive"


# -- faults of the evidence source: never a pass -----------------------------------------------------------

@pytest.fixture
def fake_aws(aws_env: None) -> Iterator[dict]:
    """A loopback stand-in for AWS whose answer each test chooses."""
    answer = {"status": 200, "body": b"{}", "headers": {"Content-Type": "application/x-amz-json-1.1"}}

    def reply(method: str, path: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        if answer.get("hang"):
            server.release.wait(HANG)   # released when the test ends
        return answer["status"], answer["body"], answer["headers"]

    server = Capture(reply)
    answer["url"] = server.url
    yield answer
    server.close()


FAULT_KW = {"region": REGION, "timeout": GENEROUS}   # each fault answers at once: the timeout is a bound
CHECKS = {
    "eventbridge": lambda url: EventBridgeRulesCheck(prefix="trading-", endpoint_url=url, **FAULT_KW),
    "sagemaker": lambda url: SageMakerEndpointCheck(endpoint="rl", endpoint_url=url, **FAULT_KW),
    "cloudwatch": lambda url: CloudWatchLogsCheck(log_group="/g", endpoint_url=url, **FAULT_KW),
}


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_throttling_is_inconclusive(fake_aws: dict, kind: str) -> None:
    """A ThrottlingException is a fault of the evidence source: inconclusive, saying throttled."""
    fake_aws.update(status=400, body=json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode())
    res = run_one(CHECKS[kind](fake_aws["url"]))
    assert res.result == "inconclusive" and "throttled" in res.summary


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_malformed_json_and_http_500_are_inconclusive(fake_aws: dict, kind: str) -> None:
    """A garbled answer or an AWS-side 500 gives inconclusive, never pass."""
    fake_aws.update(status=200, body=b"{not json")
    assert run_one(CHECKS[kind](fake_aws["url"])).result == "inconclusive"
    fake_aws.update(status=500, body=json.dumps({"__type": "InternalFailure", "message": "oops"}).encode())
    assert run_one(CHECKS[kind](fake_aws["url"])).result == "inconclusive"


def test_refused_and_hung_aws_are_inconclusive_by_the_deadline(fake_aws: dict) -> None:
    """Nothing listening, or an API that never answers: inconclusive, verdict by the deadline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert run_one(CHECKS["eventbridge"](dead)).result == "inconclusive"
    fake_aws["hang"] = True
    t0 = time.monotonic()
    # The check would wait 600 s and the server hangs as long: only the runner's 2 s deadline can end it.
    res = run_one(EventBridgeRulesCheck(prefix="x", endpoint_url=fake_aws["url"], region=REGION, timeout=HANG),
                  deadline=2)
    assert res.result == "inconclusive" and "deadline" in res.summary, res.summary
    assert time.monotonic() - t0 < GENEROUS


# -- incident 2 end to end: preflight NO-GO naming the rules ------------------------------------------------

PREFLIGHT = """\
[project]
name = "trading"
alert_webhook = "{hook}"

[services.backend]
platform = "command"
restart_cmd = ["true"]

[[preflight]]
type = "eventbridge_rules"
name = "schedules"
prefix = "trading-"
region = "us-east-1"
endpoint_url = "{aws}"

[[preflight]]
type = "sagemaker_endpoint"
name = "model endpoint"
endpoint = "rl-model"
region = "us-east-1"
endpoint_url = "{aws}"
"""


def test_incident2_disabled_rules_give_no_go_naming_them(aws_endpoint: str, git_repo: GitRepo,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Every apply 'succeeded' but the rules are DISABLED: NO-GO names them, is recorded and alerted."""
    hook = Capture(lambda m, p, b: (204, b"", {}))
    try:
        project, config = make_project(git_repo, PREFLIGHT.format(aws=aws_endpoint, hook=hook.url + "/webhook"))
        rules(aws_endpoint, disabled=("trading-open", "trading-close", "trading-rebalance"))
        sagemaker_endpoint(aws_endpoint)
        report = run_preflight(project, config, deadline=30)
        assert report.result == "NO-GO"
        assert len(report.failing) == 1 and "trading-open (DISABLED)" in report.failing[0]
        assert "trading-rebalance (DISABLED)" in report.failing[0]
        assert state_of(project)["preflight"]["result"] == "NO-GO"
        assert '"kind":"preflight"' in ledger_text(project).replace(" ", "")
        alert = hook.json_bodies()[-1]
        assert "NO-GO" in alert["content"] and "trading-close" in alert["content"] and alert["text"] == alert["content"]

        code = main(["--root", str(project.root), "preflight", "--quiet"])
        out = capsys.readouterr().out
        assert code == 1 and out.startswith("NO-GO") and "trading-open" in out

        eb = aws("events", aws_endpoint)
        for name in ("trading-open", "trading-close", "trading-rebalance"):
            eb.enable_rule(Name=name)
        assert main(["--root", str(project.root), "preflight", "--quiet"]) == 0
        assert capsys.readouterr().out.startswith("GO")
    finally:
        hook.close()
