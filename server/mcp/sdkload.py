"""Load the MCP SDK's server classes for ``deploystate serve`` without work a server does not need before its
first answers. Both are about when work happens, never about what is validated or served:

- (stdio only) ``mcp/__init__.py`` imports the SDK's whole client (``Client``, the stdio, SSE and
  streamable-HTTP clients, the session group, httpx's helpers) next to the server: 25 modules, ~89M
  instructions (3% of the SDK's import) that a server never runs. The package is registered from its spec
  without running ``__init__``; its submodules (``mcp.server``, ``mcp.shared`` ...) import as usual. The
  first look-up of a name only ``__init__`` defines (``from mcp import Client``, ``mcp.ClientSession``) runs
  the real ``__init__`` then, in that same module object (PEP 562 ``__getattr__``), so code needing it works.
- pydantic builds a validator and serializer for each of ``mcp_types``' ~550 models as their classes are
  created; a stdio session uses a few dozen. While the SDK and the server modules import, models are created
  with pydantic's ``defer_build`` (their schema is built on first use, by pydantic's own mechanism: the same
  validator, later): -334M instructions, 12% of the SDK's import. The default is restored before this returns,
  so classes made afterwards (the tools' argument models) are built as always. (A model the warm-up thread
  creates meanwhile may be deferred too: built at its first use, it validates the same.)

Both rest on the SDK's and pydantic's layout (``mcp/__init__.py`` only imports; pydantic keeps its config
defaults in ``pydantic._internal._config.config_defaults``). When either is not as expected this does nothing
and the import is the usual one; tests/server/test_serve_imports.py fails loudly when that layout changes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from typing import Any, Iterator

PACKAGE = "mcp"


def without_package_init(name: str = PACKAGE) -> bool:
    """Register package ``name`` in ``sys.modules`` without running its ``__init__`` (run on the first
    look-up of a name it would define). False, and nothing changed, when it is imported already or is
    not a plain source package."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations \
            or not hasattr(spec.loader, "exec_module"):
        return False
    module = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    state = {"ran": False, "running": False}

    def __getattr__(attr: str) -> Any:
        with lock:  # another thread waits here until the init ran; this thread's own nested look-ups pass
            if state["running"] or state["ran"]:
                # during the init: a name it has not bound yet (the import system then loads the submodule);
                # after it: a name the package does not define
                raise AttributeError(f"module {name!r} has no attribute {attr!r}")
            state["running"] = True
            try:
                spec.loader.exec_module(module)  # type: ignore[union-attr]
                state["ran"] = True
            finally:
                state["running"] = False
        return getattr(module, attr)

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[name] = module
    return True


def _pydantic_defaults() -> dict[str, Any] | None:
    """pydantic's config defaults (a private dict: None when its layout is not the one known)."""
    try:
        from pydantic._internal import _config
    except ImportError:
        return None
    defaults = getattr(_config, "config_defaults", None)
    if not isinstance(defaults, dict) or defaults.get("defer_build") is not False:
        return None
    return defaults


@contextlib.contextmanager
def deferred_builds() -> Iterator[bool]:
    """pydantic models created inside are built on first use; yields whether that is in effect."""
    defaults = _pydantic_defaults()
    if defaults is None:
        yield False
        return
    defaults["defer_build"] = True
    try:
        yield True
    finally:
        defaults["defer_build"] = False
