"""What `deploystate serve` over stdio loads before its first answer: the SDK's server half, not its client
(``mcp/__init__.py`` is not run) nor the HTTP packages its HTTP transports use (httpx2, sse_starlette and
uvicorn behind it), and ``mcp_types``' models built only when used (server/mcp/sdkload.py).

The server runs in a fresh ``python -I`` process driven by the SDK's client over real stdio; the probe writes
``sys.modules`` and which SDK models were built when the server exits (after the client closed stdin).
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.server.mcp_support import elicitation, project, run, text  # noqa: F401 (fixture)

# Loaded by mcp/__init__.py only: the SDK's client, its transports and httpx helpers.
CLIENT_HALF = ("mcp.client", "mcp.shared._httpx_utils", "mcp.shared.memory", "mcp.types")
# Imported by the SDK's HTTP transports and HTTP resources, and what they pull in.
HTTP_PACKAGES = ("httpx2", "sse_starlette", "uvicorn", "httpcore2", "h11", "click")
# Models of the protocol a stdio server never uses in a session that only lists tools and reads state.
UNUSED_MODELS = ("CreateMessageRequest", "CreateMessageResult", "ElicitRequest", "ListRootsResult",
                 "CompleteRequest", "GetPromptResult")

# The SDK's module-level TypeAdapters a server never validates with (the client's halves of the protocol).
UNUSED_ADAPTERS = ("client_request_adapter", "client_notification_adapter", "client_result_adapter",
                   "server_request_adapter", "server_notification_adapter", "server_result_adapter")

PROBE = """
import atexit, json, sys
out, root = sys.argv[1], sys.argv[2]

def dump():
    types = sys.modules.get("mcp_types")
    built = {name: getattr(types, name).__pydantic_complete__ for name in json.loads(sys.argv[3])} if types else {}
    built.update({name: getattr(types, name).pydantic_complete for name in json.loads(sys.argv[4])} if types else {})
    json.dump({"modules": sorted(sys.modules), "built": built,
               "init_ran": "Client" in vars(sys.modules.get("mcp", sys))}, open(out, "w"))

atexit.register(dump)
from deploystate.server.cli import main
sys.exit(main(["serve", "--root", root]))
"""


def _serve(root: Path, tmp_path: Path, mode: str = "auto", restart: bool = False) -> tuple[dict, object]:
    out = tmp_path / "modules.json"
    # Not under coverage (tools/test.sh measures subprocesses): coverage itself imports more.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    params = StdioServerParameters(command=sys.executable,
                                   args=["-I", "-c", PROBE, str(out), str(root), json.dumps(UNUSED_MODELS),
                                         json.dumps(UNUSED_ADAPTERS)],
                                   cwd=str(root), env=env)

    async def body():
        async with Client(params, read_timeout_seconds=60, mode=mode,
                          elicitation_callback=elicitation() if restart else None) as client:
            await client.list_tools()
            if restart:  # a confirmation asked by elicitation (the SDK checks its schema with a wire model)
                return await client.call_tool("restart_affected", {"services": ["web"]})
            return await client.call_tool("read_deployment_state", {})

    state = run(body)
    return json.loads(out.read_text()), state


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_stdio_serve_answers_without_the_sdk_client_http_packages_or_unused_models(project, tmp_path):
    """A stdio session (tools listed, state read) runs the SDK's server without its client half,
    mcp/__init__.py or the HTTP packages, and the protocol models it never used stay unbuilt; the answer is
    the usual one."""
    seen, state = _serve(project.root, tmp_path)
    assert not state.is_error and text(state).startswith("Status: UNKNOWN")  # command services: unknown, never OK
    assert "mcp.server.mcpserver" in seen["modules"] and "mcp_types" in seen["modules"]
    assert _loaded(seen["modules"], CLIENT_HALF) == []
    assert _loaded(seen["modules"], HTTP_PACKAGES) == []
    assert seen["init_ran"] is False
    assert seen["built"] == {name: False for name in UNUSED_MODELS + UNUSED_ADAPTERS}


# The protocol's wire models per schema era (sdkload.WIRE_COPIES): the handshake's, the 2026-07-28 one's.
ERAS = {"legacy": "mcp_types._v2025_11_25", "auto": "mcp_types._v2026_07_28"}


@pytest.mark.parametrize("mode", sorted(ERAS))
def test_a_stdio_session_loads_only_the_wire_models_it_negotiated(project, tmp_path, mode):
    """Over real stdio, a handshake session (legacy) and a 2026-07-28 one (auto) each load their era's wire
    models, never the other era's; the answer is the usual one."""
    seen, state = _serve(project.root, tmp_path, mode)
    assert not state.is_error and text(state).startswith("Status: UNKNOWN")
    assert ERAS[mode] in seen["modules"]
    assert [m for m in ERAS.values() if m in seen["modules"]] == [ERAS[mode]]


