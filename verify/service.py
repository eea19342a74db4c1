"""Verify services: build each one's context from the ledger (what was deployed, when it restarted), run its
checks together under one deadline, and append a ``verification`` record per service.

A service with no ``checks`` configured gets ``rollout`` and ``revision``; a configured list always gets
``revision`` too: every verdict says whether the runtime runs HEAD's code for that service
(``state.headcode``), never only whether it restarted. ``revision_waiver`` is the one way past an unreadable
revision, and it is reported on every verification as a standing warning.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.registry import get_platform
from deploystate.state.view import cache
from deploystate.state.git import gitinfo
from deploystate.state.config.checks import CheckBase, RevisionCheck, RolloutCheck
from deploystate.state.config.config import Config, ServiceBase
from deploystate.state.errors import InputError
from deploystate.state.config.extras import require_services
from deploystate.state.drift.headcode import Judge
from deploystate.state.ledger.ids import iso, parse_iso, utc_now
from deploystate.state.config.project import Project

from .context import CheckContext
from .result import Result, clip, worst
from .runner import Job, Progress, run_jobs

if TYPE_CHECKING:
    from .check_result import CheckResult
    from .report import ServiceVerdict, VerifyReport

# What only the conclusion needs (the pydantic report models, the ledger's writer and the state file, the
# alert, the failure signature): imported on a thread once every check has started (``runner.warm``).
AFTER_CHECKS = ("deploystate.verify.report", "deploystate.state.ledger.store", "deploystate.verify.alerts",
                "deploystate.state.memory.signature")

MAX_CHECKS_RECORDED = 40
MAX_DEADLINE = 3600.0


def default_checks() -> list[CheckBase]:
    return [RolloutCheck(), RevisionCheck()]


def context_for(project: Project, name: str, cfg: ServiceBase, state: dict, head: str | None,
                judge: Judge | None = None) -> CheckContext:
    """Everything the checks of one service need to know about its last deploy (pure apart from the
    platform lookup, which may fail: the checks that need it then say why, inconclusively).

    What should run is HEAD's code, whatever the ledger says was deployed (``state.headcode``)."""
    ref = ServiceRef(name, cfg, project.root)
    try:
        platform, platform_error = get_platform(cfg.platform), None
    except Exception as exc:  # unknown platform, adapter import error: a reason, never a crash
        platform, platform_error = None, f"{type(exc).__name__}: {exc}"
    entry = (state.get("services") or {}).get(name) or {}
    deploy = entry.get("deploy")
    if head:
        expected, why = head, f"HEAD {head[:10]} (its code for {name})"
    else:
        expected, why = None, "nothing (no git HEAD)"
    restart_time, restart_source, baseline = None, "", None
    if deploy and deploy.get("status") != "failed":
        stamp = deploy.get("started_at") or deploy.get("ts")
        try:
            restart_time = parse_iso(stamp) if stamp else None
            restart_source = f"deploy {deploy['id']} at {stamp}"
        except ValueError:
            restart_time = None
        count = (deploy.get("platform_ids") or {}).get("restart_count")
        baseline = count if isinstance(count, int) and not isinstance(count, bool) else None
    return CheckContext(root=project.root, service=ref, platform=platform, platform_error=platform_error,
                        deploy=deploy, expected_commit=expected, expected_source=why, restart_time=restart_time,
                        restart_source=restart_source, restart_baseline=baseline, head=head, judge=judge)


def checks_of(cfg: ServiceBase) -> list[CheckBase]:
    """The service's checks, always with ``revision``: an explicit list never drops revision identity."""
    listed = list(cfg.checks) or default_checks()
    if not any(c.type == "revision" for c in listed):
        listed.append(RevisionCheck())
    return listed


def conclude(results: list[CheckResult]) -> tuple[Result, str, list[str]]:
    """The service's verdict (worst of its checks), a one-line summary, and the non-passing check lines."""
    verdict = worst(r.result for r in results)
    bad = [r for r in results if r.result != "pass"]
    lines = [clip(r.line(), 300) for r in sorted(bad, key=lambda r: r.result != "fail")]
    if not results:
        return "inconclusive", "no checks ran", lines
    if verdict == "pass":
        return verdict, f"all {len(results)} checks passed: " + ", ".join(r.name for r in results), lines
    return verdict, clip("; ".join(lines[:3]), 600), lines


