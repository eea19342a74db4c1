"""The tool listing shipped in the package (``tools_listing.json``): what ``tools/list`` answers while the
tool families are not registered yet.

Why: registering the families costs ~0.2 s of CPU (their imports, and the SDK's argument model and two JSON
schemas per tool), ~15% of a stdio server's first read, and the client lists the tools before its first
call. The listing is generated from the code (``python -m deploystate.server.mcp.listing``, rewritten by
``DEPLOYSTATE_UPDATE_SNAPSHOTS=1 pytest tests/server/test_mcp_server.py``, where a test fails when it
differs from the live listing) and committed.

It is used only when the key recorded in it is the key of the installed code: the sha256 of the source of
every deploystate module loaded while the listing was generated (the families, their models and what built
their schemas: any change to what a schema depends on changes one of these files, or a file importing a
new one), with the Python, pydantic and mcp versions. Otherwise (stale, missing, unreadable) the families
are registered and listed live: never a stale list. Either way a tool's family is registered for real on
its first call, so arguments are validated by the real models. The file is read from the installed
package, as its code is (docs/threat-model.md); nothing is ever written at run time.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("tools_listing.json")
ROOT_PACKAGE = "deploystate"
ABOUT = ("generated from the code by `python -m deploystate.server.mcp.listing` (or DEPLOYSTATE_UPDATE_SNAPSHOTS=1 "
         "pytest tests/server/test_mcp_server.py); used only while `key` matches the installed code")


def versions() -> list[str]:
    """What beside our sources decides the schemas: the interpreter, pydantic and the SDK."""
    from importlib.metadata import version

    import pydantic
    import pydantic_core

    return [f"python {sys.version_info[0]}.{sys.version_info[1]}", f"pydantic {pydantic.VERSION}",
            f"pydantic-core {pydantic_core.__version__}", f"mcp {version('mcp')}"]


def _spec(name: str) -> Any:
    """Module ``name``'s spec, found as the import system would, without importing it or its packages (a
    package's ``__init__`` may import more than a key needs)."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__spec__", None)
    parent, _, _ = name.rpartition(".")
    path = None
    if parent:
        path = getattr(_spec(parent), "submodule_search_locations", None)
        if not path:
            return None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        spec = find(name, path) if find is not None else None
        if spec is not None:
            return spec
    return None


def _origin(name: str) -> str | None:
    """The source file of module ``name`` (None: it has none, e.g. a namespace or compiled module)."""
    origin = getattr(_spec(name), "origin", None)
    return origin if isinstance(origin, str) and origin.endswith(".py") else None


def key(modules: list[str]) -> str | None:
    """sha256 of the versions and of each module's name and source bytes (None: a module has no source)."""
    digest = hashlib.sha256()
    for item in versions():
        digest.update(item.encode() + b"\0")
    for name in modules:
        origin = _origin(name)
        if origin is None:
            return None
        try:
            data = Path(origin).read_bytes()
        except OSError:
            return None
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def check(document: Any) -> list[dict[str, Any]] | None:
    """The tools of a listing ``document`` (pure but for reading the sources its key covers), or None when
    it is not one or its key is not that of the installed code."""
    if not isinstance(document, dict):
        return None
    modules, tools, recorded = document.get("modules"), document.get("tools"), document.get("key")
    if not (isinstance(modules, list) and modules and all(isinstance(m, str) and m.startswith(ROOT_PACKAGE + ".")
                                                           for m in modules)):
        return None
    if not isinstance(tools, list) or not isinstance(recorded, str):
        return None
    return tools if key(modules) == recorded else None


_LOADED: list[Any] = []  # [tools or None], decided once per process (the installed code does not change)


def load(path: Path | None = None) -> list[Any] | None:
    """The shipped listing (``PATH`` unless ``path``) as the SDK's ``Tool`` objects, or None (stale, missing,
    unreadable: list live)."""
    path = PATH if path is None else path
    if path == PATH and _LOADED:
        return list(_LOADED[0]) if _LOADED[0] is not None else None
    try:
        tools = check(json.loads(path.read_text(encoding="utf-8")))
        if tools is not None:
            from mcp_types import Tool

            tools = [Tool.model_validate(t) for t in tools]
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        tools = None
    if path == PATH:
        _LOADED[:] = [tools]
    return list(tools) if tools is not None else None


def dump(tools: list[Any]) -> list[dict[str, Any]]:
    """Tools as stored: the wire form the SDK sends them in."""
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def generate() -> dict[str, Any]:
    """The listing of the live server, every family registered, and its key (run in a fresh process: the
    key covers the deploystate modules loaded, and a test process has loaded many more)."""
    import anyio
    from mcp.server import MCPServer

    from .mcp_app import build_server

    server = build_server(mode="full")
    server.register_until(None)
    tools = dump(anyio.run(MCPServer.list_tools, server))
    modules = sorted(n for n, m in list(sys.modules.items()) if n.startswith(ROOT_PACKAGE + ".")
                     and _origin(n) is not None)
    return {"about": ABOUT, "key": key(modules), "versions": versions(), "modules": modules, "tools": tools}


if __name__ == "__main__":
    print(json.dumps(generate(), indent=1, sort_keys=True))
