"""What a stored runtime answer means for ``deploystate state`` and ``read_deployment_state`` (pure).

``assess`` turns one service's stored observation (``observations``) and the verdict of the one "runs
HEAD's code" rule into broken, not_head, runs_head, unknown, stale or never; ``status`` folds those into the
headline, worst first. The hooks need only ``observations.findings``, so none of this is on a push's path.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's (annotations only)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

from deploystate.state.ledger.ids import parse_iso
from .observations import _short, _text, broken_reason


def age(ts: str | None, now: datetime | None) -> str | None:
    """'12 s', '5 min', '3 h', '2 days' between ``ts`` and ``now`` (None when either is unknown)."""
    if not ts or now is None:
        return None
    try:
        secs = max(0.0, (now - parse_iso(ts)).total_seconds())
    except ValueError:
        return None
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if secs >= size * (2 if unit == "days" else 1):
            return f"{int(secs // size)} {unit}"
    return f"{int(secs)} s"


def assess(name: str, entry: dict[str, Any] | None, head: str | None, rule: Any, *,
           since: str | None = None, waiver: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What the stored observation of ``name`` means (pure over its inputs).

    ``rule`` is the verdict of the one "runs HEAD's code" rule (``state.headcode.HeadCode``) for the
    observed revision, or None when there is none to judge. ``since``: the service's last deploy
    record time; an observation older than that no longer tells what runs. ``waiver``: the configured
    reason for not reading a revision. The verdict is one of broken, not_head, runs_head, unknown,
    stale, never."""
    entry = entry or {}
    obs, at = entry.get("obs"), entry.get("at")
    out: dict[str, Any] = {"at": at, "age": age(at, now), "error": entry.get("error"),
                           "error_at": entry.get("error_at"), "state": None, "revision": None, "target": None,
                           "problems": [], "verdict": "never", "reason": "", "files": []}
    if not obs:
        out["reason"] = f"{name}'s runtime has never answered" + (f": {out['error']}" if out["error"] else "")
        return out
    out.update(state=obs.get("state"), revision=obs.get("revision"), target=obs.get("target"),
               problems=list(obs.get("problems") or []))
    if since and at and at < since:
        out.update(verdict="stale", reason=f"observed {out['age'] or ''} ago, before the last deploy")
        return out
    why = broken_reason(obs, at)
    if why:
        out.update(verdict="broken", reason=why)
    elif rule is not None and getattr(rule, "status", None) == "not_head":
        out.update(verdict="not_head", reason=f"{name} runs {_short(getattr(rule, 'running', None) or obs.get('revision'))}"
                   f", HEAD's code for {name} is {_short(head)}", files=list(getattr(rule, "files", ()))[:10])
    elif rule is not None and getattr(rule, "ok", False):
        out.update(verdict="runs_head", reason=str(getattr(rule, "reason", "") or "runs HEAD's code"))
    elif waiver and not obs.get("revision"):   # a waiver covers an unreadable revision, never an unknown one
        out.update(verdict="runs_head", reason=f"running revision not checked (waived: {_text(waiver, 160)})")
    else:
        out.update(verdict="unknown", reason=str(getattr(rule, "reason", "") or f"the running revision of {name} "
                                                 "is unknown"))
    return out


def status(ledger_status: str, ledger_reason: str, services: list[dict[str, Any]]) -> tuple[str, str]:
    """The headline from the ledger's status and each configured service's observation (pure).

    Worst first: DOOM LOOP, BROKEN (ledger or runtime), DRIFT (committed, not running: by the runtime,
    else by the ledger), UNVERIFIED, UNKNOWN (a runtime never answered or its revision is unreadable), OK."""
    if ledger_status == "DOOM LOOP":
        return ledger_status, ledger_reason
    seen = [(s["name"], s.get("observed") or {}) for s in services if s.get("configured", True)]
    broken = [f"{n} ({o['reason']})" for n, o in seen if o.get("verdict") == "broken"]
    by_name = {s["name"]: s for s in services}
    drift = [o["reason"] for _, o in seen if o.get("verdict") == "not_head"]
    drift += [f"{n} runs {_short(by_name[n].get('running_commit'))} (by the ledger)"
              for n, o in seen if o.get("verdict") in ("stale", "never", "unknown")
              and (by_name[n].get("drift") or {}).get("state") == "committed, not running"]
    drifting = ["committed, not running: " + "; ".join(drift)] if drift else []
    if ledger_status == "BROKEN" or broken:
        parts = ([ledger_reason] if ledger_status == "BROKEN" else []) + \
            (["the runtime says " + "; ".join(broken)] if broken else [])
        return "BROKEN", "; ".join(parts + drifting)
    if drift:   # what the ledger also says (a pending or unverified deploy) stays in the reason
        return "DRIFT", drifting[0] + (f"; {ledger_reason}" if ledger_status != "OK" else "")
    if ledger_status != "OK":
        return ledger_status, ledger_reason
    unknown = [f"{n} ({o.get('reason')})" for n, o in seen if o.get("verdict") in ("never", "unknown")]
    if unknown:
        return "UNKNOWN", "what runs is not known for " + "; ".join(unknown)
    return ledger_status, ledger_reason
