"""Rechecks: a pass schedules another look after ``recheck_after`` (a fix that works for five minutes and
breaks at thirty is not a fix). ``deploystate verify --recheck`` runs the ones that are due."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from deploystate.state.view import cache
from deploystate.state.config.config import Config
from deploystate.state.ledger.ids import parse_iso, utc_now
from deploystate.state.config.project import Project

from .runner import Progress
from .service import verify_services

if TYPE_CHECKING:
    from .report import VerifyReport


def due(state: dict[str, Any], now: datetime, configured: set[str] | None = None) -> list[str]:
    """Services whose latest verification passed and whose recheck time has come (pure)."""
    out = []
    for name, svc in sorted((state.get("services") or {}).items()):
        ver = svc.get("verification") or {}
        stamp = ver.get("recheck_due")
        if ver.get("verdict") != "pass" or not stamp or (configured is not None and name not in configured):
            continue
        dep = svc.get("deploy")
        if dep and dep.get("id", "") > ver.get("id", ""):
            continue  # restarted since: that needs a fresh verify, not a recheck
        try:
            if parse_iso(stamp) <= now:
                out.append(name)
        except ValueError:
            out.append(name)  # an unreadable due time is treated as due: looking again is the safe side
    return out


def run_due(project: Project, config: Config, *, deadline: float | None = None, progress: Progress | None = None,
            now: datetime | None = None, author: dict[str, Any] | None = None
            ) -> tuple[list[str], VerifyReport | None]:
    """Verify every service whose recheck is due (records carry ``recheck: true``)."""
    state = cache.load(project.ledger).state
    names = due(state, now or utc_now(), set(config.services))
    if not names:
        return [], None
    return names, verify_services(project, config, names, deadline=deadline, recheck=True, progress=progress,
                                 author=author)
