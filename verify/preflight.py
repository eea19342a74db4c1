"""Go/no-go: run the ``[[preflight]]`` checks (the morning runbook: scheduled rules enabled, model endpoints in
service, workers answering...) and answer GO only when every one passes. Anything failed or inconclusive is
NO-GO, named item by item; the answer is appended as a ``preflight`` record."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from deploystate.state.view import cache
from deploystate.state.git import gitinfo
from deploystate.state.ledger import store
from deploystate.state.config.config import Config
from deploystate.state.errors import ConfigError
from deploystate.state.config.extras import require_checks, require_services
from deploystate.state.config.project import Project

from . import alerts
from .context import CheckContext
from .result import CheckResult, clip
from .runner import Job, Progress, run_jobs
from .service import MAX_CHECKS_RECORDED, context_for


class PreflightReport(BaseModel):
    result: Literal["GO", "NO-GO"]
    failing: list[str] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    record_id: str | None = None
    deadline: float = 0.0
    duration: float = 0.0
    alert_problem: str | None = None


def decide(results: list[CheckResult]) -> tuple[Literal["GO", "NO-GO"], list[str]]:
    """GO only if there are results and all passed; the failing lines, fails first (pure)."""
    bad = sorted((r for r in results if r.result != "pass"), key=lambda r: r.result != "fail")
    failing = [clip(r.line(), 300) for r in bad]
    return ("GO" if results and not bad else "NO-GO"), failing


def run_preflight(project: Project, config: Config, *, deadline: float | None = None,
                  progress: Progress | None = None, record: bool = True, alert: bool = True,
                  author: dict[str, Any] | None = None) -> PreflightReport:
    if not config.preflight:
        raise ConfigError("no [[preflight]] checks are configured",
                          "add [[preflight]] tables to deploystate.toml (see docs/verification.md)")
    require_checks(config.preflight, "[[preflight]]")  # exit 2 with the install line, nothing recorded
    require_services(config, sorted({c.service for c in config.preflight if c.service}))
    deadline = float(deadline if deadline is not None else config.project.verify_deadline)
    state = cache.load(project.ledger).state
    head = gitinfo.head(project.root)
    jobs = []
    for i, check in enumerate(config.preflight):
        if check.service:
            ctx = context_for(project, check.service, config.service(check.service), state, head)
        else:
            ctx = CheckContext(root=project.root)
        label = check.label() + (f" ({check.service})" if check.service else "")
        jobs.append(Job(f"preflight/{label}" + (f"#{i}" if _dup(config, check.label()) else ""), check,
                        ctx.fork(), check.service))
    t0 = time.monotonic()
    results = run_jobs(jobs, deadline=deadline, progress=progress)
    verdict, failing = decide(results)
    report = PreflightReport(result=verdict, failing=failing, checks=results, deadline=deadline,
                             duration=round(time.monotonic() - t0, 3))
    if record:
        rec = store.record(project, "preflight", {"result": verdict, "failing": failing[:20],
                                                  "checks": [r.model_dump() for r in results[:MAX_CHECKS_RECORDED]]},
                           author=author)
        report.record_id = rec["id"]
    if alert and verdict == "NO-GO":
        name = project.settings.get("name") or project.root.name
        text = f"deploystate [{name}]: preflight NO-GO\n" + "\n".join(f"  - {line}" for line in failing[:15])
        report.alert_problem = alerts.send(config.project.alert_webhook, text)
    return report


def _dup(config: Config, label: str) -> bool:
    return sum(1 for c in config.preflight if c.label() == label) > 1
