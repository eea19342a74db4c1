"""Tool errors as MCP results every strict client accepts (pure: no I/O).

An error result is ``isError: true`` with the message (and the next step) as
text, and NO structured content: clients validate ``structuredContent`` against
the tool's output schema even on errors (the TypeScript SDK behind the MCP
Inspector rejects ``{error, hint}`` under a schema that requires ``verdict``).
What a program needs to branch on (the error type, the hint) travels in
``_meta["deploystate/error"]``, which no schema constrains.
"""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from deploystate.state.ledger.redact import redact

META_KEY = "deploystate/error"


def error_result(message: str, hint: str = "", kind: str = "DeploystateError") -> CallToolResult:
    """A tool error an agent can act on: what is wrong, then what to do next (redacted)."""
    message, hint = redact(message), redact(hint)
    text = f"{message}\nnext: {hint}" if hint else message
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True,
                          _meta={META_KEY: {"error": message, "hint": hint, "error_type": kind}})


def error_info(result: Any) -> dict[str, Any]:
    """``{error, hint, error_type}`` of an error result (empty for a success or a foreign result)."""
    meta = getattr(result, "meta", None) or {}
    info = meta.get(META_KEY) if isinstance(meta, dict) else None
    if isinstance(info, dict):
        return info
    if getattr(result, "is_error", False):  # an SDK-made error (unknown tool...): the text is all there is
        text = " ".join(getattr(c, "text", "") for c in getattr(result, "content", []) or [])
        return {"error": text, "hint": "", "error_type": "ToolError"}
    return {}


def validation_message(exc: ValidationError) -> str:
    """Pydantic errors as 'field: problem' lines, without echoing the (possibly secret) values."""
    lines = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        lines.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - len(lines)
    return "invalid arguments: " + "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")
