"""pre-push with [project.hooks] sync_before: a teammate's failure, seen before deciding."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deploystate.state.ledger.ledger import Ledger
from deploystate.state.git.sync_git import sync

from .conftest import CONFIG, Shop, run_hook


def _enable_sync(shop: Shop) -> None:
    shop.change("deploystate.toml", CONFIG.replace('doom_loop_after = 3\n',
                                                   'doom_loop_after = 3\n\n[project.hooks]\nsync_before = true\n'
                                                   'sync_timeout = "10s"\n'), "sync before push")


def test_teammates_failed_verification_synced_before_push_refuses_it(shop: Shop, tmp_path: Path) -> None:
    """A failure recorded in another clone reaches this clone's pre-push through the ledger ref."""
    _enable_sync(shop)
    shop.git("push", "-q", "--no-verify", "origin", "main")
    mate = tmp_path / "mate"
    subprocess.run(["git", "clone", "-q", str(shop.remote), str(mate)], check=True, timeout=60)
    led = Ledger(mate / ".deploystate")
    led.append("deploy", {"service": "api", "commit": shop.repo.head(), "status": "restarted"})
    led.append("verification", {"service": "api", "commit": shop.repo.head(), "verdict": "fail",
                                "summary": "health: HTTP 500 since the restart"})
    assert sync(mate, led).pushed
    shop.change("api/app.py", "print('api v2')\n", "api v2")
    res = shop.push()
    assert res.returncode != 0
    assert "synced with origin" in res.stderr and "api" in res.stderr


def test_unreachable_remote_during_sync_says_offline_and_still_decides(shop: Shop) -> None:
    """With the remote gone, the hook says it is offline and decides from local state."""
    _enable_sync(shop)
    shop.repo.git("remote", "add", "gone", str(shop.path.parent / "missing.git"))
    shop.deploy("api")
    head = shop.repo.head()
    res = run_hook(["pre-push", "gone", str(shop.path.parent / "missing.git")], cwd=shop.path,
                   input=f"refs/heads/main {head} refs/heads/main {'0' * 40}\n")
    assert "offline" in res.stderr
    assert res.returncode == 1 and "refusing to push main" in res.stderr
