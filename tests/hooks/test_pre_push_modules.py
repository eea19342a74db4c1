"""What the pre-push decisions load: never the error classes no hook raises; an allowed push with plain globs
and no durations in its config neither globs nor ids."""

from __future__ import annotations

import tomllib

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


def test_an_allowed_push_checks_plain_globs_without_globs_or_ids(shop, tmp_path):
    """The config's paths are all plain (no brackets) and it sets no duration: the allowed push validates it
    without importing state.config.globs or state.ledger.ids; a bracketed glob loads globs to be judged."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    text = (shop.path / "deploystate.toml").read_text(encoding="utf-8")
    globs = [g for svc in tomllib.loads(text)["services"].values() for g in svc.get("paths", [])]
    assert globs and not [g for g in globs if "[" in g or "]" in g]
    assert not any(k in text for k in ("recheck_after", "verify_deadline", "sync_timeout"))
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.state.config.configcheck" in modules
    assert "deploystate.state.config.globs" not in modules and "deploystate.state.ledger.ids" not in modules
    (shop.path / "deploystate.toml").write_text(text.replace('"api/**"', '"api/[ab]*"', 1), encoding="utf-8")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert "deploystate.state.config.globs" in modules
