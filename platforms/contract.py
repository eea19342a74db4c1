"""The Protocol every runtime adapter meets (restart, observe, logs, rollback); ``platforms.base.Platform``.

Apart from base.py because typing's Protocol costs a process ~15M instructions: a process that only observes
never needs it (base.py hands it out on first use).
"""

from __future__ import annotations

from typing import Iterator, Protocol, runtime_checkable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

    from .base import Observation, Progress, RestartResult, ServiceRef


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
