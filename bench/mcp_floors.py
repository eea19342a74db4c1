"""bench_mcp's two floor servers, run as its subprocesses (``--echo-server``, ``--payload-server``).

The echo server is the smallest useful MCP server (one tool, same SDK, same transport); the payload server
serves our tools' recorded answers with no work behind them, so the answer's own price is told apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def echo_server() -> None:
    """The floor: the smallest useful MCP server, one tool, same SDK, same transport."""
    from mcp.server import MCPServer

    server = MCPServer("echo")

    @server.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    server.run("stdio")


def payload_server(answers_file: str) -> None:
    """A second floor: the same SDK serving our two tools' recorded answers (same text, same structured
    content, same published output schema) with no work behind them. What it costs over the echo server is
    the price of the answer's size (the SDK's serialising, the client's parsing and its validation against
    the output schema), which no work on deploystate's side can remove."""
    import json
    from typing import Annotated

    from mcp.server import MCPServer
    from mcp_types import CallToolResult, TextContent

    from deploystate.server.mcp import schema_flat
    from deploystate.server.mcp.models import RecordAttemptOutput
    from deploystate.server.mcp.state_summary import StateOutput

    answers = json.loads(Path(answers_file).read_text(encoding="utf-8"))
    server = MCPServer("payload")

    def canned(name: str) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=answers[name]["text"])],
                              structured_content=answers[name]["structured"])

    def read_deployment_state():  # type: ignore[no-untyped-def]
        """The recorded answer."""
        return canned("read_deployment_state")

    def record_attempt(summary, outcome, services, files):  # type: ignore[no-untyped-def]
        """The recorded answer."""
        return canned("record_attempt")

    # set here, not written as annotations: this module's annotations are strings (``from __future__``)
    read_deployment_state.__annotations__ = {"return": Annotated[CallToolResult, StateOutput]}
    record_attempt.__annotations__ = {"summary": str, "outcome": str, "services": list[str], "files": list[str],
                                      "return": Annotated[CallToolResult, RecordAttemptOutput]}
    server.tool()(read_deployment_state)
    server.tool()(record_attempt)

    for tool in server._tool_manager.list_tools():  # published as deploystate publishes its own
        schema = tool.fn_metadata.output_schema
        if schema:
            flat = schema_flat.flatten(schema)
            schema.clear()
            schema.update(flat)
    server.run("stdio")


async def record_answers(ours: Any, path: Path, record_args: dict) -> None:
    """Our server's answer to each tool, kept for ``payload_server``."""
    import json

    from mcp.client import Client

    out = {}
    async with Client(ours, read_timeout_seconds=120) as client:
        for tool, args in (("read_deployment_state", {}), ("record_attempt", record_args)):
            result = await client.call_tool(tool, args)
            out[tool] = {"text": result.content[0].text, "structured": result.structured_content}
    path.write_text(json.dumps(out), encoding="utf-8")
