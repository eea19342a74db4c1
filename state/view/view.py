"""Gather what the state file and the ``state`` command show: projection + git + config (I/O here,
rendering is pure in ``render.py``). Standard library only, so hooks can use it."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

from . import cache, projection, timeline
from deploystate.state.drift import assessment, observations
from deploystate.state.git import gitinfo
from deploystate.state.tamper import integrity
from deploystate.state.errors import DeploystateError
from deploystate.state.drift.headcode import Judge
from deploystate.state.ledger.ids import iso, parse_iso
from deploystate.state.config.mapping import affected
from deploystate.state.config.project import Project

MAX_DRIFT_FILES = 10
RUNS_HEAD = "running HEAD's code"
LEDGER_ONLY = "HEAD's code (ledger only)"  # what the ledger says while the runtime has not confirmed it
# Diffs between two full commit ids, per repository root: commits never change, so neither does their diff,
# and the MCP server renders the state file after every record (two git processes each time without this).
_DIFFS: dict[tuple[str, str, str], list] = {}
_DIFFS_KEPT = 64
_HEX = frozenset("0123456789abcdef")


def _full_id(rev: str) -> bool:
    """``re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", rev)`` without re (~25M instructions to import)."""
    return len(rev) in (40, 64) and _HEX.issuperset(rev)


def _changes(project: Project, running: str, head: str) -> list | None:
    key = (project.rootdir, running, head)  # Project's str paths: its Path ones import pathlib (~17M)
    kept = _DIFFS.get(key)
    if kept is not None:
        return list(kept)
    try:
        changes = gitinfo.changed_files_here(project.rootdir, running, head)  # one git process, not two
    except DeploystateError:
        return None
    if _full_id(running) and _full_id(head):
        if len(_DIFFS) >= _DIFFS_KEPT:
            del _DIFFS[next(iter(_DIFFS))]
        _DIFFS[key] = list(changes)
    return changes


def _drift(project: Project, head: str | None, running: str | None, service: str,
           diffs: dict[str, Any]) -> dict[str, Any]:
    if not running:
        return {"state": "never deployed", "files": [], "count": 0}
    if not head:
        return {"state": "unknown (no git HEAD)", "files": [], "count": 0}
    if running not in diffs:
        diffs[running] = _changes(project, running, head)
    changes = diffs[running]
    if changes is None:
        return {"state": "unknown (running commit not in this clone)", "files": [], "count": 0}
    if not changes:  # nothing changed (running HEAD): no glob to compile (that imports re, ~25M instructions)
        return {"state": RUNS_HEAD, "files": [], "count": 0}
    hit = affected(changes, {service: project.service_paths().get(service, [])}, project.all_services_rules())
    files = sorted({m.file for m in hit.services.get(service, [])})
    if files:
        return {"state": "committed, not running", "files": files[:MAX_DRIFT_FILES], "count": len(files)}
    return {"state": RUNS_HEAD, "files": [], "count": 0}


def _unread(obs: dict[str, Any]) -> str | None:
    """Why the runtime gave no revision, in its own words (the first revision problem it reported)."""
    return next((p for p in obs.get("problems") or [] if "revision" in p), None)


