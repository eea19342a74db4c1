"""What running a plan or a rollback did for one service: the ``Outcome`` (standard library only).

A module of its own so the MCP tools can publish its fields as their output schema (``server.models.mirror``)
when the server starts, without importing the platforms; ``platforms.deploy`` builds and records them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    service: str
    kind: str                      # "deploy" | "rollback"
    status: str                    # "restarted" | "failed"
    strategy: str
    commit: str | None
    message: str
    record_id: str
    platform_ids: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duration: float = 0.0
    to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
