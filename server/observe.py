"""Ask each service's runtime what it is running (``deploystate state --observe``).

An adapter that is missing, a daemon that is down or a timeout becomes
"unreachable: <why>" for that service: observing is evidence gathering, and
one unreachable runtime must not hide what the others say.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Any

from deploystate.state import gitinfo
from deploystate.state.errors import DeploystateError
from deploystate.state.mapping import affected
from deploystate.state.project import Project
from deploystate.state.redact import redact
from deploystate.state.render import short

MIN_PREFIX = 7


def same_commit(a: str | None, b: str | None) -> bool:
    """True when two commit names (full or abbreviated, at least 7 hex digits) name the same commit."""
    if not a or not b:
        return False
    a, b = a.lower(), b.lower()
    return min(len(a), len(b)) >= MIN_PREFIX and (a.startswith(b) or b.startswith(a))


def compare_with_head(project: Project, name: str, revision: str | None, head: str | None) -> str | None:
    """How the revision read from the runtime relates to HEAD, for this service's paths."""
    if not revision or not head:
        return None
    if same_commit(revision, head):
        return "= HEAD"
    try:
        full = gitinfo.resolve(project.root, revision)
        changes = gitinfo.changed_files(project.root, full, head, under=gitinfo.relative_root(project.root))
    except DeploystateError:
        return "not a commit in this clone"
    hit = affected(changes, {name: project.service_paths().get(name, [])}, project.all_services_rules())
    count = len({m.file for m in hit.services.get(name, [])})
    return f"committed, not running ({count} files)" if count else "runs HEAD's code for its paths"


def observe_one(project: Project, name: str, cfg: Any, timeout: float) -> dict[str, Any]:
    try:
        from deploystate.platforms.base import ServiceRef
        from deploystate.platforms.registry import get_platform

        obs = get_platform(cfg.platform).observe(ServiceRef(name, cfg, project.root), timeout=timeout)
    except DeploystateError as exc:
        return {"error": redact(exc.message)}
    except Exception as exc:  # a missing adapter or a library error: reported for this service, never a crash
        return {"error": redact(f"{type(exc).__name__}: {exc}")}
    return {"state": obs.state, "target": obs.target, "revision": obs.revision,
            "revision_source": obs.revision_source, "started_at": obs.started_at, "healthy": obs.healthy,
            "restart_count": obs.restart_count, "oom_killed": obs.oom_killed,
            "problems": [redact(p) for p in obs.problems[:5]]}


def observe_all(project: Project, services: dict[str, Any], view: dict[str, Any],
                timeout: float) -> dict[str, dict[str, Any]]:
    """Observe every configured service at once, each under ``timeout`` seconds."""
    if not services:
        return {}
    running = {s["name"]: s["running_commit"] for s in view["services"]}
    pool = ThreadPoolExecutor(max_workers=min(8, len(services)))
    try:
        futures = {name: pool.submit(observe_one, project, name, cfg, timeout) for name, cfg in services.items()}
        out = {}
        for name, fut in futures.items():
            try:
                out[name] = fut.result(timeout=timeout + 5)
            except FutureTimeout:
                out[name] = {"error": f"no answer within {timeout:g}s"}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for name, o in out.items():
        if o.get("error"):
            continue
        o["vs_head"] = compare_with_head(project, name, o.get("revision"), view["head"])
        ledger = running.get(name)
        if o.get("revision") and ledger and not same_commit(o["revision"], ledger):
            o["vs_ledger"] = f"ledger says {short(ledger)}: deployed outside deploystate?"
    return out
