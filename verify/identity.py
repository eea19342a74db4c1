"""Revision identity of one observation: does what the runtime runs carry HEAD's code for the service?

Shared by the ``revision`` check (every verification) and ``mark_deployed`` (which re-reads the runtime at the
moment of marking), so both apply the one rule of ``state.headcode`` the same way. Pure over an observation
and a Judge (the Judge reads git; nothing here talks to a runtime).
"""

from __future__ import annotations

from typing import Any

from deploystate.platforms.base import Observation, ServiceRef
from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, UNKNOWN, HeadCode, Judge
from deploystate.state.drift.revhint import what_to_add
from deploystate.state.plain import Record


# A Record (state/plain.py), not a dataclass: the revision check runs in every verify, and dataclasses
# (inspect, ast, dis, tokenize) cost its start ~8 ms.
class Identity(Record):
    status: str                 # RUNS_HEAD | NOT_HEAD | UNKNOWN (headcode's words), or "missing"
    reason: str
    running: str | None         # default None: the full commit the instances run, when there is one
    missing_revision: bool      # default False: no instance reports a revision: a to-do, never a failed fix
    evidence: dict[str, Any]    # default {}
    _fields = ("status", "reason", "running", "missing_revision", "evidence")
    _defaults = {"running": None, "missing_revision": False}
    _factories = {"evidence": dict}


def assess(obs: Observation, svc: ServiceRef, judge: Judge) -> Identity:
    """Judge every distinct revision the instances report; the worst one decides (NOT_HEAD > UNKNOWN)."""
    evidence: dict[str, Any] = {"head": judge.head, "running": obs.revision,
                                "source": obs.revision_source or svc.config.revision.source, "target": obs.target}
    if obs.state == "missing":
        return Identity("missing", f"{obs.target} is not running (missing)", evidence=evidence)
    per_instance = {i.name: i.revision for i in obs.instances}
    if per_instance:
        evidence["instances"] = dict(list(per_instance.items())[:20])
    reported = sorted({r for r in per_instance.values() if r}) or ([obs.revision] if obs.revision else [])
    if not reported:
        cfg = svc.config.revision
        notes = (obs.facts or {}).get("revision_notes") or []
        hint = what_to_add(svc.name, svc.config.platform, cfg.source, cfg.name, cfg.url)
        return Identity(UNKNOWN, hint + (f" (seen: {notes[0]})" if notes else ""), missing_revision=True,
                        evidence=evidence)
    verdicts: dict[str, HeadCode] = {rev: judge.judge(svc.name, rev) for rev in reported}
    evidence["judged"] = {rev: h.as_dict() for rev, h in verdicts.items()}
    behind = [h for h in verdicts.values() if h.status == NOT_HEAD]
    if behind:
        who = [n for n, r in per_instance.items() if r and verdicts[r].status == NOT_HEAD]
        scope = f" ({len(who)} of {len(per_instance)} instances)" if len(per_instance) > 1 else ""
        return Identity(NOT_HEAD, behind[0].reason + scope, behind[0].running, evidence=evidence)
    unknown = [h for h in verdicts.values() if h.status != RUNS_HEAD]
    if unknown:
        return Identity(UNKNOWN, f"cannot tell whether {svc.name} runs HEAD's code: {unknown[0].reason}",
                        unknown[0].running, evidence=evidence)
    unread = [n for n, r in per_instance.items() if not r]
    first = verdicts[reported[0]]
    if unread:
        return Identity(UNKNOWN, f"{len(unread)} of {len(per_instance)} instances of {svc.name} report no "
                                 f"revision ({', '.join(unread[:3])}); the others run HEAD's code",
                        first.running, evidence=evidence)
    return Identity(RUNS_HEAD, f"runs HEAD's code: {first.reason}", first.running, evidence=evidence)
