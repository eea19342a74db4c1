"""The answer of ``read_deployment_state``: the view, most urgent first, bounded for an agent's context (pure).

Order is the order an agent must act in: the headline status, then what is
committed but not running, what failed or is unverified, the doom-loop flag,
what was already tried and failed, overdue rechecks, and the last sessions'
handoffs. The summary shrinks its lists until both the text and the JSON fit
the budget, and lists what it left out with the call that shows it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from deploystate.state.render import next_steps

from .models import ToolOutput

SUMMARY_BUDGET = 8_000  # characters, about 2,000 tokens, for the text and for the structured JSON each
FULL_HINT = 'call read_deployment_state with detail="full" (or read the resource deploystate://state)'
# (services, attempts, drift files per service, characters per free text, sessions, doom failures)
LEVELS = [(20, 10, 5, 300, 3, 5), (10, 6, 3, 200, 3, 3), (6, 3, 2, 120, 2, 2), (3, 1, 1, 80, 1, 1),
          (2, 0, 0, 60, 1, 0)]
FULL = (10_000, 10_000, 10_000, 100_000, 10_000, 10_000)


class ServiceLine(BaseModel):
    name: str
    running_commit: str | None
    drift: str = Field(description="'committed, not running', 'running HEAD's code', 'never deployed', ...")
    last_verdict: str | None = None
    verified_commit: str | None = None
    recheck_due: str | None = None
    recheck_overdue: bool = False
    runtime_revision: str | None = Field(None, description="With observe=true: the revision the runtime reports.")
    runtime_vs_head: str | None = Field(None, description="With observe=true: how that revision relates to HEAD.")
    runtime_error: str | None = Field(None, description="With observe=true: why the runtime could not be asked.")


class DriftItem(BaseModel):
    service: str
    running_commit: str | None
    files: list[str]
    count: int


class ProblemItem(BaseModel):
    service: str
    state: Literal["BROKEN", "INCONCLUSIVE", "UNVERIFIED"]
    commit: str | None = None
    ts: str | None = None
    detail: str = ""
    failed_checks: list[str] = Field(default_factory=list)


class FailureItem(BaseModel):
    service: str
    commit: str | None = None
    ts: str = ""
    summary: str = ""


class DoomInfo(BaseModel):
    active: bool
    streak: int
    threshold: int
    failures: list[FailureItem] = Field(default_factory=list)


class SessionItem(BaseModel):
    session_id: str
    status: str
    started: str = ""
    ended: str | None = None
    goal: str = ""
    did: str = ""
    broke: str = ""
    next: str = ""


class FailedAttempt(BaseModel):
    id: str
    ts: str = ""
    summary: str = ""
    services: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="Files it changed (detail='full' only).")
    similar_to: list[str] = Field(default_factory=list,
                                  description="Earlier attempts it repeats (the summary names the first).")


class StateOutput(ToolOutput):
    detail: Literal["summary", "full"]
    status: str = Field(description="OK, UNVERIFIED, BROKEN or DOOM LOOP")
    reason: str
    project: str
    head: str | None
    as_of: str | None
    records: int
    drift: list[DriftItem] = Field(description="Services whose running commit lacks HEAD's changes to their files.")
    problems: list[ProblemItem] = Field(description="Failed, inconclusive or unverified deploys.")
    doom_loop: DoomInfo
    failed_attempts: list[FailedAttempt] = Field(description="Recent failed attempts, newest first.")
    failed_attempts_total: int
    overdue_rechecks: list[str]
    sessions: list[SessionItem] = Field(description="The last sessions and their handoffs, newest first.")
    open_sessions: list[str]
    services: list[ServiceLine]
    next_steps: list[str]
    ledger_problems: list[str] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list, description="What this answer omitted, and how to get it.")
    mode: str | None = Field(None, description="The MCP server's mode: read-only, verify (no restart or "
                                               "rollback) or full: what this server lets you call.")

    def render_text(self) -> str:
        text = _text(self)
        return text + (f"\nMCP server mode: {self.mode}" if self.mode else "")


def _cut(text: Any, limit: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def _problems(view: dict[str, Any], chars: int, checks: int) -> list[ProblemItem]:
    by_name = {s["name"]: s for s in view["services"]}
    out = []
    for state, names in (("BROKEN", view["broken"]), ("UNVERIFIED", view["unverified"])):
        for name in names:
            svc = by_name.get(name) or {}
            ver, dep = svc.get("verification") or {}, svc.get("deploy") or {}
            ver_newer = bool(ver) and (not dep or ver.get("id", "") > dep.get("id", ""))
            if state == "BROKEN" and ver_newer and ver.get("verdict") == "fail":
                out.append(ProblemItem(service=name, state="BROKEN", commit=ver.get("commit"), ts=ver.get("ts"),
                                       detail=_cut("verification failed: " + str(ver.get("summary") or ""), chars),
                                       failed_checks=[_cut(c, chars) for c in ver.get("failed_checks", [])[:checks]]))
            elif state == "BROKEN":
                out.append(ProblemItem(service=name, state="BROKEN", commit=dep.get("commit"), ts=dep.get("ts"),
                                       detail=_cut("restart failed: " + str(dep.get("reason") or ""), chars)))
            elif ver_newer and ver.get("verdict") == "inconclusive":
                out.append(ProblemItem(service=name, state="INCONCLUSIVE", commit=ver.get("commit"), ts=ver.get("ts"),
                                       detail=_cut(ver.get("summary"), chars)))
            else:
                warn = "; warnings: " + "; ".join(dep.get("warnings") or []) if dep.get("warnings") else ""
                out.append(ProblemItem(service=name, state="UNVERIFIED", commit=dep.get("commit"), ts=dep.get("ts"),
                                       detail=_cut(f"restarted ({dep.get('strategy') or 'restart'}), no verification "
                                                   f"since{warn}", chars)))
    return out


def _attempt(a: dict[str, Any], chars: int, files: int, repeats: int) -> FailedAttempt:
    return FailedAttempt(id=a["id"], ts=a.get("ts", ""), summary=_cut(a.get("summary"), chars),
                         services=list(a.get("services") or [])[:10], files=list(a.get("files") or [])[:files],
                         similar_to=list(a.get("similar_to") or [])[:repeats])


def build(view: dict[str, Any], detail: Literal["summary", "full"] = "summary", level: tuple = FULL) -> StateOutput:
    """One rendering of ``view`` with the list limits of ``level``, noting everything cut in ``left_out``."""
    n_services, n_attempts, n_files, chars, n_sessions, n_failures = level
    left: list[str] = []
    drifted = [s for s in view["services"] if s["drift"]["state"] == "committed, not running"]
    drift = [DriftItem(service=s["name"], running_commit=s["running_commit"], files=s["drift"]["files"][:n_files],
                       count=s["drift"]["count"]) for s in drifted[:n_services]]
    if len(drifted) > n_services:
        left.append(f"{len(drifted) - n_services} more services with drift")
    cut_files = sum(max(0, d.count - len(d.files)) for d in drift)
    if cut_files:
        left.append(f"{cut_files} more changed files of drifted services (affected_services lists them all)")
    problems = _problems(view, chars, 5 if n_files else 1)
    if len(problems) > n_services:
        left.append(f"{len(problems) - n_services} more broken or unverified services")
        problems = problems[:n_services]
    failed = view["failed_attempts"]
    # The summary names an attempt's services, not its files (check_attempt matches files), and its first repeat.
    attempts = [_attempt(a, chars, n_files if detail == "full" else 0, 20 if detail == "full" else 1)
                for a in failed[:n_attempts]]
    older = view["attempts_failed"] - len(attempts)
    if older > 0:
        left.append(f"{older} older failed attempts (detail=\"full\" shows the {len(failed)} most recent; "
                    "check_attempt searches all of them)")
    doom = view["doom"]
    failures = [FailureItem(service=f["service"], commit=f.get("commit"), ts=f.get("ts", ""),
                            summary=_cut(f.get("summary"), chars))
                for f in reversed(doom["failures"][-n_failures:] if n_failures else [])]
    if view["status"] == "DOOM LOOP" and len(doom["failures"]) > len(failures):
        left.append(f"{len(doom['failures']) - len(failures)} more failed verifications of the doom loop")
    sessions = [SessionItem(session_id=s["session_id"], status=s.get("status", ""), started=s.get("started", ""),
                            ended=s.get("ended"), goal=_cut(s.get("goal"), chars), did=_cut(s.get("did"), chars),
                            broke=_cut(s.get("broke"), chars), next=_cut(s.get("next"), chars))
                for s in view["sessions"][:n_sessions]]
    if len(view["sessions"]) > len(sessions):
        left.append(f"{len(view['sessions']) - len(sessions)} earlier sessions")
    services = [ServiceLine(name=s["name"], running_commit=s["running_commit"], drift=s["drift"]["state"],
                            last_verdict=(s["verification"] or {}).get("verdict"),
                            verified_commit=(s["verified"] or {}).get("commit"), recheck_due=s["recheck_due"],
                            recheck_overdue=s["recheck_overdue"]) for s in view["services"][:n_services]]
    if len(view["services"]) > len(services):
        left.append(f"{len(view['services']) - len(services)} more services in the service list")
    if detail == "full" and view.get("overrides"):
        left.append(f"{len(view['overrides'])} overrides (in the deploystate://state resource)")
    return StateOutput(
        detail=detail, status=view["status"], reason=view["reason"], project=view["project"], head=view["head"],
        as_of=view["as_of"], records=view["records"], drift=drift, problems=problems,
        doom_loop=DoomInfo(active=view["status"] == "DOOM LOOP", streak=doom["streak"],
                           threshold=view["doom_threshold"], failures=failures),
        failed_attempts=attempts, failed_attempts_total=view["attempts_failed"],
        overdue_rechecks=[s["name"] for s in view["services"] if s["recheck_overdue"]],
        sessions=sessions, open_sessions=view["open_sessions"][:20], services=services,
        next_steps=[_cut(s, max(chars, 200)) for s in next_steps(view)],
        ledger_problems=[_cut(p, chars) for p in view["problems"][: 10 if detail == "full" else 3]],
        left_out=left + ([f"to see it: {FULL_HINT}"] if left and detail == "summary" else []))


def summarize(view: dict[str, Any], detail: Literal["summary", "full"] = "summary",
              budget: int = SUMMARY_BUDGET) -> StateOutput:
    """The bounded summary (or, with ``detail='full'``, everything the view holds)."""
    if detail == "full":
        return build(view, "full", FULL)
    out = None
    for level in LEVELS:
        out = build(view, "summary", level)
        if len(out.render_text()) <= budget and len(json.dumps(out.model_dump(mode="json"))) <= budget:
            return out
    assert out is not None
    out.left_out.append("the answer was still over budget at the smallest list sizes: " + FULL_HINT)
    return out


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "—"


def _when(ts: str | None) -> str:
    return ts[:16].replace("T", " ") if ts else "—"


def _runtime(s: ServiceLine) -> str:
    if s.runtime_error:
        return f" [runtime unreachable: {_cut(s.runtime_error, 160)}]"
    if s.runtime_revision or s.runtime_vs_head:
        return f" [runtime runs {_short(s.runtime_revision)}: {s.runtime_vs_head or 'revision unknown'}]"
    return ""


def _text(out: StateOutput) -> str:
    """Markdown an agent reads top to bottom; the summary's own size check guarantees its bound."""
    lines = [f"Status: {out.status} — {out.reason}",
             f"Project {out.project} · HEAD {_short(out.head)} · as of {_when(out.as_of)} UTC · {out.records} records"]
    if out.drift:
        lines += ["", "Committed, not running:"]
        for d in out.drift:
            more = f" and {d.count - len(d.files)} more" if d.count > len(d.files) else ""
            lines.append(f"- {d.service} runs {_short(d.running_commit)}; HEAD changed {d.count} of its files: "
                         + ", ".join(d.files) + more)
    if out.problems:
        lines += ["", "Broken or unverified:"]
        for p in out.problems:
            lines.append(f"- {p.state} {p.service} at {_short(p.commit)} ({_when(p.ts)}): {p.detail}")
            lines += [f"  - failed check: {c}" for c in p.failed_checks]
    doom = out.doom_loop
    lines += ["", f"Doom loop: {'YES' if doom.active else 'no'} ({doom.streak} failed verifications in a row, "
                  f"threshold {doom.threshold})" + (" — STOP and read what was tried before changing anything."
                                                    if doom.active else "")]
    lines += [f"- {_when(f.ts)} {f.service} at {_short(f.commit)}: {f.summary}" for f in doom.failures]
    if out.failed_attempts:
        lines += ["", f"Tried and failed ({len(out.failed_attempts)} of {out.failed_attempts_total}, newest first):"]
        for a in out.failed_attempts:
            where = f" ({', '.join(a.services)})" if a.services else ""
            dup = f" ⚠ repeats {', '.join(a.similar_to)}" if a.similar_to else ""
            files = f" files: {', '.join(a.files)}" if a.files else ""
            lines.append(f"- [{a.id}] {_when(a.ts)}{where}: {a.summary}{files}{dup}")
    if out.overdue_rechecks:
        lines += ["", "Recheck overdue: " + ", ".join(out.overdue_rechecks)]
    if out.sessions:
        lines += ["", "Last sessions:"]
        for s in out.sessions:
            lines.append(f"- {s.session_id} ({s.status}, started {_when(s.started)}): {s.goal}")
            lines += [f"  - {k}: {v}" for k, v in (("did", s.did), ("broke", s.broke), ("next", s.next)) if v]
    if out.services:
        lines += ["", "Services: " + "; ".join(
            f"{s.name} " + (f"runs {_short(s.running_commit)} ({s.drift}, last verdict {s.last_verdict or 'none'})"
                            if s.running_commit else s.drift) + _runtime(s) for s in out.services)]
    if out.ledger_problems:
        lines += ["", "Ledger problems:"] + [f"- {p}" for p in out.ledger_problems]
    lines += ["", "Next steps:"] + [f"{i}. {s}" for i, s in enumerate(out.next_steps, 1)]
    if out.left_out:
        lines += ["", "Left out: " + "; ".join(out.left_out)]
    return "\n".join(lines) + "\n"
