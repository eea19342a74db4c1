"""What `deploystate serve` over stdio loads before its first answer: the SDK's server half, not its client
(``mcp/__init__.py`` is not run), and ``mcp_types``' models built only when used (server/mcp/sdkload.py).

The server runs in a fresh ``python -I`` process driven by the SDK's client over real stdio; the probe writes
``sys.modules`` and which SDK models were built when the server exits (after the client closed stdin).
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)

# Loaded by mcp/__init__.py only: the SDK's client, its transports and httpx helpers.
CLIENT_HALF = ("mcp.client", "mcp.shared._httpx_utils", "mcp.shared.memory", "mcp.types")
# Models of the protocol a stdio server never uses in a session that only lists tools and reads state.
UNUSED_MODELS = ("CreateMessageRequest", "CreateMessageResult", "ElicitRequest", "ListRootsResult",
                 "CompleteRequest", "GetPromptResult")

PROBE = """
import atexit, json, sys
out, root = sys.argv[1], sys.argv[2]

def dump():
    types = sys.modules.get("mcp_types")
    built = {name: getattr(types, name).__pydantic_complete__ for name in json.loads(sys.argv[3])} if types else {}
    json.dump({"modules": sorted(sys.modules), "built": built,
               "init_ran": "Client" in vars(sys.modules.get("mcp", sys))}, open(out, "w"))

atexit.register(dump)
from deploystate.server.cli import main
sys.exit(main(["serve", "--root", root]))
"""


def _serve(root: Path, tmp_path: Path) -> tuple[dict, object]:
    out = tmp_path / "modules.json"
    # Not under coverage (tools/test.sh measures subprocesses): coverage itself imports more.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    params = StdioServerParameters(command=sys.executable,
                                   args=["-I", "-c", PROBE, str(out), str(root), json.dumps(UNUSED_MODELS)],
                                   cwd=str(root), env=env)

    async def body():
        async with Client(params, read_timeout_seconds=60) as client:
            await client.list_tools()
            return await client.call_tool("read_deployment_state", {})

    state = run(body)
    return json.loads(out.read_text()), state


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_stdio_serve_answers_without_the_sdk_client_or_unused_models(project, tmp_path):
    """A stdio session (tools listed, state read) runs the SDK's server without its client half or
    mcp/__init__.py, and the protocol models it never used stay unbuilt; the answer is the usual one."""
    seen, state = _serve(project.root, tmp_path)
    assert not state.is_error and text(state).startswith("Status: UNKNOWN")  # command services: unknown, never OK
    assert "mcp.server.mcpserver" in seen["modules"] and "mcp_types" in seen["modules"]
    assert _loaded(seen["modules"], CLIENT_HALF) == []
    assert seen["init_ran"] is False
    assert seen["built"] == {name: False for name in UNUSED_MODELS}


def _installed(module: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


def test_the_sdk_package_init_only_imports():
    """mcp/__init__.py binds names and nothing else (what sdkload skips): a statement that does more
    (a registration, a patch, a warning filter) is a change of the SDK's layout to review here."""
    tree = ast.parse(_installed("mcp").read_text())
    other = [type(node).__name__ for node in tree.body
             if not isinstance(node, (ast.Import, ast.ImportFrom))
             and not (isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"])
             and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert other == []


def test_pydantic_keeps_its_config_defaults_where_sdkload_reads_them():
    """pydantic's private defaults dict holds defer_build False: where sdkload switches it (a moved or renamed
    dict would silently turn the deferral off)."""
    from deploystate.server.mcp import sdkload

    defaults = sdkload._pydantic_defaults()
    assert defaults is not None and defaults["defer_build"] is False
    with sdkload.deferred_builds() as deferring:
        assert deferring and defaults["defer_build"] is True
    assert defaults["defer_build"] is False
