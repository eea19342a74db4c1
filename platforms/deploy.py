"""Run a restart plan or a rollback, and record each outcome in the ledger.

Every restart appends one ``deploy`` record per service (status "restarted" or
"failed", never "verified": verification is a separate step), every rollback one
``rollback`` record; both go through ``state.store.record`` so DEPLOYMENT_STATE.md
follows. A platform error on one service is recorded as a failed deploy and the
others still run: the ledger must show what actually happened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from deploystate.state.git import gitinfo
from deploystate.state.ledger import store
from deploystate.state.config.config import Config, ServiceBase, load_config
from deploystate.state.errors import DeploystateError, GitError, Refused
from deploystate.state.config.extras import require_services
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.config.project import Project

from . import registry
from .base import Progress, RestartResult, ServiceRef
from .gather import gather, observed_revision, resolve_commit
from .outcome import Outcome
from .plan import Plan, PlanItem, build_plan
from .revision import same_revision


def config_of(project: Project) -> Config:
    return load_config(project.config_path)


def make_plan(project: Project, config: Config, *, names: list[str] | None = None, force: bool = False,
              reason: str | None = None, base: str | None = None) -> Plan:
    """The plan for ``names`` (or every affected service) from git, the ledger and, for services never
    deployed through deploystate, the revision their platform reports."""
    head = gitinfo.head(project.root)
    if head is None:
        raise GitError(f"{project.root} has no commits", "commit your change first: deploystate deploys commits")
    # the plan observes the runtimes: a missing optional SDK is exit 2 here, not a silently unknown revision
    require_services(config, [n for n in (names or sorted(config.services)) if n in config.services])
    found = gather(project, config, head=head, base=base)
    plan = build_plan(affected=found.affected, bases=found.bases, configured=config.services, requested=names,
                      force=force, reason=reason, head=head, unknown=found.unknown)
    for item in plan.items:
        item_dirty = found.dirty.get(item.service)
        if not item_dirty:
            continue
        listed = f"{len(item_dirty)} uncommitted file(s) in its paths ({', '.join(item_dirty[:3])})"
        if item.action == "restart":
            item.why += f"; WARNING: {listed}: what runs will not match commit {head[:12]}"
        else:
            item.why += f"; NOTE: {listed}: commit them first, deploystate plans from commits"
    return plan


def _ref(project: Project, name: str, cfg: ServiceBase) -> ServiceRef:
    return ServiceRef(name, cfg, project.root)


def _record(project: Project, kind: str, svc: str, cfg: ServiceBase, commit: str | None, res: RestartResult,
            *, forced: bool = False, reason: str | None = None, author: dict | None = None,
            extra: dict[str, Any] | None = None) -> Outcome:
    status = "restarted" if res.ok else "failed"
    payload = {"service": svc, "commit": commit, "strategy": res.strategy, "platform": cfg.platform,
               "platform_ids": res.platform_ids, "status": status, "warnings": res.warnings, "forced": forced,
               "reason": reason, "started_at": res.started_at, "duration": res.duration,
               "message": res.message[:2000], **(extra or {})}
    rec = store.record(project, kind, payload, commit=commit if commit else "", author=author)
    return Outcome(svc, kind, status, res.strategy, commit, res.message, rec["id"], res.platform_ids,
                   res.warnings, res.duration, (extra or {}).get("to"))


def _attempt(svc: str, strategy: str, action: Any) -> RestartResult:
    """Run one platform action; a deploystate error becomes a failed result carrying its message."""
    started, clock = iso(utc_now()), time.monotonic()
    try:
        return action()
    except DeploystateError as exc:
        return RestartResult(svc, strategy, False, f"{type(exc).__name__}: {exc}", started_at=started,
                             duration=round(time.monotonic() - clock, 3))


def execute(project: Project, config: Config, plan: Plan, *, progress: Progress | None = None,
            author: dict | None = None) -> list[Outcome]:
    """Restart every ``restart`` item of ``plan`` (refusing all of it if any item was refused)."""
    if plan.refused:
        names = ", ".join(i.service for i in plan.refused)
        raise Refused(f"refused to restart {names}: code unchanged since the commit it runs",
                      "restart only what the change affects (deploystate restart --affected), or force it with "
                      '--force --reason "why"')
    require_services(config, [item.service for item in plan.restarts])  # before the first restart
    outcomes = []
    for item in plan.restarts:
        outcomes.append(_restart_one(project, config, plan, item, progress, author))
    return outcomes


def _restart_one(project: Project, config: Config, plan: Plan, item: PlanItem, progress: Progress | None,
                 author: dict | None) -> Outcome:
    cfg = config.services[item.service]
    platform = registry.get_platform(cfg.platform)
    if progress:
        progress(f"{item.service}: restarting on {cfg.platform} ({item.strategy})")
    res = _attempt(item.service, item.strategy, lambda: platform.restart(
        _ref(project, item.service, cfg), item.strategy, timeout=cfg.restart_timeout, progress=progress))
    files = [f.file for f in item.files]
    out = _record(project, "deploy", item.service, cfg, plan.head, res, forced=item.forced, reason=item.reason,
                  author=author, extra={"base": item.base, "files": files, "why": item.why[:500]})
    if progress:
        progress(f"{item.service}: {out.status}: {res.message.splitlines()[0] if res.message else ''}"[:300])
    return out


# -- rollback ----------------------------------------------------------------------------------------

@dataclass
class Target:
    commit: str | None        # the commit the service will run afterwards, when known
    ref: str | None           # what the platform is handed (a recorded rollback_ref, or the commit)
    why: str


def _deploys(project: Project, service: str) -> list[dict]:
    records = project.ledger.read(include_archive=True).records
    return sorted((r for r in records if r.get("kind") in ("deploy", "rollback")
                   and (r.get("payload") or {}).get("service") == service
                   and (r.get("payload") or {}).get("status") != "failed"), key=lambda r: r["id"])


def _from_record(rec: dict, why: str) -> Target:
    p = rec.get("payload") or {}
    ids = p.get("platform_ids") or {}
    commit = p.get("commit") or None
    return Target(commit, ids.get("rollback_ref") or commit, why)


def resolve_target(project: Project, service: str, to: str) -> Target:
    """Turn "last_verified" / "previous" / a revision into the commit and the platform's handle."""
    deploys = _deploys(project, service)
    if to == "last_verified":
        from deploystate.state.view import cache
        verified = (cache.load(project.ledger).state["services"].get(service) or {}).get("verified")
        if not verified:
            raise Refused(f"{service} has no passing verification to roll back to",
                          "roll back with --to previous or --to <commit>, then verify")
        ver = next((r for r in project.ledger.read(include_archive=True).records if r["id"] == verified["id"]), {})
        deploy_id = (ver.get("payload") or {}).get("deploy_id")
        match = next((r for r in deploys if r["id"] == deploy_id), None) or next(
            (r for r in reversed(deploys) if r["id"] < verified["id"]
             and same_revision((r.get("payload") or {}).get("commit"), verified["commit"])), None)
        if match:
            return _from_record(match, f"last verified: {verified['commit'][:12]} (verification {verified['id']})")
        return Target(verified["commit"], verified["commit"], f"last verified commit {verified['commit'][:12]}")
    if to == "previous":
        if deploys:
            current = deploys[-1]["payload"]
            for rec in reversed(deploys[:-1]):
                p = rec["payload"]
                if not same_revision(p.get("commit"), current.get("commit")) or (
                        (p.get("platform_ids") or {}).get("rollback_ref")
                        != (current.get("platform_ids") or {}).get("rollback_ref")):
                    return _from_record(rec, f"previous deploy {rec['id']}")
        return Target(None, None, "the platform's previous revision (no earlier deploy recorded)")
    commit = resolve_commit(project, to)
    if commit is None:
        return Target(None, to, f"platform revision {to}")
    match = next((r for r in reversed(deploys) if same_revision((r.get("payload") or {}).get("commit"), commit)), None)
    return _from_record(match, f"deploy {match['id']} of {commit[:12]}") if match else Target(commit, commit,
                                                                                             f"commit {commit[:12]}")


def rollback(project: Project, config: Config, service: str, to: str = "last_verified", *,
             progress: Progress | None = None, author: dict | None = None) -> Outcome:
    """Roll ``service`` back and append a ``rollback`` record (``to`` holds what was asked and resolved)."""
    cfg = config.service(service)
    target = resolve_target(project, service, to)
    platform = registry.get_platform(cfg.platform)
    if progress:
        progress(f"{service}: rolling back on {cfg.platform} to {target.why}")
    ref = _ref(project, service, cfg)
    res = _attempt(service, "rollback", lambda: platform.rollback(ref, target.ref, timeout=cfg.restart_timeout,
                                                                  progress=progress))
    commit = target.commit or resolve_commit(project, res.platform_ids.get("commit") or
                                             res.platform_ids.get("revision"))
    if res.ok and commit is None:
        commit = observed_revision(project, service, cfg)
        if commit is None:
            res.warnings.append("the commit now running is unknown: verify will read it from the runtime")
    return _record(project, "rollback", service, cfg, commit, res, author=author,
                   extra={"to": to, "target": target.why, "target_ref": target.ref})