@pytest.mark.parametrize("mode", sorted(ERAS))
def test_an_elicited_restart_over_stdio_works_in_both_eras(project, tmp_path, mode):
    """A destructive call confirmed by elicitation over real stdio (the SDK's schema check of the question
    builds its adapter of a wire model on first use) restarts, in both eras."""
    _, result = _serve(project.root, tmp_path, mode, restart=True)
    assert not result.is_error, text(result)
    assert result.structured_content["confirmed_by"] == "elicitation"


def test_the_wire_models_are_never_generic():
    """What sdkload's stand-ins answer without the real object (no type parameters) is what every name of the
    installed wire copies answers."""
    import importlib

    from deploystate.server.mcp import sdkload

    generic = []
    for name in sdkload.WIRE_COPIES:
        module = importlib.import_module(name)
        generic += [f"{name}.{k}" for k, v in vars(module).items() if not k.startswith("_") and
                    (getattr(v, "__parameters__", ()) or hasattr(v, "__typing_subst__"))]
    assert generic == []


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
    assert sdkload._adapter_deferral() is not None  # TypeAdapter's _defer_build property, which it switches


def _uses_outside_functions(tree: ast.Module, names: set[str]) -> list[str]:
    """Where ``names`` are used other than inside a function body, or in an ``except`` clause anywhere."""
    found: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            found.extend(f"except at line {n.lineno}" for n in ast.walk(node.type)
                         if isinstance(n, ast.Name) and n.id in names)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return
        if isinstance(node, ast.Name) and node.id in names and not in_function:
            found.append(f"line {node.lineno}")
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.arguments):  # defaults run when the function is defined; a function's
                for default in (*child.defaults, *(d for d in child.kw_defaults if d is not None)):
                    visit(default, in_function)  # annotations are only stored (a stand-in there stays one)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child is node.returns:
                continue
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in node.decorator_list:
                visit(child, in_function)
            else:
                visit(child, inner)

    visit(tree, False)
    return found


def test_the_sdk_uses_its_http_packages_only_inside_functions():
    """In the installed SDK's server and shared modules, what is imported from httpx2 and sse_starlette is
    used only inside functions and never named in an except clause: the stand-ins sdkload gives a stdio
    start are then used, and replaced by the real objects, only if such a function runs."""
    from deploystate.server.mcp import sdkload

    base = _installed("mcp").parent
    checked, problems = 0, {}
    for path in sorted([*base.glob("server/**/*.py"), *base.glob("shared/**/*.py")]):
        module = "mcp." + ".".join(path.relative_to(base).with_suffix("").parts)
        if _loaded([module], CLIENT_HALF):
            continue  # the client half: not loaded by a stdio server at all (the first test)
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {(a.asname or a.name).partition(".")[0] for a in node.names
                          if a.name.partition(".")[0] in sdkload.HTTP_ONLY}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").partition(".")[0] in sdkload.HTTP_ONLY:
                names |= {a.asname or a.name for a in node.names}
        if names:
            checked += 1
            where = _uses_outside_functions(tree, names)
            if where:
                problems[str(path.relative_to(base))] = where
    assert checked >= 3 and problems == {}


def test_the_sdk_is_the_version_sdkload_was_checked_against():
    """sdkload rests on mcp 2.3's layout (the tests above check it): another version is reviewed here first."""
    from importlib.metadata import version

    assert version("mcp").split(".")[:2] == ["2", "3"], "check server/mcp/sdkload.py against this SDK, then bump"
