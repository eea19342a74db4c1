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
  creates meanwhile may be deferred too: built at its first use, it validates the same.) TypeAdapters too: an
  adapter of a union has no config to defer it by, and ``mcp_types`` makes seven at import (the protocol's
  request, notification and result unions of both directions) of which a server validates with one (-143M).

- (stdio only) the SDK's HTTP transports and its HTTP resources import ``sse_starlette`` and ``httpx2`` at
  module level (with uvicorn, h11, httpcore and click behind them: -186M instructions, 6% of a first read),
  and use them only inside functions a stdio server never calls. While the SDK imports, those two packages
  are stand-ins (``StandIn``): a name taken from them imports the real package the first time it is used
  (called, subclassed, an attribute read, an isinstance check), so whatever does use them gets the real
  objects. Once the SDK is loaded the stand-in modules leave ``sys.modules``: a later import is the real one.
- (stdio only) ``mcp_types`` holds the protocol's wire models twice more, one copy per schema era (2025-11-25
  for the handshake, 2026-07-28), ~240M instructions each; a session validates against the era it negotiated.
  Both are stand-ins too while the SDK imports (``WIRE_COPIES``): the SDK's maps of them hold stand-ins, and
  the first use of one (``model_validate``, a TypeAdapter's first validation) imports that era's copy, its
  models created deferred as above. -197M instructions to a first read (the other era's copy never loads).

These rest on the SDK's and pydantic's layout (``mcp/__init__.py`` only imports; pydantic keeps its config
defaults in ``pydantic._internal._config.config_defaults`` and TypeAdapter's choice in its ``_defer_build``
property; the SDK uses the two HTTP packages only inside
functions, and of the wire copies only reads names, validates and adapts, none of them generic). When the
first two are not as expected they do nothing and the import is the usual one;
tests/server/test_serve_imports.py fails loudly when any of that layout changes.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any, Iterator

PACKAGE = "mcp"
HTTP_ONLY = ("httpx2", "sse_starlette")  # imported by the SDK's HTTP transports and HTTP resources only
# The protocol's wire models, one copy per schema era: a session validates against the one it negotiated.
WIRE_COPIES = ("mcp_types._v2025_11_25", "mcp_types._v2026_07_28")


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
            if state["running"]:  # during the init, a name it has not bound yet: the import system then
                raise AttributeError(f"module {name!r} has no attribute {attr!r}")  # loads the submodule
            if not state["ran"]:
                state["running"] = True
                try:
                    spec.loader.exec_module(module)  # type: ignore[union-attr]
                    state["ran"] = True
                finally:
                    state["running"] = False
        try:
            return module.__dict__[attr]
        except KeyError:  # a name the package does not define either
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

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


def _adapter_deferral() -> Any:
    """pydantic's ``TypeAdapter`` and its ``_defer_build`` property (None when that layout is not the known one)."""
    from pydantic import TypeAdapter

    return TypeAdapter if isinstance(TypeAdapter.__dict__.get("_defer_build"), property) else None


_ALWAYS = property(lambda self: True)


@contextlib.contextmanager
def deferred_builds() -> Iterator[bool]:
    """pydantic models and TypeAdapters created inside are built on first use (an adapter of a union carries no
    config to say so: the SDK's seven module-level ones, of which a server uses one); yields whether that is in
    effect."""
    defaults = _pydantic_defaults()
    if defaults is None:
        yield False
        return
    adapter = _adapter_deferral()
    defaults["defer_build"] = True  # (nested: the outer one's is in effect, _pydantic_defaults gave None)
    known = adapter.__dict__["_defer_build"] if adapter is not None else None
    if adapter is not None:
        adapter._defer_build = _ALWAYS
    try:
        yield True
    finally:
        if adapter is not None:
            adapter._defer_build = known
        defaults["defer_build"] = False


_LOCK = threading.RLock()
# Asked of a stand-in when it is an argument of ``TypeAdapter[X](X)`` (typing's subscription, pydantic's
# ``issubclass(X, BaseModel)`` reading ``__bases__``), as mcp/server/elicitation.py does at import: answered
# without the real object, as its absence (the wire models and their unions are never generic; pydantic then
# defers the adapter, see ``__pydantic_config__``).
TYPING_PROBES = frozenset(("__typing_subst__", "__parameters__", "__typing_is_unpacked_typevartuple__", "__bases__",
                           "__typing_unpacked_tuple_args__"))
_STOOD: set[str] = set()  # packages given stand-ins
_RELEASED: set[str] = set()  # packages a stand-in was used from: imported for real since


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _real(module: str) -> types.ModuleType:
    """The real ``module``: its package's stand-ins dropped from ``sys.modules`` and imported as usual (its
    pydantic models built on first use, as the SDK's were)."""
    with _LOCK:
        package = next((p for p in _STOOD if _within(module, p)), module.partition(".")[0])
        _RELEASED.add(package)
        for name in [n for n, m in list(sys.modules.items()) if isinstance(m, _StandInModule)
                     and _within(n, package)]:
            del sys.modules[name]
        with deferred_builds():
            return importlib.import_module(module)


class StandIn:
    """A name imported from an HTTP-only package while the SDK loaded: the real object on first use."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_target", None)

    def resolve(self) -> Any:
        target = object.__getattribute__(self, "_target")
        if target is None:
            module, name = object.__getattribute__(self, "_module"), object.__getattribute__(self, "_name")
            real = _real(module)
            target = getattr(real, name)
            object.__setattr__(self, "_target", target)
        return target

    def __getattr__(self, attr: str) -> Any:
        if attr in TYPING_PROBES:  # what the real (never generic) object answers too: it has none
            raise AttributeError(attr)
        return getattr(self.resolve(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (self.resolve(),)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self.resolve())

    def __subclasscheck__(self, cls: Any) -> bool:
        return issubclass(cls, self.resolve())

    # pydantic: a TypeAdapter of a stand-in (the SDK adapts wire models and unions at import) is built on its
    # first use, and from the real object's schema: the same validator and serializer.
    __pydantic_config__ = {"defer_build": True}

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return handler(self.resolve())

    def __repr__(self) -> str:
        return f"<stand-in for {object.__getattribute__(self, '_module')}.{object.__getattribute__(self, '_name')}>"


class _StandInModule(types.ModuleType):
    """A module of an HTTP-only package: each name read from it is a ``StandIn`` (the same one each time)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        stand_in = StandIn(self.__name__, name)
        setattr(self, name, stand_in)
        return stand_in


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every module of the packages given (not yet released) as a ``_StandInModule``."""

    def __init__(self, packages: tuple[str, ...]) -> None:
        self.packages = packages

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        package = next((p for p in self.packages if _within(name, p)), None)
        if package is None or package in _RELEASED:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandInModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []  # a package: its submodules come from this finder too


@contextlib.contextmanager
def http_stand_ins(packages: tuple[str, ...] = HTTP_ONLY) -> Iterator[None]:
    """Inside, importing ``packages`` (not imported yet) gives stand-ins; after, they leave ``sys.modules``."""
    with _LOCK:
        packages = tuple(p for p in packages if p not in sys.modules)
        _STOOD.update(packages)
        finder = _StandInFinder(packages)
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        with _LOCK:
            sys.meta_path.remove(finder)
            for name in [n for n, m in list(sys.modules.items()) if isinstance(m, _StandInModule)]:
                del sys.modules[name]
