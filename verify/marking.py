""""Deployed" only after a pass: ``mark_deployed`` refuses unless the latest verification passed (no restart
since, no failed or inconclusive verdict after it) AND, asked again at the moment of marking, the runtime runs
HEAD's code for the service (``state.headcode``), whatever the ledger says. It says what to run instead.
All or nothing: when any service is refused, nothing is written."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from deploystate.state.view import cache
from deploystate.state.tamper import integrity
from deploystate.state.ledger import store
from deploystate.state.config.config import Config
from deploystate.state.errors import DeploystateError, InputError, Refused
from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, UNKNOWN, Judge
from deploystate.state.config.project import Project
from deploystate.state.ledger.redact import redact

from .identity import assess

MAX_NOTE = 2000
OBSERVE_TIMEOUT = 20.0  # one observation per service at the moment of marking


class Decision(BaseModel):
    service: str
    ok: bool
    commit: str | None = None
    verification_id: str | None = None
    reason: str = ""
    next: str = ""
    already: bool = False
    running: str | None = None     # the commit the runtime reported at the moment of marking
    waived: str | None = None      # revision_waiver reason when the running revision could not be read


class MarkOutcome(BaseModel):
    marked: list[dict[str, Any]] = Field(default_factory=list)
    already: list[str] = Field(default_factory=list)


def decide(state: dict[str, Any], name: str) -> Decision:
    """May ``name`` be called deployed? (pure)"""
    svc = (state.get("services") or {}).get(name) or {}
    ver, dep, running = svc.get("verification"), svc.get("deploy"), svc.get("running_commit")
    verify = f"deploystate verify {name}"
    if not ver:
        return Decision(service=name, ok=False, reason="never verified", next=f"run `{verify}`")
    if dep and dep["id"] > ver["id"]:
        return Decision(service=name, ok=False, reason=f"restarted at {dep.get('ts', '?')} after the last verification",
                        next=f"run `{verify}`")
    if ver["verdict"] == "fail":
        return Decision(service=name, ok=False, reason=f"the latest verification FAILED: {ver.get('summary', '')}",
                        next=f"fix the cause, restart, then `{verify}`; record what you tried with "
                             "`deploystate attempt add`")
    if ver["verdict"] != "pass":
        return Decision(service=name, ok=False,
                        reason=f"the latest verification was {str(ver['verdict']).upper()}: {ver.get('summary', '')}",
                        next=f"make the checks able to look (see the INCONCLUSIVE lines), then `{verify}`")
    commit = ver.get("commit")
    # Which commit runs is not taken from the ledger here: mark_deployed re-reads it from the runtime.
    already = (svc.get("marked_deployed") or {}).get("verification_id") == ver["id"]
    return Decision(service=name, ok=True, commit=commit or running, verification_id=ver["id"], already=already)


def live(project: Project, config: Config, d: Decision, judge: Judge, timeout: float) -> Decision:
    """``d`` re-decided on what the runtime reports right now: refused unless it runs HEAD's code."""
    from deploystate.platforms.base import ServiceRef
    from deploystate.platforms.registry import get_platform

    cfg = config.service(d.service)
    svc = ServiceRef(d.service, cfg, project.root)
    verify = f"deploystate verify {d.service}"
    try:
        obs = get_platform(cfg.platform).observe(svc, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - unreachable, unknown platform: cannot tell, so refuse
        why = exc.message if isinstance(exc, DeploystateError) else f"{type(exc).__name__}: {exc}"
        return d.model_copy(update={"ok": False, "reason": f"could not ask the runtime what runs now: {why}",
                                    "next": f"make the runtime reachable, then `{verify}`"})
    found = assess(obs, svc, judge)
    if found.status == RUNS_HEAD:
        return d.model_copy(update={"commit": judge.head, "running": found.running})
    if found.status == UNKNOWN and found.missing_revision and cfg.revision_waiver:  # unreadable, not unknown
        return d.model_copy(update={"commit": judge.head, "waived": cfg.revision_waiver})
    nxt = (f"restart it so it runs HEAD's code (`deploystate restart {d.service}`), then `{verify}`"
           if found.status in (NOT_HEAD, "missing") else f"make {d.service} report its commit, then `{verify}`")
    return d.model_copy(update={"ok": False, "reason": f"the runtime, asked now: {found.reason}", "next": nxt})


def mark_deployed(project: Project, config: Config, names: list[str] | None, note: str = "", *,
                  author: dict[str, Any] | None = None, timeout: float = OBSERVE_TIMEOUT) -> MarkOutcome:
    """Append one ``mark_deployed`` record per service, or raise Refused (writing nothing)."""
    if len(note) > MAX_NOTE:
        raise InputError(f"the note is {len(note)} characters", f"keep it under {MAX_NOTE}")
    problems = integrity.check(project)  # the same refusal the hooks make: never mark from a doubtful ledger
    if problems:
        raise Refused(f"the ledger cannot be trusted, so nothing is marked deployed: {problems[0]}"
                      + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                      "run `deploystate doctor` to see what changed and how to restore it")
    state = cache.load(project.ledger).state
    if names:
        for name in names:
            config.service(name)  # unknown names: a ConfigError listing the known ones
    else:
        known = state.get("services") or {}
        names = [n for n in sorted(config.services) if (known.get(n) or {}).get("deploy")
                 or (known.get(n) or {}).get("verification")]
        if not names:
            raise InputError("nothing to mark: no service has been deployed or verified",
                             "restart and verify first: `deploystate verify SERVICE`")
    decisions = [decide(state, n) for n in dict.fromkeys(names)]
    judge = Judge.for_project(project)
    decisions = [live(project, config, d, judge, timeout) if d.ok else d for d in decisions]
    refused = [d for d in decisions if not d.ok]
    if refused:
        lines = "; ".join(f"{d.service}: {redact(d.reason)[:300]}" for d in refused)
        hint = "; ".join(f"{d.service}: {d.next}" for d in refused)
        raise Refused(f"not marking deployed: {lines}", hint)
    outcome = MarkOutcome()
    for d in decisions:
        if d.already:
            outcome.already.append(d.service)
            continue
        rec = store.record(project, "mark_deployed", {"service": d.service, "commit": d.commit,
                                                      "verification_id": d.verification_id, "note": note,
                                                      "running_revision": d.running, "revision_waiver": d.waived},
                           commit=d.commit, author=author)
        outcome.marked.append({"service": d.service, "commit": d.commit, "verification_id": d.verification_id,
                               "record_id": rec["id"], "running_revision": d.running, "revision_waiver": d.waived})
    return outcome
