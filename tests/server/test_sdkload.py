"""server/mcp/sdkload.py: a package registered without running its __init__ (run on the first name only it
defines), pydantic models created with their build deferred, which validate exactly as built ones, and
stand-ins for HTTP-only packages that are the real objects as soon as they are used."""

from __future__ import annotations

import sys
import threading

import pytest
from pydantic import BaseModel, Field, ValidationError

from deploystate.server.mcp import sdkload


@pytest.fixture
def pkg(tmp_path, monkeypatch):
    """A package whose __init__ counts its runs and binds a name from its submodule."""
    root = tmp_path / "sdkload_pkg"
    root.mkdir()
    (root / "__init__.py").write_text("import builtins\n"
                                      "builtins.SDKLOAD_RUNS = getattr(builtins, 'SDKLOAD_RUNS', 0) + 1\n"
                                      "from .sub import VALUE\nfrom . import other as other\nNAME = 'from init'\n")
    (root / "sub.py").write_text("VALUE = 42\n")
    (root / "other.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins
    monkeypatch.setattr(builtins, "SDKLOAD_RUNS", 0, raising=False)
    yield "sdkload_pkg"
    for name in [m for m in sys.modules if m == "sdkload_pkg" or m.startswith("sdkload_pkg.")]:
        del sys.modules[name]


def test_submodules_import_without_the_package_init(pkg):
    """After without_package_init, a submodule imports and the package's __init__ has not run."""
    import builtins

    assert sdkload.without_package_init(pkg) is True
    from sdkload_pkg.sub import VALUE  # type: ignore[import-not-found]

    assert VALUE == 42 and builtins.SDKLOAD_RUNS == 0


def test_the_first_name_only_init_defines_runs_it_once(pkg):
    """A name only __init__ binds runs __init__ then (once, in the same module); an unknown name still fails."""
    import builtins

    sdkload.without_package_init(pkg)
    import sdkload_pkg.sub  # noqa: F401  # type: ignore[import-not-found]

    module = sys.modules[pkg]
    assert module.NAME == "from init" and builtins.SDKLOAD_RUNS == 1
    from sdkload_pkg import NAME, other  # type: ignore[import-not-found]

    assert NAME == "from init" and other.X == 1 and builtins.SDKLOAD_RUNS == 1
    with pytest.raises(AttributeError):
        module.nothing_here  # noqa: B018
    assert builtins.SDKLOAD_RUNS == 1 and sys.modules[pkg] is module


def test_threads_asking_at_once_run_init_once(pkg):
    """Two threads asking for an __init__ name at the same time both get it, and __init__ runs once."""
    import builtins

    sdkload.without_package_init(pkg)
    module = sys.modules[pkg]
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(module.NAME)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == ["from init"] * 4 and builtins.SDKLOAD_RUNS == 1


def test_an_imported_package_is_left_alone(pkg):
    """A package already imported is not replaced (in-process users keep the module they have)."""
    import sdkload_pkg  # type: ignore[import-not-found]

    assert sdkload.without_package_init(pkg) is False and sys.modules[pkg] is sdkload_pkg


def test_a_deferred_model_is_built_on_first_use_and_refuses_the_same_input():
    """A model made inside deferred_builds is unbuilt until used, then validates and refuses as a built one."""
    with sdkload.deferred_builds() as deferring:
        class Deferred(BaseModel):
            name: str = Field(max_length=5)
            count: int

    class Eager(BaseModel):
        name: str = Field(max_length=5)
        count: int

    assert deferring is True
    assert Deferred.__pydantic_complete__ is False and Eager.__pydantic_complete__ is True
    assert Deferred.model_validate({"name": "ab", "count": "3"}).count == 3
    for bad in ({"name": "toolong", "count": 1}, {"name": "a", "count": "x"}, {"name": "a"}):
        with pytest.raises(ValidationError) as deferred_error:
            Deferred.model_validate(bad)
        with pytest.raises(ValidationError) as eager_error:
            Eager.model_validate(bad)
        assert deferred_error.value.errors() == eager_error.value.errors()
    assert Deferred.model_json_schema()["properties"] == Eager.model_json_schema()["properties"]


def test_the_default_is_restored_even_when_the_import_fails():
    """An exception inside deferred_builds leaves pydantic's default as it was (later models built as always)."""
    with pytest.raises(RuntimeError):
        with sdkload.deferred_builds():
            raise RuntimeError("import failed")

    class After(BaseModel):
        x: int

    assert After.__pydantic_complete__ is True


@pytest.fixture
def http_pkg(tmp_path, monkeypatch):
    """A package standing for an HTTP library: a class, an exception, a function, and a submodule."""
    root = tmp_path / "fakehttp"
    root.mkdir()
    (root / "__init__.py").write_text("import builtins\nbuiltins.FAKEHTTP_IMPORTED = True\n"
                                      "class Client:\n    def get(self): return 'real'\n"
                                      "class HTTPError(Exception): pass\n"
                                      "def fetch(): return 'fetched'\n")
    (root / "sse.py").write_text("class EventSource:\n    kind = 'sse'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins
    monkeypatch.setattr(builtins, "FAKEHTTP_IMPORTED", False, raising=False)
    yield "fakehttp"
    sdkload._RELEASED.discard("fakehttp")
    for name in [m for m in sys.modules if m == "fakehttp" or m.startswith("fakehttp.")]:
        del sys.modules[name]


def test_names_from_a_stood_in_package_import_nothing_until_used(http_pkg):
    """Inside http_stand_ins, names and submodules of the package import nothing; after it, no stand-in
    stays in sys.modules."""
    import builtins

    with sdkload.http_stand_ins((http_pkg,)):
        from fakehttp import Client, fetch  # type: ignore[import-not-found]
        from fakehttp.sse import EventSource  # type: ignore[import-not-found]
    assert builtins.FAKEHTTP_IMPORTED is False
    assert all(isinstance(x, sdkload.StandIn) for x in (Client, fetch, EventSource))
    assert [m for m in sys.modules if m.startswith("fakehttp")] == []


def test_a_stand_in_is_the_real_object_once_used(http_pkg):
    """Called, subclassed, read or checked with isinstance, a stand-in imports the real package and acts as
    the real object; the package imported later is the real one, and the same objects."""
    import builtins

    with sdkload.http_stand_ins((http_pkg,)):
        from fakehttp import Client, HTTPError, fetch  # type: ignore[import-not-found]
        from fakehttp.sse import EventSource  # type: ignore[import-not-found]
    assert fetch() == "fetched" and builtins.FAKEHTTP_IMPORTED is True
    client = Client()
    assert client.get() == "real" and isinstance(client, Client)

    class Sub(HTTPError):
        pass

    import fakehttp  # type: ignore[import-not-found]

    assert issubclass(Sub, fakehttp.HTTPError) and issubclass(Sub, HTTPError)
    assert EventSource.kind == "sse" and type(client) is fakehttp.Client
    with pytest.raises(fakehttp.HTTPError):
        raise Sub("refused")


def test_a_package_already_imported_is_not_stood_in(http_pkg):
    """A package imported before the window stays the real module inside it."""
    import fakehttp  # type: ignore[import-not-found]

    with sdkload.http_stand_ins((http_pkg,)):
        from fakehttp import Client  # type: ignore[import-not-found]
    assert Client is fakehttp.Client


@pytest.fixture
def wire_pkg(tmp_path, monkeypatch):
    """A package with a wire-model subpackage: two pydantic models and their union, as mcp_types' copies."""
    root = tmp_path / "fakewire"
    (root / "_v1").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "_v1" / "__init__.py").write_text("import builtins\nbuiltins.FAKEWIRE_IMPORTED = True\n"
                                              "from pydantic import BaseModel\n"
                                              "class A(BaseModel):\n    a: int\n"
                                              "class B(BaseModel):\n    b: str\n"
                                              "AB = A | B\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins
    monkeypatch.setattr(builtins, "FAKEWIRE_IMPORTED", False, raising=False)
    yield "fakewire._v1"
    sdkload._RELEASED.discard("fakewire._v1")
    sdkload._STOOD.discard("fakewire._v1")
    for name in [m for m in sys.modules if m == "fakewire" or m.startswith("fakewire.")]:
        del sys.modules[name]


def test_a_stood_in_wire_copy_loads_on_first_use_deferred_and_validates_as_the_real_one(wire_pkg):
    """Maps of its models and a TypeAdapter of its union made at import load nothing; the first use loads the
    real models (built on first use) and they, and the adapter, validate as the real ones."""
    import builtins

    from pydantic import TypeAdapter

    with sdkload.http_stand_ins((wire_pkg,)):
        import fakewire._v1 as v1  # type: ignore[import-not-found]
        surface = {"a": v1.A, "ab": v1.AB}
        adapter = TypeAdapter[v1.AB](v1.AB)  # as mcp/server/elicitation.py does at import
    assert builtins.FAKEWIRE_IMPORTED is False and "fakewire" in sys.modules
    assert surface["a"].model_validate({"a": 1}).a == 1 and builtins.FAKEWIRE_IMPORTED is True
    real = sys.modules["fakewire._v1"]
    assert real.B.__pydantic_complete__ is False  # created deferred, as the SDK's models were
    assert adapter.validate_python({"b": "x"}) == real.B(b="x")
    with pytest.raises(ValidationError) as ours:
        adapter.validate_python({"c": 1})
    with pytest.raises(ValidationError) as theirs:
        TypeAdapter(real.AB).validate_python({"c": 1})
    assert ours.value.errors() == theirs.value.errors()


def test_nested_deferral_keeps_the_outer_one():
    """A deferral inside another (a stand-in resolved while the SDK imports) leaves the outer one in effect."""
    with sdkload.deferred_builds():
        with sdkload.deferred_builds():
            pass

        class Inside(BaseModel):
            x: int

    assert Inside.__pydantic_complete__ is False
    assert Inside(x=1).x == 1


def test_an_adapter_of_a_union_is_built_on_first_use_and_refuses_the_same_input():
    """A TypeAdapter made inside deferred_builds (a union: no config of its own) is unbuilt until used, then
    validates and refuses as one made outside; adapters made after are built at once."""
    from pydantic import TypeAdapter

    class A(BaseModel):
        a: int

    class B(BaseModel):
        b: str = Field(max_length=3)

    with sdkload.deferred_builds():
        deferred = TypeAdapter(A | B)
    eager = TypeAdapter(A | B)
    assert deferred.pydantic_complete is False and eager.pydantic_complete is True
    assert deferred.validate_python({"b": "x"}) == eager.validate_python({"b": "x"})
    with pytest.raises(ValidationError) as ours:
        deferred.validate_python({"b": "long"})
    with pytest.raises(ValidationError) as theirs:
        eager.validate_python({"b": "long"})
    assert ours.value.errors() == theirs.value.errors()
