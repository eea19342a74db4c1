"""The contract every runtime adapter meets: restart, observe, logs, rollback.

Adapters translate their library's errors into ``deploystate.state.errors``
(PlatformUnreachable, TargetNotFound, PlatformError) with ``raise ... from exc``;
every call has a timeout. Observations are plain data so verification, the
ledger and the MCP tools can use them without knowing the platform.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, runtime_checkable

from deploystate.state.config.config import ServiceBase

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ServiceRef:
    """A configured service: its deploystate name, its validated config, and the project root."""

    name: str
    config: ServiceBase
    root: Path


@dataclass
class Instance:
    """One container, pod container or ECS task container."""

    name: str
    state: str                       # running | waiting | terminated | exited | restarting | unknown
    reason: str | None = None        # CrashLoopBackOff, OOMKilled, ImagePullBackOff, Error, ...
    ready: bool | None = None
    healthy: bool | None = None      # None: no healthcheck
    started_at: str | None = None    # ISO-8601 UTC
    restart_count: int | None = None
    oom_killed: bool | None = None
    exit_code: int | None = None
    image: str | None = None
    image_id: str | None = None      # image id or digest actually running
    revision: str | None = None      # git commit read from this instance
    generation: str | None = None    # pod-template-hash, task definition arn, container id …


@dataclass
class Observation:
    """What the runtime says about a service right now."""

    service: str
    platform: str
    target: str                                  # human-readable: "compose:web", "deployment/default/api"
    state: str                                   # running | degraded | stopped | missing | progressing | unknown
    revision: str | None = None                  # the running revision (git commit), None when unknown
    revision_source: str = ""
    started_at: str | None = None                # newest instance start
    healthy: bool | None = None
    restart_count: int | None = None             # summed over instances
    oom_killed: bool = False
    replicas: dict[str, int] | None = None       # desired, ready, updated, available, running, pending
    rollout: dict[str, Any] | None = None        # {"complete": bool, "reason": str, ...} platform rules
    instances: list[Instance] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # failure reasons found, worded for humans
    facts: dict[str, Any] = field(default_factory=dict)  # bounded platform specifics for evidence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RestartResult:
    service: str
    strategy: str
    ok: bool
    message: str = ""
    platform_ids: dict[str, Any] = field(default_factory=dict)   # ECS deployment id, container ids, revision …
    warnings: list[str] = field(default_factory=list)
    started_at: str | None = None                                 # when the restart began (ISO, UTC)
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Platform(Protocol):
    name: str

    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult: ...

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation: ...

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]: ...

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult: ...
