"""Build the deploystate MCP server: an explicit list of tool families, each ``register(server, ctx)``.

Every tool call passes through ``DeploystateServer.call_tool``, which is where
the guarantees that hold for all families live: an unknown tool or argument
gets a readable error naming what exists, argument validation errors name the
field and the limit, nothing escapes as an exception (the server never dies on
a tool error), and each call is appended to ``<state_dir>/audit.jsonl``.
Families import platform SDKs (boto3, kubernetes, docker) inside their tool
functions, never at module level, so starting the server stays fast.

Families are registered when first needed, not at start: a family's tools cost the SDK a pydantic
argument model and two JSON schemas each (~0.25 s of CPU for all of them, a fifth of a cold start),
and neither the handshake nor a first ``read_deployment_state`` needs the other families. An unknown
name, any name of a later family, or listing the tools (when the listing shipped in the package is not
the installed code's: server/mcp/listing.py) registers, in ``TOOL_MODULES`` order, what is still
missing, so the list, its order and every schema are the same as an eager registration's.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from deploystate.state.errors import InputError

from . import audit as audit_log
from . import derived, listing, modes, progress, schema_flat
from .mcp_context import ToolContext, client_name
from .tool_errors import error_info, error_result, validation_message

# Tool families, registered in this order (the order tools are listed in).
TOOL_MODULES = (
    "deploystate.server.tools.state",
    "deploystate.server.tools.memory",
    "deploystate.server.tools.verify",
    "deploystate.server.tools.platform",
    "deploystate.server.tools.logs",
)

INSTRUCTIONS = """\
deploystate knows what is really running. Committed is not running; "deployment successful" is not \
"system working". Before changing anything: call read_deployment_state, then check_attempt with the change \
you have in mind (it tells you whether it was tried before and how it ended), and start_session with your \
goal. Record every attempt with record_attempt, including failures. Before you finish: end_session with \
what you did, what is broken and what to do next."""


class DeploystateServer(MCPServer):
    """MCPServer whose ``call_tool`` never raises for a tool's own failure, and audits every call."""

    ctx: ToolContext
    _modules: tuple[str, ...]  # the families it serves
    _unregistered: list[str]  # families not registered yet, in TOOL_MODULES order
    _registering: threading.Lock

    def register_until(self, name: str | None = None) -> None:
        """Register the families still missing, in order, until one of them has the tool ``name`` (every
        family with None, or when no family has it). A lock: HTTP sessions and tests may ask from threads."""
        with self._registering:
            while self._unregistered and (name is None or self._tool_manager.get_tool(name) is None):
                _register(self, self._unregistered.pop(0))

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None
                        ) -> CallToolResult | InputRequiredResult:
        started = time.perf_counter()
        progress.remember_loop()  # the tool's worker thread inherits it (no round trip to the loop per call)
        later = derived.current()
        if later is not None:
            later.touch()  # the derived files of the last call wait until the server is quiet
        self.register_until(name)
        result = self._precheck(name, arguments)
        if result is None:
            try:
                result = await super().call_tool(name, arguments, context)
            except MCPError as exc:
                self._audit(name, arguments, error_result(f"protocol error: {exc}"),
                            (time.perf_counter() - started) * 1000, context)
                raise  # protocol errors stay protocol errors
            except UnexpectedToolError as exc:
                result = error_result(f"internal error in {name}: {type(exc.__cause__).__name__}",
                                      "this is a deploystate bug (the traceback is on the server's stderr)",
                                      "InternalError")
            except ToolError as exc:
                cause = exc.__cause__
                if isinstance(cause, ValidationError):
                    result = error_result(validation_message(cause), "fix the arguments named above; the tool's "
                                          "input schema lists every limit", "InputError")
                else:
                    result = error_result(str(exc), "list the tools to see what this server offers", "ToolError")
        self._audit(name, arguments, result, (time.perf_counter() - started) * 1000, context)
        return result

    async def list_tools(self) -> list[Any]:
        """Only the tools the server's mode allows (the same rule refuses the others when called). While a
        family is unregistered, the listing shipped in the package answers when it is the installed code's
        (server/mcp/listing.py); else every family is registered and listed live."""
        tools = listing.load() if self._unregistered and self._modules == TOOL_MODULES else None  # its families
        if tools is None:
            self.register_until(None)
            tools = await super().list_tools()
        return [t for t in tools if modes.refusal(self.ctx.mode, t.annotations) is None]

    def _precheck(self, name: str, arguments: dict[str, Any]) -> CallToolResult | None:
        """Tools the mode refuses, unknown tools and unknown argument names, as errors that say what exists."""
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            offered = ", ".join(t.name for t in self._tool_manager.list_tools()
                                if modes.refusal(self.ctx.mode, t.annotations) is None)
            return error_result(f"unknown tool {name!r}", f"this server offers: {offered}", "InputError")
        why = modes.refusal(self.ctx.mode, tool.annotations)
        if why is not None:  # enforced here, at the call, whatever the client was shown
            return error_result(f"tool {name!r} is not available: {why}; nothing was done",
                                "use the CLI, or ask the user to restart the server with a wider --mode "
                                f"(now {self.ctx.mode})", "Refused")
        allowed = set(tool.parameters.get("properties", {}))
        extra = sorted(set(arguments or {}) - allowed)
        if extra:
            return error_result(f"unknown argument{'s' if len(extra) > 1 else ''} for {name}: {', '.join(extra)}",
                                f"{name} takes: {', '.join(sorted(allowed)) or 'no arguments'}", "InputError")
        return None

    # Resources and prompts come with the families too: every family first.
    async def list_resources(self) -> list[Any]:
        self.register_until(None)
        return await super().list_resources()

    async def list_resource_templates(self) -> list[Any]:
        self.register_until(None)
        return await super().list_resource_templates()

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        self.register_until(None)
        return await super().read_resource(uri, context)

    async def list_prompts(self) -> list[Any]:
        self.register_until(None)
        return await super().list_prompts()

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None) -> Any:
        self.register_until(None)
        return await super().get_prompt(name, arguments, context)

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The SDK's look-up for HTTP header validation, which runs before ``call_tool``."""
        self.register_until(name)
        return super()._tool_input_schema(name)

    def _audit(self, name: str, arguments: dict[str, Any], result: Any, duration_ms: float, context: Any) -> None:
        """Append the call to the audit log; a failure here is reported on stderr, never to the caller."""
        try:
            is_error = bool(getattr(result, "is_error", False))
            error = str(error_info(result).get("error", "")) if is_error else None
            log = self.ctx.audit()
            if log is not None:
                log.write(audit_log.entry(name, arguments, "error" if is_error else "ok", duration_ms, error=error,
                                          client=client_name(context) if context is not None else None,
                                          transport=self.ctx.transport))
        except Exception as exc:  # the audit must not turn a finished call into a failure
            print(f"deploystate serve: audit of {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)


def build_server(*, root: str | None = None, read_only: bool = False, transport: str = "stdio",
                 modules: tuple[str, ...] = TOOL_MODULES, mode: str | None = None) -> DeploystateServer:
    """The server with every family in ``modules`` registered; ``mode`` (or ``read_only``) limits what
    clients may call (``deploystate.server.mcp.modes``)."""
    mode = mode or ("read-only" if read_only else modes.DEFAULT)
    if mode not in modes.MODES:
        raise InputError(f"unknown mode {mode!r}", f"use one of: {', '.join(modes.MODES)}")
    server = DeploystateServer("deploystate", version=_version(), instructions=INSTRUCTIONS,
                               log_level="WARNING", warn_on_duplicate_tools=True)
    ctx = ToolContext(root=root, mode=mode, transport=transport, server=server)
    server.ctx = ctx
    server._modules = tuple(modules)
    server._unregistered = list(modules)  # registered when first needed (register_until)
    server._registering = threading.Lock()
    _serve_log_levels(server, ctx)
    return server


def _register(server: DeploystateServer, module: str) -> None:
    """Register one family's tools, published as every tool of this server is."""
    before = {t.name for t in server._tool_manager.list_tools()}
    importlib.import_module(module).register(server, server.ctx)
    for tool in server._tool_manager.list_tools():
        if tool.name in before:
            continue
        # Published so clients reject a misspelt argument too; call_tool enforces it either way.
        tool.parameters["additionalProperties"] = False
        schema = tool.fn_metadata.output_schema
        if schema:  # same documents accepted, validated twice as fast by clients (see schema_flat)
            flat = schema_flat.flatten(schema)
            schema.clear()
            schema.update(flat)


def _serve_log_levels(server: DeploystateServer, ctx: ToolContext) -> None:
    """Answer ``logging/setLevel`` (handshake-era clients): log notifications honour the level asked for."""
    from mcp_types import EmptyResult, SetLevelRequestParams

    from .progress import connection_of

    async def set_level(request_ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        ctx.log_levels.set(connection_of(request_ctx.session), params.level)
        return EmptyResult()

    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("deploystate")
    except Exception:  # not installed as a distribution (a bare checkout): the version is only informative
        return ""


