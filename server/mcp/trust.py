"""Every MCP tool asks first whether the ledger can be trusted (``state.integrity``, as the hooks do).

A tool that decides or writes on the ledger (``read_only=False``: verify_deploy, mark_deployed,
restart_affected, rollback, preflight, record_attempt, start_session, end_session) refuses with
a tool error naming what changed and what to run, and writes nothing: a verdict, an attempt or a
restart recorded on a ledger that was edited, cut or moved would sit on history nobody can vouch
for. A read-only tool still answers (reading is how the agent learns what is wrong) but says so
first, in its text and in ``_meta["deploystate/integrity"]``; its structured content is untouched,
so it stays valid against the tool's output schema.
"""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult, TextContent

from deploystate.state.errors import DeploystateError

from .tool_errors import error_result

META_KEY = "deploystate/integrity"
SHOWN = 3
NEXT = ("run `deploystate doctor`: it names each change and what restores it (`deploystate sync` brings back the "
        "team's copy; `deploystate doctor --accept-config` records a deliberate state_dir or deploy_branches "
        "change); nothing was written")


def problems(ctx: Any) -> list[str]:
    """The integrity problems of the server's project; [] when there is no project yet (the tool says so)."""
    try:
        project = ctx.project()
    except DeploystateError:
        return []  # the handler raises the same error, with its own next step
    if not project.state_dir.is_dir():
        return []
    from deploystate.state.ledger import integrity

    try:
        return integrity.check(project)
    except OSError as exc:  # an integrity question that cannot be answered is not a yes
        return [f"the ledger's integrity could not be checked ({exc})"]


def _listed(found: list[str]) -> str:
    more = len(found) - SHOWN
    return "; ".join(found[:SHOWN]) + (f" (and {more} more)" if more > 0 else "")


def refusal(tool: str, found: list[str]) -> CallToolResult:
    return error_result(f"refusing {tool}: the ledger cannot be trusted: {_listed(found)}", NEXT, "LedgerTampered")


def warned(result: CallToolResult, found: list[str]) -> CallToolResult:
    """``result`` with the integrity problems said first (text) and in ``_meta``."""
    from deploystate.state.ledger.redact import redact

    note = TextContent(type="text", text=redact(f"WARNING: the ledger cannot be trusted: {_listed(found)}\n"
                                                f"next: {NEXT.replace('; nothing was written', '')}"))
    meta = {**(result.meta or {}), META_KEY: {"problems": [redact(p) for p in found], "hint": NEXT}}
    return result.model_copy(update={"content": [note, *result.content], "meta": meta})