def signature_of(results: list[CheckResult]) -> str | None:
    """A failure signature (shared with the attempts memory) from the failing checks' evidence."""
    text = "\n".join(f"{r.summary}\n{_evidence_text(r.evidence)}" for r in results if r.result == "fail")
    if not text.strip():
        return None
    try:
        from deploystate.state.memory.signature import failure_signature

        return failure_signature(text)
    except Exception:  # a signature is a convenience: never lose a verdict over it
        return None


def _seen_before(project: Project, signature: str | None, service: str) -> str | None:
    """The memory's answer to "has this exact failure happened before to this service?" (never fatal)."""
    if not signature:
        return None
    try:
        from deploystate.state.memory.memory import signature_seen

        seen = signature_seen(project, signature, service)
    except Exception:  # noqa: BLE001 - the verdict stands without the history
        return None
    return seen["text"] if seen else None


def _evidence_text(evidence: Any) -> str:
    if isinstance(evidence, dict):
        return "\n".join(_evidence_text(v) for v in evidence.values())
    if isinstance(evidence, list):
        return "\n".join(_evidence_text(v) for v in evidence)
    return str(evidence) if evidence is not None else ""


def _payload(sv: ServiceVerdict, deploy: dict | None, signature: str | None, deadline: float) -> dict[str, Any]:
    return {"service": sv.service, "commit": sv.commit, "verdict": sv.verdict, "summary": sv.summary,
            "deploy_id": (deploy or {}).get("id"), "recheck": sv.recheck, "recheck_due": sv.recheck_due,
            "failed_checks": sv.failed_checks[:20], "expected_from": sv.expected_from,
            "running_revision": sv.running_revision, "deadline": deadline,
            "checks": [c.model_dump() for c in sv.checks[:MAX_CHECKS_RECORDED]], "signature": signature}


def _running_revision(results: list[CheckResult]) -> str | None:
    for r in results:
        if r.type != "revision":
            continue
        if isinstance(r.evidence.get("running"), str):
            return r.evidence["running"]
        judged = r.evidence.get("judged")
        if isinstance(judged, dict) and judged:
            return str(next(iter(judged)))
    return None


