"""``deploystate serve``: the MCP server for coding agents, over stdio (default) or streamable HTTP."""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import os
import sys
from typing import Any

from deploystate.state.errors import InputError

from ._common import arg, command

DEFAULT_PORT = 8765
TOKEN_ENV = "DEPLOYSTATE_MCP_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "serve", run,
            help="run the MCP server for coding agents (stdio, or HTTP with --http)",
            description="Run the deploystate MCP server. By default it speaks MCP over stdin/stdout, which is what "
                        "Claude Code, Codex, Cursor and Gemini CLI start. --http serves streamable HTTP on "
                        "127.0.0.1 instead; binding any other address requires a bearer token, checked on every "
                        "request. Every tool call is appended to <state_dir>/audit.jsonl.",
            epilog="examples:\n"
                   "  claude mcp add deploystate -- deploystate serve\n"
                   "  deploystate serve --read-only            # only the tools that change nothing\n"
                   "  deploystate serve --mode verify          # verify and record, never restart or roll back\n"
                   f"  deploystate serve --http --port {DEFAULT_PORT}   # http://127.0.0.1:{DEFAULT_PORT}/mcp\n"
                   f"  {TOKEN_ENV}=... deploystate serve --http --host 10.0.0.5",
            arguments=(
                arg("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp"),
                arg("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)"),
                arg("--port", type=int, default=DEFAULT_PORT, help=f"port with --http (default {DEFAULT_PORT})"),
                arg("--allowed-host", action="append", default=[], metavar="NAME",
                    help="a Host name clients use to reach the server (repeatable; e.g. the machine's DNS name). "
                         "Host and Origin headers are checked on every request whatever the bind: loopback "
                         "names and the bound address are always allowed"),
                arg("--token", help=f"bearer token every HTTP request must carry (or set {TOKEN_ENV}; the "
                                    "variable keeps it out of the process list); required off loopback"),
                arg("--mode", choices=("read-only", "verify", "full"), default=None,
                    help="what clients may call: read-only (tools that change nothing), verify (also verify, "
                         "preflight, record attempts and sessions, mark deployed; no restart or rollback), "
                         "full (default; destructive calls ask for confirmation). Enforced on every call"),
                arg("--read-only", action="store_true", help="the same as --mode read-only"),
                arg("--root", dest="serve_root", metavar="DIR",
                    help="repository root holding deploystate.toml (default: search upward from the current "
                         "directory)"),
            ))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, port: int, token: str | None) -> None:
    """Refuse an HTTP bind that would expose the tools without a token (pure)."""
    if not 0 < port < 65536:
        raise InputError(f"port {port} is out of range", "pass --port between 1 and 65535")
    if not is_loopback(host) and not token:
        raise InputError(f"refusing to serve on {host} without a bearer token: anyone who can reach it could "
                         "record into the ledger", f"set {TOKEN_ENV} (or pass --token), or bind 127.0.0.1")
    if token is not None and len(token) < 16:
        raise InputError("the bearer token is shorter than 16 characters",
                         "use a long random token, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe())'`")


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "[::]", "")


def allowed_hosts(bind: str, extra: list[str]) -> list[str]:
    """Host header values accepted (pure): loopback names, the bound address, and the names given.

    Why: DNS rebinding lets a web page reach a server by a name the attacker controls; checking Host
    (and Origin) on every request, not only on a loopback bind, is what stops it. A wildcard bind
    adds nothing by itself: name the hosts clients use with --allowed-host."""
    names = list(LOOPBACK_NAMES)
    if bind not in WILDCARD_BINDS and bind not in ("localhost",):
        names.append(f"[{bind.strip('[]')}]" if ":" in bind.strip("[]") else bind)
    for name in extra:
        name = name.strip().lower()
        if not name or any(c in name for c in "/ @*"):
            raise InputError(f"--allowed-host {name!r} is not a host name", "pass a bare name such as mcp.example")
        names.append(name)
    out: list[str] = []
    for name in dict.fromkeys(names):
        out += [name, f"{name}:*"]
    return out


def transport_security(bind: str, extra: list[str]) -> Any:
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = allowed_hosts(bind, extra)
    bare = [h for h in hosts if not h.endswith(":*")]
    origins = [f"{scheme}://{h}{port}" for h in bare for scheme in ("http", "https") for port in ("", ":*")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def bearer_matches(header: bytes, token: bytes) -> bool:
    """``Authorization: <scheme> <token>`` with the scheme compared case-insensitively (RFC 9110) (pure)."""
    scheme, _, value = header.strip().partition(b" ")
    ok_scheme = scheme.lower() == b"bearer"
    # Compared whatever the scheme, in constant time: no guessing by timing.
    return hmac.compare_digest(value.strip(), token) and ok_scheme


class BearerToken:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = token.encode("utf-8")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
            if not bearer_matches(given, self.expected):
                body = b'{"error":"missing or wrong bearer token","hint":"send Authorization: Bearer <token>"}'
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _refuse_bad_config(root: str | None) -> None:
    """A deploystate.toml the schema rejects stops the server before it serves (exit 2); with no
    project at all the server still starts, and each tool says how to create one."""
    from deploystate.state.errors import StateMissing
    from deploystate.state.config.project import Project

    from ._common import validated

    try:
        project = Project.discover(root)
    except StateMissing:
        return
    validated(project)


def run(args: argparse.Namespace) -> int:
    root = args.serve_root or getattr(args, "root", None)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if args.http:
        check_bind(args.host, args.port, token)
        allowed_hosts(args.host, args.allowed_host)  # a bad --allowed-host is refused before anything starts
    _refuse_bad_config(root)
    import gc

    # No cyclic collection while the SDK and the tools load: its passes over every object the imports made
    # cost ~5% of a cold start, and what start-up builds lives as long as the server (frozen below).
    gc.disable()
    from deploystate.server.mcp import derived, warm

    derived.serve_deferred()  # derived files after the reply, always before exit (server/mcp/derived.py)
    warm.start(root)  # the ledger's integrity checked while the SDK imports (server/mcp/warm.py)
    from deploystate.server.mcp import sdkload

    import contextlib

    stdio = not args.http  # stdio: neither the SDK's client half nor its HTTP packages (sdkload)
    if stdio:
        sdkload.without_package_init()
    stand_ins = sdkload.HTTP_ONLY + sdkload.WIRE_COPIES  # a session loads the wire models it negotiated
    with sdkload.http_stand_ins(stand_ins) if stdio else contextlib.nullcontext(), sdkload.deferred_builds():
        from deploystate.server.mcp.mcp_app import build_server  # the SDK loads only when serving

    if args.read_only and args.mode not in (None, "read-only"):
        raise InputError(f"--read-only contradicts --mode {args.mode}", "pass one of them")
    mode = "read-only" if args.read_only else (args.mode or "full")
    server = build_server(root=root, mode=mode, transport="http" if args.http else "stdio")
    warm.then(server.ctx)
    gc.freeze()  # start-up's objects are never scanned again: later collections see only the calls' objects
    gc.enable()
    if not args.http:
        server.run("stdio")
        return 0
    import uvicorn

    app: Any = server.streamable_http_app(host=args.host,
                                          transport_security=transport_security(args.host, args.allowed_host))
    if token:
        app = BearerToken(app, token)
    print(f"deploystate: MCP server on http://{args.host}:{args.port}/mcp"
          + (" (bearer token required)" if token else "") + f" (mode {mode})",
          file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                                  lifespan="on")).run()
    return 0
