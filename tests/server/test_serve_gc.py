"""`deploystate serve` loads the SDK and the server with the cyclic collector off, then serves with it on
and start-up's objects frozen (server/commands/serve.py)."""

from __future__ import annotations

import argparse
import gc

from deploystate.server.commands import serve
from deploystate.server.mcp import derived, mcp_app, warm


class _Server:
    """Stands in for the MCP server: notes the collector's state when it would start serving."""

    ctx = None

    def __init__(self) -> None:
        self.seen: dict[str, object] = {}

    def run(self, transport: str) -> None:
        self.seen = {"transport": transport, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}


def test_the_server_serves_with_the_collector_on_and_start_up_frozen(monkeypatch, tmp_path):
    """While building, the collector is off; when serving starts it is on again and start-up is frozen."""
    built: dict[str, bool] = {}
    server = _Server()

    def build_server(**options: object) -> _Server:
        built["enabled"] = gc.isenabled()
        return server

    monkeypatch.setattr(mcp_app, "build_server", build_server)
    monkeypatch.setattr(derived, "serve_deferred", lambda: None)  # no process-wide deferral in the test run
    monkeypatch.setattr(warm, "start", lambda root: None)
    monkeypatch.setattr(warm, "then", lambda ctx: None)
    args = argparse.Namespace(serve_root=str(tmp_path), root=None, token=None, http=False, host="127.0.0.1",
                              port=serve.DEFAULT_PORT, allowed_host=[], read_only=False, mode=None)
    assert gc.isenabled()
    try:
        assert serve.run(args) == 0
    finally:
        gc.unfreeze()
        gc.enable()
    assert built == {"enabled": False}
    assert server.seen["transport"] == "stdio" and server.seen["enabled"] is True
    assert server.seen["frozen"] > 0
