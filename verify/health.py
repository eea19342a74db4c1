"""``system_health``: "how is it going?" answered health first: errors in the last 30 minutes of each service's
logs, whether the expected code paths ran, unverified deploys and overdue rechecks, and only THEN the rest
(running commits, last verdicts, the last go/no-go). Read-only: nothing is recorded.

Logs that cannot be read make the answer UNKNOWN for that service, never "0 errors".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from deploystate.state.view import cache, projection
from deploystate.state.git import gitinfo
from deploystate.state.config.checks import LogsCheck
from deploystate.state.config.config import Config
from deploystate.state.ledger.ids import iso, parse_iso, utc_now
from deploystate.platforms.observing import deadline_of, refresh
from deploystate.state.config.project import Project
from deploystate.state.view.view import build_view

from .result import CheckResult
from .runner import Job, Progress, run_jobs
from .service import context_for

WINDOW = 1800.0
DEADLINE = 30.0


class CodePath(BaseModel):
    pattern: str
    seen: bool | None          # None: logs could not be read
    count: int = 0


class ServiceHealth(BaseModel):
    service: str
    errors: int | None                      # matches of the error patterns in the window; None = unknown
    error_samples: list[str] = Field(default_factory=list)
    error_patterns: list[str] = Field(default_factory=list)
    code_paths: list[CodePath] = Field(default_factory=list)
    lines_read: int | None = None
    problem: str | None = None              # why the logs could not be read


class RuntimeHealth(BaseModel):
    """What a service's runtime said when last asked (``state.drift.assessment.assess``)."""
    service: str
    verdict: str = Field(description="broken, not_head (committed, not running), runs_head, unknown, stale, never")
    reason: str = ""
    state: str | None = None
    revision: str | None = None
    observed_at: str | None = None
    age: str | None = None
    error: str | None = Field(None, description="Why the runtime did not answer the last time it was asked.")


class HealthReport(BaseModel):
    headline: Literal["HEALTHY", "UNHEALTHY", "UNKNOWN"]
    reason: str
    window: float
    services: list[ServiceHealth]
    runtime: list[RuntimeHealth] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    broken: list[str] = Field(default_factory=list)
    overdue_rechecks: list[dict[str, str]] = Field(default_factory=list)
    status: str = ""
    status_reason: str = ""
    doom_loop: bool = False
    warnings: list[str] = Field(default_factory=list, description="Standing warnings: services whose running "
                                "revision is not checked (revision_waiver).")
    everything_else: dict[str, Any] = Field(default_factory=dict)


def _patterns(config: Config, name: str) -> tuple[list[str], list[str]]:
    logs = [c for c in config.services[name].checks if isinstance(c, LogsCheck)]
    bad = list(dict.fromkeys(p for c in logs for p in c.must_not_match)) or list(LogsCheck().must_not_match)
    good = list(dict.fromkeys(p for c in logs for p in c.must_match))
    return bad, good


def service_health(name: str, bad: list[str], good: list[str], result: CheckResult) -> ServiceHealth:
    """Read one service's health from the evidence of a logs scan over the window (pure)."""
    ev = result.evidence
    if "lines" not in ev or result.result == "inconclusive":
        return ServiceHealth(service=name, errors=None, error_patterns=bad, problem=result.summary,
                             code_paths=[CodePath(pattern=p, seen=None) for p in good])
    samples = [s for s in ev.get("forbidden_samples") or [] if isinstance(s, str)][:5]
    counts = {h.get("pattern"): int(h.get("count") or 0) for h in ev.get("must_match") or [] if isinstance(h, dict)}
    partial = ev.get("error")  # the stream broke after some lines: hits count, absences prove nothing
    return ServiceHealth(service=name, errors=int(ev.get("forbidden_lines") or 0), error_samples=samples,
                         error_patterns=bad, lines_read=ev.get("lines"), problem=partial or None,
                         code_paths=[CodePath(pattern=p, seen=True if counts.get(p) else None if partial else False,
                                              count=counts.get(p, 0)) for p in good])


