"""``sagemaker_endpoint``: the model endpoint is InService on the expected endpoint config, with no
FailureReason and every variant at its desired instance count (incident 3's root: a failed endpoint
made every decision silently take the fallback path)."""

from __future__ import annotations

from typing import Any

from deploystate.state.config.checks import SageMakerEndpointCheck

from ..context import CheckContext
from ..result import Measurement, failed, inconclusive, passed
from ._aws import client, error_code, expect, translated

IN_PROGRESS = {"Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}


def measure(check: SageMakerEndpointCheck, ctx: CheckContext, timeout: float) -> Measurement:
    from botocore.exceptions import ClientError

    with translated(f"SageMaker describe_endpoint {check.endpoint}"):
        sm = client("sagemaker", region=check.region, endpoint_url=check.endpoint_url, timeout=timeout)
        try:
            ep = sm.describe_endpoint(EndpointName=check.endpoint)
            expect(ep, "EndpointStatus", "SageMaker DescribeEndpoint")
        except ClientError as exc:
            msg = str(exc.response.get("Error", {}).get("Message", ""))
            if error_code(exc) == "ValidationException" and "not find" in msg.lower():
                return failed(f"endpoint {check.endpoint} does not exist", endpoint=check.endpoint, error=msg)
            raise
    status = ep.get("EndpointStatus", "Unknown")
    variants = [{"name": v.get("VariantName"), "current": v.get("CurrentInstanceCount"),
                 "desired": v.get("DesiredInstanceCount")} for v in ep.get("ProductionVariants") or []]
    evidence: dict[str, Any] = {"endpoint": check.endpoint, "status": status,
                                "endpoint_config": ep.get("EndpointConfigName"),
                                "failure_reason": ep.get("FailureReason"), "variants": variants}
    problems = []
    if ep.get("FailureReason"):
        problems.append(f"FailureReason: {ep['FailureReason']}")
    if status == "Failed" or status == "OutOfService":
        problems.append(f"status {status}")
    if check.endpoint_config and ep.get("EndpointConfigName") != check.endpoint_config:
        problems.append(f"endpoint config is {ep.get('EndpointConfigName')}, expected {check.endpoint_config}")
    short = [v for v in variants if v["desired"] is not None and v["current"] is not None
             and v["current"] != v["desired"]]
    if problems:
        return failed(f"{check.endpoint}: " + "; ".join(problems), **evidence)
    if status in IN_PROGRESS:
        return inconclusive(f"{check.endpoint} is {status}", **evidence)
    if status != "InService":
        return failed(f"{check.endpoint} is {status}, expected InService", **evidence)
    if short:
        return failed(f"{check.endpoint}: instances " + ", ".join(
            f"{v['name']} {v['current']}/{v['desired']}" for v in short), **evidence)
    if not variants:
        return inconclusive(f"{check.endpoint} is InService but reports no production variants", **evidence)
    return passed(f"{check.endpoint} InService on {ep.get('EndpointConfigName')}, "
                  + ", ".join(f"{v['name']} {v['current']}/{v['desired']}" for v in variants), **evidence)
