"""MCP tool families. Each module here exposes ``register(server, ctx)`` and is listed in
``deploystate.server.mcp.mcp_app.TOOL_MODULES``.

A family registers tools with ``ctx.tool(InputModel, OutputModel, read_only=..., destructive=...,
idempotent=..., open_world=...)`` (see ``deploystate.server.mcp.mcp_context``): the handler takes the validated
input model and a ``Call`` and returns the output model; its docstring is the description agents read.
Raise ``deploystate.state.errors`` errors for expected failures (they become tool errors with the hint as
the next step); use ``ctx.require_state()`` for the project, ``ctx.check_services(project, names)`` for
service names, ``call.author()`` as the author of anything recorded, ``ctx.view(project)`` for the state
view. Import platform SDKs inside the handler, never at module level: the server must start fast.
"""

from __future__ import annotations

from deploystate.server.mcp.mcp_context import Call, ToolContext

__all__ = ["Call", "ToolContext"]
