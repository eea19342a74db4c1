"""The verification report (pydantic: the ``verify`` MCP tools' output schema and ``--json``'s shape).

Apart from ``service.py`` so the checks start without importing pydantic: ``verify_services`` imports
this once every check has started (on a thread while they wait, ``runner.warm``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .check_result import CheckResult
from .result import Result


class ServiceVerdict(BaseModel):
    service: str
    commit: str | None = None
    expected_from: str = ""
    running_revision: str | None = None
    verdict: Result
    summary: str
    failed_checks: list[str] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    record_id: str | None = None
    recheck: bool = False
    recheck_due: str | None = None
    seen_before: str | None = None  # "seen N times since <date>, last tried: ..." for a known failure
    revision_waiver: str | None = None  # the configured reason the running revision is not checked


class VerifyReport(BaseModel):
    verdict: Result
    services: list[ServiceVerdict]
    status: str = ""
    status_reason: str = ""
    doom_loop: bool = False
    doom_failures: list[dict[str, Any]] = Field(default_factory=list)
    doom_services: list[str] = Field(default_factory=list)  # the services whose own verifications keep failing
    deadline: float = 0.0
    duration: float = 0.0
    next_steps: list[str] = Field(default_factory=list)
    alert_problems: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # standing warnings (revision waivers)
