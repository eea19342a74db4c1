"""``cloudwatch_logs``: a CloudWatch Logs filter pattern over a log group since the restart (within
``window``): ``mode = "must_not_match"`` fails on any event, ``"must_match"`` fails when none is found."""

from __future__ import annotations

import time
from typing import Any

from deploystate.state.config.checks import CloudWatchLogsCheck
from deploystate.state.ledger.ids import iso

from ..context import CheckContext
from ..result import Measurement, clip, failed, inconclusive, passed
from ._aws import client, error_code, expect, translated

MAX_PAGES = 50
SAMPLES = 3


def measure(check: CloudWatchLogsCheck, ctx: CheckContext, timeout: float) -> Measurement:
    from botocore.exceptions import ClientError

    since, since_why = ctx.logs_since(check.window)
    start_ms = int(since.timestamp() * 1000)
    end = time.monotonic() + timeout
    count, samples, pages, complete = 0, [], 0, False
    base: dict[str, Any] = {"log_group": check.log_group, "filter": check.filter_pattern, "mode": check.mode,
                            "since": iso(since), "from": since_why}
    with translated(f"CloudWatch Logs filter_log_events {check.log_group}"):
        logs = client("logs", region=check.region, endpoint_url=check.endpoint_url, timeout=timeout)
        token = None
        while pages < MAX_PAGES and time.monotonic() < end:
            kwargs: dict[str, Any] = {"logGroupName": check.log_group, "startTime": start_ms,
                                      "filterPattern": check.filter_pattern}
            if token:
                kwargs["nextToken"] = token
            try:
                page = logs.filter_log_events(**kwargs)
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return inconclusive(f"log group {check.log_group} does not exist: no evidence either way",
                                        **base)
                raise
            pages += 1
            for event in expect(page, "events", "CloudWatch Logs FilterLogEvents"):
                count += 1
                if len(samples) < SAMPLES:
                    samples.append(clip(str(event.get("message", "")).rstrip(), 300))
            token = page.get("nextToken")
            if not token:
                complete = True
                break
            if count:  # one page with a hit decides either mode: stop reading
                complete = True
                break
    evidence = {**base, "events": count, "samples": samples, "pages": pages}
    what = f"filter {check.filter_pattern!r} on {check.log_group} since {since_why}"
    if check.mode == "must_not_match":
        if count:
            return failed(f"{what} matched {count}+ event(s), e.g. {samples[0]!r}", **evidence)
        if not complete:
            return inconclusive(f"{what}: could not read every page within {timeout:g}s", **evidence)
        return passed(f"{what}: no matching events", **evidence)
    if count:
        return passed(f"{what} matched {count}+ event(s)", **evidence)
    if not complete:
        return inconclusive(f"{what}: no match in the pages read within {timeout:g}s", **evidence)
    return failed(f"{what}: expected events not found", **evidence)
