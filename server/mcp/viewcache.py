"""Keep the last state view in the server process while nothing it depends on has changed.

Why: ``build_view`` runs ``git rev-parse`` and one ``git diff`` per running
commit; an agent asks for the state many times between changes. The view only
changes when the ledger, the config or the checked-out commit changes, or when
the clock passes a recheck deadline, so the fingerprint below is what those
are read from (``state.view.basekey``: file stats with their ctime, the ledger's
tail record, git's HEAD) plus the next deadline. Anything it cannot fingerprint cheaply (a
worktree whose ``.git`` is a file, an unreadable HEAD) is simply not cached.
What the runtimes said is not kept: every call lays the observation it is given
(or the stored one) over the kept base (``view.with_observed``), so a fresh
observation never waits for a rebuild and a cached one is never reused.
"""

from __future__ import annotations

import os
from datetime import datetime
from threading import Lock
from typing import Any

from deploystate.state.ledger.ids import parse_iso, utc_now
from deploystate.state.drift import observations
from deploystate.state.config.project import Project
from deploystate.state.view.basekey import base_key
from deploystate.state.view.view import Base, build_base, with_observed


def fingerprint(project: Project) -> tuple | None:
    """What the kept base was read from (``basekey.base_key``: the stat with ctime of the ledger, archive,
    anchor, chain mark, config and sync files, the ledger's tail record, git's HEAD); the runtimes'
    answers are not in it: they are laid over the kept base on every call (``with_observed``)."""
    return base_key(project)


def _next_deadline(view: dict[str, Any], now: datetime) -> datetime | None:
    """The earliest recheck deadline still ahead: past it, a service turns overdue and the view changes."""
    ahead = [parse_iso(s["recheck_due"]) for s in view["services"] if s.get("recheck_due")]
    ahead = [d for d in ahead if d > now]
    return min(ahead) if ahead else None


class ViewCache:
    """One cached view base per server; thread-safe because the SDK runs tools on worker threads."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._key: tuple | None = None
        self._base: Base | None = None
        self._until: datetime | None = None
        self.hits = 0

    def get(self, project: Project, observed: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view now: the kept base (or a new one) with ``observed`` (default: the stored observation)."""
        return self.get_kept(project, observed)[0]

    def get_kept(self, project: Project, observed: dict[str, Any] | None = None) -> tuple[dict[str, Any], Base | None]:
        """``get``'s view, and the kept base it was laid over when it was kept (None when built anew):
        while that is the same object, nothing the base was read from has changed (``state_memo``)."""
        seen = observed if observed is not None else observations.load(project.state_dir)
        base, kept = self._base_now(project)
        return with_observed(project, base, seen), kept

    def _base_now(self, project: Project) -> tuple[Base, Base | None]:
        now = utc_now()
        key = None if env_disabled() else fingerprint(project)
        with self._lock:
            if key is not None and key == self._key and self._base is not None \
                    and (self._until is None or now < self._until):
                self.hits += 1
                return self._base.at(now), self._base
        base = build_base(project, now=now)
        if key is not None and key == fingerprint(project):  # unchanged while we built it
            with self._lock:
                self._key, self._base, self._until = key, base, _next_deadline(base.view, now)
        return base, None

    def clear(self) -> None:
        with self._lock:
            self._key = self._base = self._until = None


def env_disabled() -> bool:
    """DEPLOYSTATE_NO_VIEW_CACHE=1 turns the cache off (to rule it out when debugging)."""
    return os.environ.get("DEPLOYSTATE_NO_VIEW_CACHE", "") not in ("", "0")
