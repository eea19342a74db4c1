"""The contract every runtime adapter meets: restart, observe, logs, rollback.

Adapters translate their library's errors into ``deploystate.state.errors``
(PlatformUnreachable, TargetNotFound, PlatformError) with ``raise ... from exc``;
every call has a timeout. Observations are plain data so verification, the
ledger and the MCP tools can use them without knowing the platform.
"""

from __future__ import annotations

import os

from deploystate.state.config.config import ServiceBase
from deploystate.state.plain import Frozen, Record, as_dict

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    from .contract import Platform

# What a restart reports its steps to: Callable[[str], None] (collections.abc is not imported to say so).
Progress = "Callable[[str], None]"


# Record/Frozen (state/plain.py), not dataclasses: `verify` builds these before its first check starts, and
# dataclasses (inspect, ast, dis, tokenize) cost that start ~8 ms.
class ServiceRef(Frozen):
    """A configured service: its deploystate name, its validated config, and the project root."""

    name: str
    config: ServiceBase
    root: Path
    _fields = ("name", "config", "root")

    def __init__(self, name: str, config: ServiceBase, root: str | os.PathLike[str]) -> None:
        # the root is kept as given and made a Path when read: observing builds one per service on every
        # `state`, and pathlib costs that process ~17M instructions to import (rootdir: the str)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "config", config)
        object.__setattr__(self, "rootdir", os.fspath(root))

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.rootdir)


class Instance(Record):
    """One container, pod container or ECS task container (every field after ``state`` defaults to None)."""

    name: str
    state: str                       # running | waiting | terminated | exited | restarting | unknown
    reason: str | None               # CrashLoopBackOff, OOMKilled, ImagePullBackOff, Error, ...
    ready: bool | None
    healthy: bool | None             # None: no healthcheck
    started_at: str | None           # ISO-8601 UTC
    restart_count: int | None
    oom_killed: bool | None
    exit_code: int | None
    image: str | None
    image_id: str | None             # image id or digest actually running
    revision: str | None             # git commit read from this instance
    generation: str | None           # pod-template-hash, task definition arn, container id …
    _fields = ("name", "state", "reason", "ready", "healthy", "started_at", "restart_count", "oom_killed",
               "exit_code", "image", "image_id", "revision", "generation")
    _defaults = dict.fromkeys(_fields[2:])


class Observation(Record):
    """What the runtime says about a service right now (the fields after ``state`` default to None unless
    their comment says otherwise)."""

    service: str
    platform: str
    target: str                                  # human-readable: "compose:web", "deployment/default/api"
    state: str                                   # running | degraded | stopped | missing | progressing | unknown
    revision: str | None                         # the running revision (git commit), None when unknown
    revision_source: str                         # default ""
    started_at: str | None                       # newest instance start
    healthy: bool | None
    restart_count: int | None                    # summed over instances
    oom_killed: bool                             # default False
    replicas: dict[str, int] | None              # desired, ready, updated, available, running, pending
    rollout: dict[str, Any] | None               # {"complete": bool, "reason": str, ...} platform rules
    instances: list[Instance]                    # default []
    problems: list[str]                          # default []: failure reasons found, worded for humans
    facts: dict[str, Any]                        # default {}: bounded platform specifics for evidence
    _fields = ("service", "platform", "target", "state", "revision", "revision_source", "started_at", "healthy",
               "restart_count", "oom_killed", "replicas", "rollout", "instances", "problems", "facts")
    _defaults = {**dict.fromkeys(_fields[4:12]), "revision_source": "", "oom_killed": False}
    _factories = {"instances": list, "problems": list, "facts": dict}

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)  # type: ignore[return-value]


class RestartResult(Record):
    service: str
    strategy: str
    ok: bool
    message: str                  # default ""
    platform_ids: dict[str, Any]  # default {}: ECS deployment id, container ids, revision …
    warnings: list[str]           # default []
    started_at: str | None        # default None: when the restart began (ISO, UTC)
    duration: float               # default 0.0
    _fields = ("service", "strategy", "ok", "message", "platform_ids", "warnings", "started_at", "duration")
    _defaults = {"message": "", "started_at": None, "duration": 0.0}
    _factories = {"platform_ids": dict, "warnings": list}

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)  # type: ignore[return-value]


def __getattr__(name: str) -> object:
    """``Platform``, the Protocol every adapter meets (platforms/contract.py), built on first use: typing's
    Protocol costs every process that only observes ~15M instructions."""
    if name == "Platform":
        from .contract import Platform

        return Platform
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
