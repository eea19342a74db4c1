"""The answer of ``read_deployment_state``: the view, most urgent first, bounded for an agent's context (pure).

Order is the order an agent must act in: the headline status, then what is
committed but not running, what failed or is unverified, the doom-loop flag,
what was already tried and failed, overdue rechecks, and the last sessions'
handoffs. The summary shrinks its lists until both the text and the JSON fit
the budget, and lists what it left out with the call that shows it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from deploystate.state.view.render import next_steps

from .models import ToolOutput

SUMMARY_BUDGET = 8_000  # characters, about 2,000 tokens, for the text and for the structured JSON each
FULL_HINT = 'call read_deployment_state with detail="full" (or read the resource deploystate://state)'
# (services, attempts, drift files per service, characters per free text, sessions, doom failures)
LEVELS = [(20, 10, 5, 300, 3, 5), (10, 6, 3, 200, 3, 3), (6, 3, 2, 120, 2, 2), (3, 1, 1, 80, 1, 1),
          (2, 0, 0, 60, 1, 0)]
FULL = (10_000, 10_000, 10_000, 100_000, 10_000, 10_000)
# Failed attempts in a summary outside a doom loop. Why fewer than in one: before each change the agent asks
# check_attempt, which searches every attempt; the summary's list is a reminder of the newest, and the
# client validates each of its ~6 JSON values against the output schema on every read. In a doom loop,
# what was tried is what the agent must read first: the level's full count. The rest is named in left_out
# (how many, and detail="full" / check_attempt to see them).
CALM_ATTEMPTS = 5


class ServiceLine(BaseModel):
    name: str
    running_commit: str | None
    drift: str = Field(description="'committed, not running', 'running HEAD's code', 'never deployed', ...")
    last_verdict: str | None = None
    verified_commit: str | None = None
    recheck_due: str | None = None
    recheck_overdue: bool = False
    runtime: str | None = Field(None, description="What its runtime said: broken, not_head (committed, not running), "
                                                  "runs_head, unknown, stale (before the last deploy), never.")
    runtime_reason: str | None = Field(None, description="Why, in a sentence.")
    runtime_revision: str | None = Field(None, description="The revision the runtime reports.")
    runtime_observed_at: str | None = Field(None, description="When the runtime last answered, when not at the "
                                                              "answer's observed_at.")
    runtime_error: str | None = Field(None, description="Why the runtime did not answer the last time it was asked "
                                                        "(the observation shown is then older).")
    _age: str | None = PrivateAttr(None)  # how long ago it answered: for the text (the JSON has the time)


class DriftItem(BaseModel):
    service: str
    running_commit: str | None
    files: list[str]
    count: int
    source: Literal["runtime", "ledger"] = Field(description="'runtime': the revision its runtime reports; "
                                                 "'ledger': the last deploy deploystate recorded.")


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
    status: str = Field(description="OK, UNKNOWN, UNVERIFIED, DRIFT (committed, not running), BROKEN or DOOM LOOP")
    reason: str
    project: str
    head: str | None
    as_of: str | None
    records: int
    observed_at: str | None = Field(None, description="When the runtimes were last asked what they run.")
    warnings: list[str] = Field(default_factory=list, description="Standing warnings, e.g. a waived revision check.")
    # The lists below default to empty, so an empty one is left out of the structured answer (``structured``):
    # absent means none.
    drift: list[DriftItem] = Field(default_factory=list,
                                   description="Services whose running commit lacks HEAD's changes to their files.")
    problems: list[ProblemItem] = Field(default_factory=list, description="Failed, inconclusive or unverified deploys.")
    doom_loop: DoomInfo
    failed_attempts: list[FailedAttempt] = Field(
        default_factory=list, description="Recent failed attempts, newest first: the summary's first 5 (10 in a "
                                          "doom loop); left_out says how many more and how to see them.")
    failed_attempts_total: int
    overdue_rechecks: list[str] = Field(default_factory=list)
    sessions: list[SessionItem] = Field(default_factory=list,
                                        description="The last sessions and their handoffs, newest first.")
    open_sessions: list[str] = Field(default_factory=list)
    services: list[ServiceLine]
    next_steps: list[str]
    ledger_problems: list[str] = Field(default_factory=list)
    left_out: list[str] = Field(default_factory=list, description="What this answer omitted, and how to get it.")
    mode: str | None = Field(None, description="The MCP server's mode: read-only, verify (no restart or "
                                               "rollback) or full: what this server lets you call.")
    # The text and the dump ``summarize`` measured against its budget, kept for the answer itself (rendered
    # twice otherwise). Its answer is final but for ``mode``, which both add at the end.
    _text: str | None = PrivateAttr(None)
    _dump: dict[str, Any] | None = PrivateAttr(None)

    def render_text(self) -> str:
        from .state_summary_text import text

        body = self._text if self._text is not None else text(self)
        return body + (f"\nMCP server mode: {self.mode}" if self.mode else "")

    def structured(self) -> dict[str, Any]:
        """Without the fields at their schema default (a null, an empty list, false): the client validates
        every node of the answer against the output schema, and those say nothing the schema does not."""
        if self._dump is None:
            return self.model_dump(mode="json", exclude_defaults=True)
        return {**self._dump, "mode": self.mode} if self.mode else dict(self._dump)  # mode: the last field


def _cut(text: Any, limit: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def _verdict_of(s: dict[str, Any]) -> str | None:
    return (s.get("observed") or {}).get("verdict")


def _problems(view: dict[str, Any], chars: int, checks: int) -> list[ProblemItem]:
    by_name = {s["name"]: s for s in view["services"]}
    out = [ProblemItem(service=s["name"], state="BROKEN", commit=s["observed"].get("revision"), ts=s["observed"]["at"],
                       detail=_cut("its runtime says: " + s["observed"]["reason"], chars))
           for s in view["services"] if _verdict_of(s) == "broken"]
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


def _runtime_fields(o: dict[str, Any] | None, chars: int, asked: str | None) -> dict[str, Any]:
    if not o:
        return {}
    return {"runtime": o.get("verdict"), "runtime_reason": _cut(o.get("reason"), chars) or None,
            "runtime_revision": o.get("revision"), "runtime_observed_at": o.get("at") if o.get("at") != asked else None,
            "runtime_error": _cut(o.get("error"), chars) if o.get("error") else None}


def _service(s: dict[str, Any], chars: int, asked: str | None) -> ServiceLine:
    line = ServiceLine(name=s["name"], running_commit=s["running_commit"], drift=s["drift"]["state"],
                       last_verdict=(s["verification"] or {}).get("verdict"),
                       verified_commit=(s["verified"] or {}).get("commit"), recheck_due=s["recheck_due"],
                       recheck_overdue=s["recheck_overdue"], **_runtime_fields(s.get("observed"), chars, asked))
    line._age = (s.get("observed") or {}).get("age")
    return line


def build(view: dict[str, Any], detail: Literal["summary", "full"] = "summary", level: tuple = FULL) -> StateOutput:
    """One rendering of ``view`` with the list limits of ``level``, noting everything cut in ``left_out``."""
    n_services, n_attempts, n_files, chars, n_sessions, n_failures = level
    left: list[str] = []
    drifted = [s for s in view["services"] if _verdict_of(s) == "not_head" or (
        s["drift"]["state"] == "committed, not running" and _verdict_of(s) != "runs_head")]
    drift = [DriftItem(service=s["name"], running_commit=s["observed"]["revision"],
                       files=s["observed"]["files"][:n_files], count=len(s["observed"]["files"]), source="runtime")
             if _verdict_of(s) == "not_head" else
             DriftItem(service=s["name"], running_commit=s["running_commit"], files=s["drift"]["files"][:n_files],
                       count=s["drift"]["count"], source="ledger") for s in drifted[:n_services]]
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
    if detail == "summary" and view["status"] != "DOOM LOOP":
        n_attempts = min(n_attempts, CALM_ATTEMPTS)
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
    services = [_service(s, chars, view.get("observed_at")) for s in view["services"][:n_services]]
    if len(view["services"]) > len(services):
        left.append(f"{len(view['services']) - len(services)} more services in the service list")
    if detail == "full" and view.get("overrides"):
        left.append(f"{len(view['overrides'])} overrides (in the deploystate://state resource)")
    return StateOutput(
        detail=detail, status=view["status"], reason=view["reason"], project=view["project"], head=view["head"],
        as_of=view["as_of"], records=view["records"], drift=drift, problems=problems,
        observed_at=view.get("observed_at"),
        warnings=[f"{n}'s running revision is not checked (waived: {_cut(w, 200)})"
                  for n, w in (view.get("waivers") or {}).items()],
        doom_loop=DoomInfo(active=view["status"] == "DOOM LOOP", streak=doom["streak"],
                           threshold=view["doom_threshold"], failures=failures),
        failed_attempts=attempts, failed_attempts_total=view["attempts_failed"],
        overdue_rechecks=[s["name"] for s in view["services"] if s["recheck_overdue"]],
        sessions=sessions, open_sessions=view["open_sessions"][:20], services=services,
        next_steps=[_cut(s, max(chars, 200)) for s in next_steps(view)],
        ledger_problems=[_cut(p, chars) for p in view["problems"][: 10 if detail == "full" else 3]],
        left_out=left + ([f"to see it: {FULL_HINT}"] if left and detail == "summary" else []))


def summarize(view: dict[str, Any], detail: Literal["summary", "full"] = "summary",
              budget: int = SUMMARY_BUDGET, kept: Any = None, memo: Any = None) -> StateOutput:
    """The bounded summary (or, with ``detail='full'``, everything the view holds); ``kept`` and ``memo``:
    the kept base ``view`` was laid over and the memo that may hold its summary (``state_memo``)."""
    from .state_memo import summarize as fitted

    return fitted(view, detail, budget, kept, memo)