def verify_services(project: Project, config: Config, names: list[str] | None = None, *,
                    deadline: float | None = None, recheck: bool = False, progress: Progress | None = None,
                    record: bool = True, alert: bool = True, author: dict[str, Any] | None = None,
                    now: Callable[[], Any] = utc_now) -> VerifyReport:
    """Verify ``names`` (default: every configured service) and record one verification per service."""
    names = list(dict.fromkeys(names or sorted(config.services)))
    if not names:
        raise InputError("no services to verify", "add [services.<name>] tables to deploystate.toml")
    deadline = float(deadline if deadline is not None else config.project.verify_deadline)
    if not 0 < deadline <= MAX_DEADLINE:
        raise InputError(f"deadline {deadline:g}s is out of range", f"use 1 to {MAX_DEADLINE:g} seconds")
    cfgs = {name: config.service(name) for name in names}  # unknown names fail before anything runs
    require_services(config, names)  # a missing optional SDK is exit 2 before anything runs or is recorded
    state = cache.load(project.ledger).state
    head = gitinfo.head(project.root)
    judge = Judge.for_project(project, head=head)  # one diff per distinct running commit, for every service
    t0 = time.monotonic()
    contexts, jobs = {}, []
    for name, cfg in cfgs.items():
        ctx = contexts[name] = context_for(project, name, cfg, state, head, judge)
        listed = checks_of(cfg)
        for i, check in enumerate(listed):
            jobs.append(Job(f"{name}/{check.label()}" + (f"#{i}" if _dup(listed, check) else ""),
                            check, ctx.fork(), name))
    results = run_jobs(jobs, deadline=deadline, progress=progress, after=AFTER_CHECKS)
    from deploystate.state.ledger import store

    from . import alerts
    from .report import ServiceVerdict, VerifyReport

    verdicts = []
    for name in names:
        mine = [r for job, r in zip(jobs, results) if job.service == name]
        verdict, summary, lines = conclude(mine)
        ctx = contexts[name]
        due = iso(now() + timedelta(seconds=config.project.recheck_after)) if verdict == "pass" else None
        sv = ServiceVerdict(service=name, commit=ctx.expected_commit, expected_from=ctx.expected_source,
                            running_revision=_running_revision(mine), verdict=verdict, summary=summary,
                            failed_checks=lines, checks=mine, recheck=recheck, recheck_due=due,
                            revision_waiver=cfgs[name].revision_waiver)
        signature = signature_of(mine) if verdict == "fail" else None
        sv.seen_before = _seen_before(project, signature, name)  # asked before recording: earlier sightings only
        if record:
            rec = store.record(project, "verification", _payload(sv, ctx.deploy, signature, deadline),
                               commit=ctx.expected_commit, author=author)
            sv.record_id = rec["id"]
        verdicts.append(sv)
    report = VerifyReport(verdict=worst(v.verdict for v in verdicts), services=verdicts, deadline=deadline,
                          duration=round(time.monotonic() - t0, 3))
    report.warnings = [f"{sv.service}: the running revision is NOT checked (revision_waiver: "
                       f"{sv.revision_waiver}); a pass does not prove HEAD's code runs"
                       for sv in verdicts if sv.revision_waiver]
    _add_status(project, report)
    if alert and report.verdict != "pass":
        problem = alerts.send(config.project.alert_webhook, alert_text(project, report))
        if problem:
            report.alert_problems.append(problem)
    return report


def _dup(checks: list[CheckBase], check: CheckBase) -> bool:
    return sum(1 for c in checks if c.label() == check.label()) > 1


def _add_status(project: Project, report: VerifyReport) -> None:
    from deploystate.state.view import projection

    state = cache.load(project.ledger).state
    threshold = project.doom_loop_after
    report.status, report.status_reason = projection.status(state, threshold)
    report.doom_loop = projection.doom_loop(state, threshold)
    report.doom_services = projection.doom_services(state, threshold)
    report.doom_failures = list(reversed(projection.doom_failures(state, threshold)))[:threshold * 3]
    for sv in report.services:
        if sv.verdict == "pass":
            report.next_steps.append(f"`deploystate mark-deployed {sv.service}` (recheck due {sv.recheck_due})")
        elif sv.verdict == "fail":
            report.next_steps.append(f"{sv.service} failed: read the evidence, record what you try with "
                                     f"`deploystate attempt add`, fix, restart, then `deploystate verify {sv.service}`"
                                     + (f". This failure was {sv.seen_before}" if sv.seen_before else ""))
        else:
            report.next_steps.append(f"{sv.service} is inconclusive: fix what kept the checks from looking "
                                     f"(see each INCONCLUSIVE line), then `deploystate verify {sv.service}`")
    if report.doom_loop:
        report.next_steps.insert(0, f"DOOM LOOP on {', '.join(report.doom_services)}: stop. Read what was tried "
                                    "before (DEPLOYMENT_STATE.md, `deploystate attempt list`) before changing "
                                    "anything.")


def alert_text(project: Project, report: VerifyReport) -> str:
    name = project.settings.get("name") or project.root.name
    lines = [f"deploystate [{name}]: verification {report.verdict.upper()}"
             + (f" — DOOM LOOP on {', '.join(report.doom_services)}" if report.doom_loop else "")]
    for sv in report.services:
        if sv.verdict != "pass":
            lines.append(f"{sv.service} @ {(sv.commit or '?')[:10]}: {sv.verdict.upper()}")
            lines += [f"  - {line}" for line in sv.failed_checks[:8]]
    return "\n".join(lines)


def __getattr__(name: str) -> Any:
    """``ServiceVerdict`` and ``VerifyReport`` (pydantic, ``report.py``) are still importable from here."""
    if name in ("ServiceVerdict", "VerifyReport"):
        from . import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