def headline(services: list[ServiceHealth], broken: list[str], unverified: list[str], overdue: list[dict],
             doom: bool, runtime: list[RuntimeHealth] = ()) -> tuple[Literal["HEALTHY", "UNHEALTHY", "UNKNOWN"], str]:
    """The one-word answer and why, worst news first (pure). A runtime that reports a service down, or
    running code older than HEAD's, is unhealthy whatever the logs say; one never heard from is unknown."""
    bad = []
    if doom:
        bad.append("DOOM LOOP")
    bad += [f"{r.service}: its runtime says {r.reason}" for r in runtime if r.verdict == "broken"]
    bad += [f"committed, not running: {r.reason}" for r in runtime if r.verdict == "not_head"]
    bad += [f"{s.service}: {s.errors} error line(s) in the window" for s in services if s.errors]
    bad += [f"{s.service}: expected {p.pattern!r} not seen" for s in services for p in s.code_paths
            if p.seen is False]
    bad += [f"{name}: last verification failed" for name in broken]
    if bad:
        return "UNHEALTHY", "; ".join(bad[:8])
    unsure = [f"{s.service}: logs unreadable ({s.problem})" for s in services if s.errors is None]
    unsure += [f"{r.service}: {r.reason}" for r in runtime if r.verdict in ("unknown", "never")]
    unsure += [f"{name}: deployed but not verified" for name in unverified]
    unsure += [f"{o['service']}: recheck overdue since {o['due']}" for o in overdue]
    if unsure:
        return "UNKNOWN", "; ".join(unsure[:8])
    return "HEALTHY", "no errors in the window, expected code paths seen, every deploy verified"


def runtime_health(view: dict[str, Any]) -> list[RuntimeHealth]:
    return [RuntimeHealth(service=s["name"], verdict=o["verdict"], reason=o.get("reason") or "", state=o.get("state"),
                          revision=o.get("revision"), observed_at=o.get("at"), age=o.get("age"), error=o.get("error"))
            for s in view["services"] if (o := s.get("observed"))]


def system_health(project: Project, config: Config, *, window: float = WINDOW, deadline: float = DEADLINE,
                  progress: Progress | None = None, now: datetime | None = None,
                  observe: bool = True) -> HealthReport:
    """``observe``: first ask every runtime (``[project] observe_deadline``); else the stored answers."""
    observed = refresh(project, dict(config.services), deadline_of(config)) if observe else None
    state = cache.load(project.ledger).state
    head = gitinfo.head(project.root)
    names = sorted(config.services)
    jobs, wanted = [], {}
    for name in names:
        bad, good = _patterns(config, name)
        wanted[name] = (bad, good)
        ctx = context_for(project, name, config.services[name], state, head)
        ctx.restart_time = None  # health looks at the whole window, not only since the last restart
        check = LogsCheck(name="health logs", must_not_match=bad, must_match=good, window=window,
                          timeout=deadline)
        jobs.append(Job(f"{name}/health", check, ctx, name))
    results = run_jobs(jobs, deadline=deadline, progress=progress) if jobs else []
    services = [service_health(n, *wanted[n], r) for n, r in zip(names, results)]
    moment = now or utc_now()
    overdue = []
    for name, svc in sorted(state["services"].items()):
        ver = svc.get("verification") or {}
        due = ver.get("recheck_due")
        if ver.get("verdict") == "pass" and due:
            try:
                if parse_iso(due) <= moment:
                    overdue.append({"service": name, "due": due})
            except ValueError:
                overdue.append({"service": name, "due": str(due)})
    threshold = project.doom_loop_after
    doom = projection.doom_loop(state, threshold)
    broken, unverified = projection.failed(state), projection.unverified(state)
    view = build_view(project, head=head, now=moment, observed=observed)
    runtime = runtime_health(view)
    word, reason = headline(services, broken, unverified, overdue, doom, runtime)
    status, status_reason = view["status"], view["reason"]
    rest = {"as_of": iso(moment), "head": head,
            "running": {n: s.get("running_commit") for n, s in sorted(state["services"].items())},
            "last_verdicts": {n: {"verdict": (s.get("verification") or {}).get("verdict"),
                                  "ts": (s.get("verification") or {}).get("ts")}
                              for n, s in sorted(state["services"].items()) if s.get("verification")},
            "preflight": state.get("preflight"), "doom_failures": projection.doom_failures(state, threshold) if doom else []}
    return HealthReport(headline=word, reason=reason, window=window, services=services, runtime=runtime,
                        unverified=unverified,
                        broken=broken, overdue_rechecks=overdue, status=status, status_reason=status_reason,
                        doom_loop=doom, everything_else=rest,
                        warnings=[f"{n}'s running revision is not checked (revision_waiver: {w}): its health "
                                  "says nothing of whether HEAD's code runs" for n, w in view["waivers"].items()])
