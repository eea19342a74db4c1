"""The explicit registry of check runners: check ``type`` -> "module:function" (loaded lazily, so boto3
and the kubernetes client are imported only by the checks that use them).

A runner is ``measure(check, ctx, timeout) -> Measurement``: one look at the
system within ``timeout`` seconds. Soak, deadline and error handling live in
``deploystate.verify.runner``; a runner only judges what it sees.
"""

from __future__ import annotations

import importlib
from typing import Callable

from deploystate.state.config.checks import CheckBase

from ..context import CheckContext
from ..result import Measurement, inconclusive

RUNNERS: dict[str, str] = {
    "http": "deploystate.verify.checks.http:measure",
    "logs": "deploystate.verify.checks.logs:measure",
    "revision": "deploystate.verify.checks.revision:measure",
    "rollout": "deploystate.verify.checks.rollout:measure",
    "eventbridge_rules": "deploystate.verify.checks.eventbridge_rules:measure",
    "sagemaker_endpoint": "deploystate.verify.checks.sagemaker_endpoint:measure",
    "cloudwatch_logs": "deploystate.verify.checks.cloudwatch_logs:measure",
    "config_refs": "deploystate.verify.checks.config_refs:measure",
    "command": "deploystate.verify.checks.command:measure",
}

_loaded: dict[str, Callable[[CheckBase, CheckContext, float], Measurement]] = {}


def runner_for(kind: str) -> Callable[[CheckBase, CheckContext, float], Measurement] | None:
    if kind not in RUNNERS:
        return None
    if kind not in _loaded:
        module, _, func = RUNNERS[kind].partition(":")
        _loaded[kind] = getattr(importlib.import_module(module), func)
    return _loaded[kind]


def measure(check: CheckBase, ctx: CheckContext, timeout: float) -> Measurement:
    """Dispatch one measurement to the runner registered for ``check.type``."""
    runner = runner_for(check.type)
    if runner is None:
        return inconclusive(f"no runner for check type {check.type!r}",
                            known=", ".join(sorted(RUNNERS)))
    return runner(check, ctx, timeout)
