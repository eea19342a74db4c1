"""A tool family whose tool crashes with a plain exception: proves the server survives and says so."""

from __future__ import annotations

from typing import Any

from deploystate.server.mcp.models import ToolInput, ToolOutput
from deploystate.server.tools import Call, ToolContext


class Nothing(ToolInput):
    pass


class Never(ToolOutput):
    value: int


def register(server: Any, ctx: ToolContext) -> None:
    @ctx.tool(Nothing, Never, read_only=True)
    def explode(args: Nothing, call: Call) -> Never:
        """Always raises a bug-like exception."""
        raise KeyError("password=hunter2hunter2 missing")
