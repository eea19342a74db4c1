"""What an MCP server mode lets a client call, decided from each tool's annotations (pure).

Three modes, from the ``deploystate serve --mode`` the user put in the client's config:

- ``read-only``: only tools annotated read-only (observe, read the state and memory).
- ``verify``: also the tools that write without touching the runtime: verify, preflight, record
  attempts and sessions, mark deployed. Nothing annotated destructive (restart, rollback).
- ``full``: everything.

The gate reads the annotations, not tool names, so a new destructive tool is refused in ``verify``
without anyone listing it, and it is applied when a tool is CALLED (the listing only mirrors it):
a client that calls a tool it was never shown is refused the same way.
"""

from __future__ import annotations

from typing import Any

MODES = ("read-only", "verify", "full")
DEFAULT = "full"

DESCRIPTIONS = {
    "read-only": "only tools that change nothing",
    "verify": "observe, verify, record attempts and sessions, mark deployed; no restart or rollback",
    "full": "every tool, restart and rollback included (destructive calls ask for confirmation)",
}


def refusal(mode: str, annotations: Any) -> str | None:
    """Why ``mode`` refuses a tool with these annotations, or None when it is allowed.

    Missing hints count against the tool (MCP's defaults: not read-only, destructive)."""
    read_only = bool(getattr(annotations, "read_only_hint", False))
    destructive = getattr(annotations, "destructive_hint", None)
    destructive = True if destructive is None else bool(destructive)
    if mode == "full":
        return None
    if mode == "read-only" and not read_only:
        return "the server runs in read-only mode (--mode read-only / --read-only): this tool changes something"
    if mode == "verify" and not read_only and destructive:
        return ("the server runs in verify mode (--mode verify): it may observe, verify, record and mark "
                "deployed, but not restart or roll back (this tool is destructive)")
    if mode not in MODES:
        return f"unknown server mode {mode!r}"
    return None
