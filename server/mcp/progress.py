"""Progress and log notifications from a long tool call (verify, restart, preflight, rollback).

Why: a verify can run for minutes (default deadline 300 s) and clients give a
tool call a fixed timeout; ``notifications/progress`` is what tells the client
(and the agent reading it) that the call is alive and what finished. The SDK
sends progress only when the caller's request carried a progress token, so the
reporter can always be called.

Tool bodies run on an anyio worker thread and checks report from their own
threads, so each notification is handed back to the event loop with a short
bound: a client that stops reading cannot stall a verification; after one
failed send the reporter goes quiet for the rest of the call.

Log notifications (``notifications/message``) follow the level the client
asked for: on handshake-era connections through ``logging/setLevel`` (kept
per connection in ``LogLevels``); on 2026-07-28 connections the SDK itself
applies the per-request level the client put in ``_meta``.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import warnings
from typing import Any

LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
DEFAULT_LEVEL = "info"      # a client that never called logging/setLevel
SEND_TIMEOUT = 2.0          # seconds one notification may take before the reporter gives up
MAX_CONNECTIONS = 1000      # remembered log levels (HTTP serves many sessions)


class LogLevels:
    """The ``logging/setLevel`` of each connection (keyed by the connection object's id)."""

    def __init__(self) -> None:
        self._levels: dict[int, str] = {}
        self._lock = threading.Lock()

    def set(self, key: Any, level: str) -> None:
        with self._lock:
            if len(self._levels) >= MAX_CONNECTIONS:
                self._levels.pop(next(iter(self._levels)))
            self._levels[id(key)] = level

    def allows(self, key: Any, level: str) -> bool:
        with self._lock:
            wanted = self._levels.get(id(key), DEFAULT_LEVEL)
        return LEVELS.index(level) >= LEVELS.index(wanted)


# The event loop's token, set by the server's call_tool on the loop itself; the tool's worker thread
# inherits it (anyio runs the tool in a copy of the call's context), so no call pays a round trip to the
# loop to learn it.
LOOP: contextvars.ContextVar[Any] = contextvars.ContextVar("deploystate_loop_token", default=None)


def remember_loop() -> None:
    """On the event loop, before a tool call is handed to its worker thread."""
    import anyio.lowlevel

    LOOP.set(anyio.lowlevel.current_token())


def connection_of(session: Any) -> Any:
    """The object that identifies a client connection (its log level is kept per connection)."""
    return getattr(session, "_connection", session)


class Reporter:
    """Progress (one notification per finished step) and log lines for one tool call."""

    def __init__(self, context: Any = None, levels: LogLevels | None = None, tool: str = "") -> None:
        self.context, self.levels, self.tool = context, levels, tool
        self.count = 0
        self.started = 0          # checks started (the denominator shown in messages)
        self._lock = threading.Lock()
        self._token = None
        self._quiet = context is None
        if not self._quiet:
            self._token = LOOP.get()  # the event loop's token lets check threads call back
            if self._token is None:
                try:  # not set by the server's call_tool: asked of the loop from the tool's worker thread
                    import anyio.from_thread
                    import anyio.lowlevel
                    self._token = anyio.from_thread.run_sync(anyio.lowlevel.current_token)
                except Exception:  # not on a worker thread (a direct call): no notifications, never an error
                    self._quiet = True

    # -- what tool bodies pass to the platform and verify layers --------------------------------
    def line(self, message: str) -> None:
        """A restart / rollback step finished (``platforms.base.Progress``)."""
        level = "warning" if " failed" in message else "info"
        self.step(message, level)

    def checks(self, key: str, event: str, text: str) -> None:
        """A ``verify.runner`` event: one progress notification per finished check."""
        if event == "start":
            with self._lock:
                self.started += 1
            return
        if event == "finished":
            with self._lock:
                done = self.count + 1
            result = text.split(" ", 1)[0]
            self.step(f"{key} finished: {text} ({done}/{max(done, self.started)} checks)"[:500],
                      "warning" if result in ("fail", "inconclusive") else "info")
        elif event == "measure":
            self.log(f"{key}: measurement {text}"[:500], "debug")
        elif event == "done":
            self.log(f"{key}: {text}"[:500], "debug")

    # -- sending --------------------------------------------------------------------------------
    def step(self, message: str, level: str = "info") -> None:
        with self._lock:
            self.count += 1
            n = self.count
        self._send(self._progress_and_log, n, message, level)

    def log(self, message: str, level: str = "info") -> None:
        self._send(self._log, message, level)

    async def _progress_and_log(self, n: int, message: str, level: str) -> None:
        await self.context.report_progress(n, None, message)
        await self._log(message, level)

    async def _log(self, message: str, level: str) -> None:
        if self.levels is not None and not self.levels.allows(connection_of(self.context.request_context.session), level):
            return
        with warnings.catch_warnings():  # logging is deprecated at 2026-07-28, still what clients show
            warnings.simplefilter("ignore")
            await self.context.log(level, message, logger_name=f"deploystate.{self.tool}")

    def _send(self, fn: Any, *args: Any) -> None:
        if self._quiet:
            return
        from deploystate.state.ledger.redact import redact

        args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        try:
            import anyio
            import anyio.from_thread

            async def bounded() -> None:
                with anyio.fail_after(SEND_TIMEOUT):
                    await fn(*args)
            anyio.from_thread.run(bounded, token=self._token)
        except Exception as exc:  # a closed stream or a stalled client: the call itself goes on
            self._quiet = True
            print(f"deploystate serve: progress for {self.tool} stopped: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
