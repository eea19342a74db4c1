"""``eventbridge_rules``: scheduled rules (by name and/or prefix) are ENABLED and, when an ECS service is
named, their ECS targets run that service's current task definition. Incident 2: an infrastructure
default disabled every rule while each apply "succeeded"; this check names the rules."""

from __future__ import annotations

from typing import Any

from deploystate.state.config.checks import EventBridgeRulesCheck

from ..context import CheckContext
from ..result import Measurement, failed, inconclusive, passed
from ._aws import client, error_code, expect, translated

MAX_PAGES = 20


def _rules(eb: Any, check: EventBridgeRulesCheck) -> tuple[dict[str, dict], list[str]]:
    from botocore.exceptions import ClientError

    found: dict[str, dict] = {}
    missing: list[str] = []
    if check.prefix:
        token = None
        for _ in range(MAX_PAGES):
            kwargs = {"NamePrefix": check.prefix, "EventBusName": check.event_bus}
            page = eb.list_rules(**kwargs, **({"NextToken": token} if token else {}))
            for rule in expect(page, "Rules", "EventBridge ListRules"):
                found[rule["Name"]] = rule
            token = page.get("NextToken")
            if not token:
                break
    for name in check.names:
        if name in found:
            continue
        try:
            found[name] = eb.describe_rule(Name=name, EventBusName=check.event_bus)
            expect(found[name], "State", "EventBridge DescribeRule")
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            missing.append(name)
    return found, missing


def _family(arn: str) -> tuple[str, str | None]:
    """("family", "7") from ``...:task-definition/family:7``; revision None when the ARN tracks the latest."""
    tail = arn.rsplit("/", 1)[-1]
    family, _, rev = tail.partition(":")
    return family, rev or None


def _stale_targets(eb: Any, ecs: Any, check: EventBridgeRulesCheck, names: list[str]) -> tuple[str, list[str]]:
    svc = expect(ecs.describe_services(cluster=check.ecs_cluster, services=[check.ecs_service]), "services",
                 "ECS DescribeServices")
    if not svc:
        return "", [f"ECS service {check.ecs_service} not found in cluster {check.ecs_cluster}"]
    current = svc[0].get("taskDefinition", "")
    cur_family, cur_rev = _family(current)
    stale = []
    for name in names:
        targets = expect(eb.list_targets_by_rule(Rule=name, EventBusName=check.event_bus), "Targets",
                         "EventBridge ListTargetsByRule")
        for t in targets:
            arn = (t.get("EcsParameters") or {}).get("TaskDefinitionArn")
            if not arn:
                continue
            family, rev = _family(arn)
            if family != cur_family or (rev is not None and rev != cur_rev):
                stale.append(f"{name} -> {family}:{rev or 'latest'} (service runs {cur_family}:{cur_rev})")
    return current, stale


def measure(check: EventBridgeRulesCheck, ctx: CheckContext, timeout: float) -> Measurement:
    if not check.names and not check.prefix:
        return inconclusive("name the rules: set `names = [...]` or `prefix = \"...\"`")
    opts = {"region": check.region, "endpoint_url": check.endpoint_url, "timeout": timeout}
    with translated("EventBridge list/describe rules"):
        eb = client("events", **opts)
        found, missing = _rules(eb, check)
    states = {name: rule.get("State", "UNKNOWN") for name, rule in sorted(found.items())}
    evidence: dict[str, Any] = {"bus": check.event_bus, "prefix": check.prefix, "rules": states}
    if missing:
        evidence["missing"] = missing
    disabled = [n for n, s in states.items() if s != "ENABLED"]
    problems = []
    if check.prefix and not any(n.startswith(check.prefix) for n in found):
        problems.append(f"no rule on bus {check.event_bus} starts with {check.prefix!r}")
    if missing:
        problems.append("rules do not exist: " + ", ".join(missing))
    if disabled:
        problems.append(f"{len(disabled)} rule(s) not ENABLED: "
                        + ", ".join(f"{n} ({states[n]})" for n in disabled))
    if not problems and check.ecs_cluster and check.ecs_service:
        with translated("ECS describe service / EventBridge targets"):
            current, stale = _stale_targets(eb, client("ecs", **opts), check, sorted(found))
        evidence["task_definition"] = current
        if stale:
            evidence["stale_targets"] = stale
            problems.append("targets not on the current task definition: " + "; ".join(stale))
    if problems:
        return failed("; ".join(problems), **evidence)
    return passed(f"{len(states)} rule(s) ENABLED: " + ", ".join(states), **evidence)
