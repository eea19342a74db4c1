"""What a check knows besides its config: the service, its platform, and the deploy it verifies."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from deploystate.platforms.base import Platform, ServiceRef
from deploystate.state.ledger.ids import utc_now
from deploystate.state.plain import Record

RESTART_TOLERANCE = timedelta(seconds=1)  # clocks of the runtime and this machine may differ slightly


class NeedsService(Exception):
    """A check that reads a service (logs, revision, rollout, config_refs) was given none."""


# A Record (state/plain.py), not a dataclass: built before the first check starts, and dataclasses (inspect,
# ast, dis, tokenize) cost that start ~8 ms. Every field but ``root`` is optional (None, "" or as noted).
class CheckContext(Record):
    root: Path
    service: ServiceRef | None
    platform: Platform | None
    platform_error: str | None                 # why the platform adapter could not be loaded
    deploy: dict[str, Any] | None              # the projection's latest deploy entry for the service
    expected_commit: str | None                # what should be running: HEAD (its code, per state.headcode)
    expected_source: str                       # "HEAD abc123…"
    head: str | None                           # HEAD when the verification started
    judge: Any                                 # state.headcode.Judge shared by the run (one diff per commit)
    restart_time: datetime | None              # logs and instance starts are judged from here
    restart_source: str
    restart_baseline: int | None               # restart count recorded with the deploy, if the adapter gave one
    now: Callable[[], datetime]                # default utc_now
    cancel: threading.Event                    # default a new Event
    scratch: dict[str, Any]                    # default {}: per check, shared by its soak measurements
    _fields = ("root", "service", "platform", "platform_error", "deploy", "expected_commit", "expected_source",
               "head", "judge", "restart_time", "restart_source", "restart_baseline", "now", "cancel", "scratch")
    _defaults = {**dict.fromkeys(_fields[1:12]), "expected_source": "", "restart_source": "", "now": utc_now}
    _factories = {"cancel": threading.Event, "scratch": dict}

    def need_service(self) -> tuple[ServiceRef, Platform]:
        """The service and its platform, or NeedsService explaining why a check cannot look."""
        if self.service is None:
            raise NeedsService("this check reads a service: set `service = \"<name>\"` on the [[preflight]] entry")
        if self.platform is None:
            raise NeedsService(f"platform {self.service.config.platform!r} is not available: "
                               f"{self.platform_error or 'no adapter'}")
        return self.service, self.platform

    def logs_since(self, window: float) -> tuple[datetime, str]:
        """Start of the log window: ``window`` seconds back, never before the restart."""
        start = self.now() - timedelta(seconds=window)
        if self.restart_time and self.restart_time > start:
            return self.restart_time, f"the restart ({self.restart_source})"
        if self.restart_time:
            return start, f"the last {window:g}s (restart was earlier)"
        return start, f"the last {window:g}s (restart time unknown)"

    def fork(self) -> "CheckContext":
        """A copy for one check: own scratch space, shared everything else."""
        return CheckContext(**{**self.__dict__, "scratch": {}})
