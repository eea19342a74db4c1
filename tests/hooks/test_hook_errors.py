"""The pre-push decisions (allowed, refused, HEAD moved on) never load the error classes no hook raises."""

from __future__ import annotations

from .conftest import AGENT
from .test_hook_imports import _modules, _refs


def test_pre_push_decisions_load_no_rare_error_class(shop, tmp_path):
    """Allowed at the verified commit, allowed after HEAD moved on (one git diff through proc), and refused
    (an unverified deploy): none imports errors_rare."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.state.errors" in modules and "deploystate.state.errors_rare" not in modules
    shop.change("README.md", "moved on\n")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.state.git.proc" in modules and "deploystate.state.errors_rare" not in modules
    shop.deploy("api", author=AGENT)
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 1 and "deploystate.state.errors_rare" not in modules
