"""A scripted platform for unit tests of logic (planning, verdicts, tools). Not a substitute for the
real-part tests: it only replays what a test tells it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from deploystate.state.ledger.ids import iso, utc_now

from .base import Observation, Progress, RestartResult, ServiceRef


@dataclass
class FakePlatform:
    name: str = "fake"
    observations: dict[str, Observation] = field(default_factory=dict)
    log_lines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # service -> [(iso ts, line)]
    errors: dict[str, Exception] = field(default_factory=dict)                 # "observe:web" -> exception
    restarts: list[tuple[str, str]] = field(default_factory=list)
    rollbacks: list[tuple[str, str | None]] = field(default_factory=list)
    revision_after_restart: dict[str, str] = field(default_factory=dict)

    def _raise(self, op: str, svc: ServiceRef) -> None:
        exc = self.errors.get(f"{op}:{svc.name}") or self.errors.get(op)
        if exc:
            raise exc

    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        self._raise("restart", svc)
        self.restarts.append((svc.name, strategy))
        if progress:
            progress(f"restarting {svc.name} ({strategy})")
        obs = self.observations.get(svc.name)
        if obs is not None:
            obs.started_at = iso(utc_now())
            if svc.name in self.revision_after_restart:
                obs.revision = self.revision_after_restart[svc.name]
        return RestartResult(svc.name, strategy, True, "restarted", started_at=iso(utc_now()))

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        self._raise("observe", svc)
        return self.observations.get(svc.name) or Observation(svc.name, self.name, svc.name, "missing")

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        self._raise("logs", svc)
        cutoff = iso(since) if since else ""
        for ts, line in self.log_lines.get(svc.name, []):
            if ts >= cutoff:
                yield line

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        self._raise("rollback", svc)
        self.rollbacks.append((svc.name, to))
        return RestartResult(svc.name, "rollback", True, f"rolled back to {to or 'previous'}",
                             started_at=iso(utc_now()))
