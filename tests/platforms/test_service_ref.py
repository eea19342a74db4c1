"""A ServiceRef keeps its root as given (str or Path) and hands out the same Path as before."""

from __future__ import annotations

from pathlib import Path

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.registry import get_platform, use


def test_root_from_str_or_path_is_the_same_path() -> None:
    """str and Path roots give equal refs, equal hashes, a Path ``root`` and the str ``rootdir``."""
    a, b = ServiceRef("api", None, "/srv/app"), ServiceRef(name="api", config=None, root=Path("/srv/app"))
    assert a == b and hash(a) == hash(b)
    assert a.root == Path("/srv/app") and isinstance(b.root, Path) and a.rootdir == "/srv/app"
    assert repr(a) == "ServiceRef(name='api', config=None, root=PosixPath('/srv/app'))"
    assert a != ServiceRef("api", None, "/srv/other")


def test_use_installs_and_restores_an_override() -> None:
    """``use`` installs a platform for its block only, nested ones restore the outer one."""
    real = get_platform("command")
    outer, inner = object(), object()
    with use("command", outer) as got:
        assert got is outer and get_platform("command") is outer
        with use("command", inner):
            assert get_platform("command") is inner
        assert get_platform("command") is outer
    assert get_platform("command") is real
