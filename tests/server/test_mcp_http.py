"""``deploystate serve --http``: streamable HTTP on a loopback port, and the bearer token rules."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from typing import Iterator

import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from deploystate.server.mcp.audit import AuditLog
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)
from tests.server.test_mcp_stdio import deploystate_bin

TOKEN = "test-token-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def http_server(root, *extra: str, env: dict | None = None, port: int | None = None) -> Iterator[str]:
    port = port or _free_port()
    bind = extra[extra.index("--host") + 1] if "--host" in extra else "127.0.0.1"
    reach = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
    proc = subprocess.Popen([deploystate_bin(), "serve", "--http", "--port", str(port), "--root", str(root), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"deploystate serve --http exited {proc.returncode}: {proc.stderr.read()}")
            try:
                socket.create_connection((reach, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("deploystate serve --http did not start listening within 20 s")
                time.sleep(0.05)
        yield f"http://{reach}:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _post_status(url: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', method="POST",
                                 headers={"content-type": "application/json",
                                          "accept": "application/json, text/event-stream", **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _passed(status: int) -> bool:
    """Past the gates (token 401, Origin 403, Host 421): a bare ping then gets the transport's own answer
    (400: no MCP session yet)."""
    return status not in (401, 403, 421)


def test_http_on_loopback_serves_the_tools(project):
    """--http on 127.0.0.1 answers tool calls over streamable HTTP and audits them as http."""
    with http_server(project.root) as url:
        async def body():
            async with Client(url) as client:
                return await client.list_tools(), await client.call_tool("read_deployment_state", {})
        tools, state = run(body)
    assert "read_deployment_state" in {t.name for t in tools.tools}
    assert not state.is_error and text(state).startswith("Status:")
    assert [(a["tool"], a["transport"]) for a in AuditLog(project.state_dir).read()] == [
        ("read_deployment_state", "http")]


def test_bearer_token_is_checked_on_every_request(project):
    """With a token set, requests without it (or with a wrong one) get 401; the right one gets through."""
    with http_server(project.root, env={"DEPLOYSTATE_MCP_TOKEN": TOKEN}) as url:
        assert _post_status(url, {}) == 401
        assert _post_status(url, {"authorization": "Bearer wrong-token-wrong-token"}) == 401

        async def body():
            http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
            async with http, Client(streamable_http_client(url, http_client=http)) as client:
                return await client.call_tool("read_deployment_state", {})
        assert not run(body).is_error


def test_non_loopback_bind_without_token_is_refused(project):
    """Binding beyond loopback without a token exits 2 with the fix, before listening on anything."""
    env = {k: v for k, v in os.environ.items() if k != "DEPLOYSTATE_MCP_TOKEN"}
    out = subprocess.run([deploystate_bin(), "serve", "--http", "--host", "0.0.0.0", "--root", str(project.root)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert "without a bearer token" in out.stderr and "DEPLOYSTATE_MCP_TOKEN" in out.stderr


def test_host_and_origin_are_checked_on_a_wildcard_bind_with_a_token(project):
    """On 0.0.0.0 with a token, a foreign Host (421) or Origin (403) is refused even with the right token."""
    port = _free_port()
    with http_server(project.root, "--host", "0.0.0.0", "--allowed-host", "mcp.example", port=port,
                     env={"DEPLOYSTATE_MCP_TOKEN": TOKEN}) as url:
        auth = {"authorization": f"Bearer {TOKEN}"}
        assert _post_status(url, {**auth, "host": "evil.example"}) == 421
        assert _post_status(url, {**auth, "host": f"evil.example:{port}"}) == 421
        assert _post_status(url, {**auth, "origin": "http://evil.example"}) == 403
        assert _passed(_post_status(url, {**auth, "host": f"mcp.example:{port}", "origin": "https://mcp.example"}))
        assert _passed(_post_status(url, {**auth, "origin": f"http://127.0.0.1:{port}"}))


def test_host_is_checked_on_a_named_bind(project):
    """Binding a named loopback address still refuses a Host header naming anything else."""
    with http_server(project.root, "--host", "127.0.0.2") as url:
        assert "127.0.0.2" in url and _post_status(url, {"host": "evil.example"}) == 421
        assert _passed(_post_status(url, {}))


def test_the_bearer_scheme_is_case_insensitive(project):
    """'bearer', 'BEARER' and 'Bearer' all carry the token; another scheme with the same token does not."""
    with http_server(project.root, env={"DEPLOYSTATE_MCP_TOKEN": TOKEN}) as url:
        for scheme in ("bearer", "BEARER", "Bearer"):
            assert _passed(_post_status(url, {"authorization": f"{scheme} {TOKEN}"})), scheme
        assert _post_status(url, {"authorization": f"Basic {TOKEN}"}) == 401
        assert _post_status(url, {"authorization": TOKEN}) == 401
