"""server/mcp/sdkload.py: a package registered without running its __init__ (run on the first name only it
defines), and pydantic models created with their build deferred, which validate exactly as built ones."""

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
