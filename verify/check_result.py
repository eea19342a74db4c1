"""What one check concluded (pydantic: it is part of the MCP tools' output schemas and the ledger's
verification payload). Kept apart from ``result.py`` so the checks start without importing pydantic."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .result import Result


class CheckResult(BaseModel):
    """What one check concluded, with the evidence it rests on (redacted and bounded)."""

    name: str
    type: str
    service: str | None = None
    result: Result
    summary: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    duration: float = 0.0
    measurements: dict[str, Any] = Field(default_factory=dict)

    def line(self) -> str:
        """One human line: ``FAIL logs: 'using fallback' matched 3 lines``."""
        return f"{self.result.upper()} {self.name}: {self.summary}"