def _pending(state: dict[str, Any], services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pushes CI has yet to roll out: service, pushed commit, since when, what its runtime last ran."""
    seen = {s["name"]: (s.get("observed") or {}).get("revision") for s in services}
    out = []
    for name in projection.pending(state):
        dep = state["services"][name]["deploy"]
        out.append({"service": name, "commit": dep.get("commit"), "ts": dep.get("ts"),
                    "running": seen.get(name) or state["services"][name].get("running_commit")})
    return out


def _doom(state: dict, threshold: int) -> dict:
    """The doom loop per service: who is looping (with their own streaks) and only their failures."""
    looping = projection.doom_services(state, threshold)
    doom = state["doom"]
    return {**doom, "looping": {n: doom["services"].get(n, 0) for n in looping},
            "failures": projection.doom_failures(state, threshold) if looping else doom["failures"]}


def build_view(project: Project, *, head: str | None = None, now: datetime | None = None,
               generated_by: str = "deploystate render", use_git: bool = True,
               observed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``render`` needs. ``now`` defaults to the last record's time (deterministic files).
    ``observed``: observations just taken (default: the stored ones, ``state.observations``)."""
    base = build_base(project, head=head, now=now, generated_by=generated_by, use_git=use_git)
    return with_observed(project, base, observed if observed is not None else observations.load(project.state_dirname))


class Base:
    """What the view holds before any runtime observation: the ledger's, git's and the config's part
    (``build_base``), which ``with_observed`` completes; a server keeps it while none of those changed."""

    def __init__(self, view: dict[str, Any], state: dict[str, Any], chain_ok: bool, chain_problem: str | None,
                 now: datetime | None) -> None:
        self.view, self.state, self.chain_ok, self.chain_problem, self.now = view, state, chain_ok, chain_problem, now
        self.judge: Judge | None = None  # made on first need, then reused (it keeps resolved revisions)

    def at(self, now: datetime | None) -> "Base":
        """The same base read at another moment (recheck deadlines judged again)."""
        if now is None or now == self.now:
            return self
        view = {**self.view, "now": iso(now), "services": [
            {**s, "recheck_overdue": bool(s["recheck_due"] and parse_iso(s["recheck_due"]) <= now)}
            for s in self.view["services"]]}
        moved = Base(view, self.state, self.chain_ok, self.chain_problem, now)
        moved.judge = self.judge
        return moved


def build_base(project: Project, *, head: str | None = None, now: datetime | None = None,
               generated_by: str = "deploystate render", use_git: bool = True) -> Base:
    """The view without the runtime's part (``with_observed`` adds it)."""
    loaded = cache.load(project.ledger)
    state = loaded.state
    head = head or (gitinfo.head(project.rootdir) if use_git else None)
    if now is None and state["last_ts"]:
        now = parse_iso(state["last_ts"])
    threshold = project.doom_loop_after
    configured = project.service_paths()
    names = sorted(set(configured) | set(state["services"]))
    diffs: dict[str, Any] = {}
    services = []
    for name in names:
        svc = state["services"].get(name) or {}
        ver = svc.get("verification")
        due = ver.get("recheck_due") if ver and ver["verdict"] == "pass" else None
        services.append({
            "name": name, "configured": name in configured, "running_commit": svc.get("running_commit"),
            "deploy": svc.get("deploy"), "verification": ver, "verified": svc.get("verified"),
            "drift": _drift(project, head, svc.get("running_commit"), name, diffs) if name in configured
            else {"state": "not in deploystate.toml", "files": [], "count": 0},
            "recheck_due": due, "recheck_overdue": bool(due and now and parse_iso(due) <= now),
        })
    # Anchor, chain (cached by chainmark: only appended records are re-hashed) and config escapes.
    trust = integrity.status(project)
    problems = list(dict.fromkeys([str(p) for p in loaded.problems] + trust.problems + trust.warnings))
    failed_attempts = [a for a in reversed(state["attempts"]["recent"]) if a["outcome"] == "failed"]
    events = state.get("timeline") or []
    collected = timeline.collect(events, now) if now else None  # one pass for the gantt and the day rows
    waivers = project.revision_waivers()
    view = {
        "project": project.settings.get("name") or os.path.basename(project.rootdir),
        "generated_by": generated_by, "as_of": state["last_ts"] or None, "now": iso(now) if now else None,
        "head": head, "status": None, "reason": None, "doom_threshold": threshold,
        "services": services, "broken": projection.failed(state), "unverified": projection.unverified(state),
        "doom": _doom(state, threshold), "failed_attempts": failed_attempts, "attempts_total": state["attempts"]["total"],
        "attempts_failed": state["attempts"]["failed"], "sessions": list(reversed(state["sessions"]["recent"])),
        "open_sessions": sorted(state["sessions"]["open"]), "overrides": list(reversed(state["overrides"])),
        "preflight": state.get("preflight"), "records": state["records"],
        "problems": problems, "observed_at": None,
        "waivers": {n: w for n, w in waivers.items() if n in configured},
        "timeline": timeline.mermaid(events, now, collected) if now else [],
        "day": timeline.day_rows(events, now, collected) if now else [],
        "pending": [],
    }
    return Base(view, state, trust.ok, trust.problems[0] if trust.problems else None, now)


def with_observed(project: Project, base: Base, seen: dict[str, Any]) -> dict[str, Any]:
    """The whole view: ``base`` with what the runtimes said (``seen``, as ``observations.load`` gives it),
    which outranks the ledger: status, each service's runtime verdict and drift, the pending rollouts."""
    view, state, now = base.view, base.state, base.now
    head = view["head"]
    stored = seen.get("services") or {}
    waivers = project.revision_waivers()
    services = []
    for svc in view["services"]:
        svc = dict(svc)
        services.append(svc)
        if not svc["configured"]:
            continue
        name = svc["name"]
        entry = stored.get(name)
        obs = (entry or {}).get("obs") or {}
        rule = None
        if obs and head:
            base.judge = base.judge or Judge.for_project(project, head=head)
            rule = base.judge.judge(name, obs.get("revision"), _unread(obs))
        svc["observed"] = assessment.assess(name, entry, head, rule, since=(svc.get("deploy") or {}).get("ts"),
                                              waiver=waivers.get(name), now=now)
        seen_files = svc["observed"].get("files") or []
        if svc["observed"]["verdict"] == "not_head":
            # The runtime outranks the ledger: a restart that kept the old image left a deploy record
            # of HEAD, and "running HEAD's code" from that record would be the false "deployed".
            svc["drift"] = {"state": "committed, not running", "files": seen_files[:MAX_DRIFT_FILES],
                            "count": len(seen_files)}
        elif svc["drift"]["state"] == RUNS_HEAD and svc["observed"]["verdict"] != "runs_head":
            # Only the runtime can say what runs: without its confirmation the ledger's word is shown as
            # the ledger's (unknown is never "running HEAD's code").
            svc["drift"] = {"state": LEDGER_ONLY, "files": [], "count": 0}
    status, reason = assessment.status(*projection.status(state, view["doom_threshold"], chain_ok=base.chain_ok),
                                         services)
    if not base.chain_ok:
        reason = f"{reason} ({base.chain_problem})"
    return {**view, "status": status, "reason": reason, "services": services, "observed_at": seen.get("at"),
            "pending": _pending(state, services)}
