"""The pre-push hook at its edges: a config it cannot route by refuses every push, refs handed over by the
pre-commit framework are judged, a deletion is not a deploy, and a tag whose commit git cannot find or whose
ledger does not verify is refused. Through the real hook process in a real repository."""

from __future__ import annotations

from .conftest import run_hook

Z40 = "0" * 40


def _hook(shop, refs: str = "", env: dict[str, str] | None = None):
    return run_hook(["pre-push", "origin", str(shop.remote)], cwd=shop.path, input=refs, env=env)


def test_a_config_that_cannot_route_pushes_refuses_every_push(shop):
    """deploy_branches written as a string (not a list): which pushes deploy cannot be told, so even a
    feature-branch push is refused, naming the key; no override is offered."""
    text = (shop.path / "deploystate.toml").read_text()
    (shop.path / "deploystate.toml").write_text(text.replace('deploy_branches = ["main", "release/*"]',
                                                             'deploy_branches = "main"'))
    head = shop.repo.head()
    res = _hook(shop, f"refs/heads/feature {head} refs/heads/feature {Z40}\n")
    assert res.returncode == 1
    assert res.stderr.startswith("deploystate: refusing to push to origin.")
    assert "deploystate.toml is invalid (" in res.stderr and "project.deploy_branches: must be a list" in res.stderr
    assert "none while the config is invalid" in res.stderr


def test_refs_from_the_pre_commit_framework_are_judged(shop):
    """pre-commit passes the pushed branch in PRE_COMMIT_* variables (no stdin): a push of main with an
    unverified deploy is refused, whether the local branch resolves or not."""
    shop.deploy("api")
    for local in ("main", "no-such-branch"):
        res = _hook(shop, env={"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main", "PRE_COMMIT_LOCAL_BRANCH": local})
        assert res.returncode == 1, (local, res.stderr)
        assert "`api` was restarted at" in res.stderr
    res = _hook(shop, env={"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/feature", "PRE_COMMIT_LOCAL_BRANCH": "main"})
    assert res.returncode == 0 and "deploystate" not in res.stderr


def test_deleting_a_deploy_branch_is_not_a_deploy(shop):
    """A push that deletes main (all-zero local sha) pushes no code: it is not judged."""
    shop.deploy("api")
    res = _hook(shop, f"(delete) {Z40} refs/heads/main {shop.repo.head()}\n")
    assert res.returncode == 0 and "deploystate" not in res.stderr


def test_a_tag_of_a_commit_git_cannot_find_is_refused(shop):
    """A deployed/* tag naming a sha this clone does not have cannot have a passing verification."""
    shop.deploy("api")
    shop.verify("api", "pass")
    ghost = "1234567" + "0" * 33
    res = _hook(shop, f"refs/tags/deployed/x {ghost} refs/tags/deployed/x {Z40}\n")
    assert res.returncode == 1
    assert "tag `deployed/x` marks 1234567000 as deployed, but deploystate has no passing verification" in res.stderr


def test_a_tag_push_with_a_broken_chain_is_refused_for_the_chain(shop):
    """With the ledger's hash chain broken, a deployed/* tag (no branch pushed) is refused first for the
    chain: no verdict in it, the tag's pass included, can be trusted."""
    shop.deploy("api")
    shop.verify("api", "pass")
    ledger = shop.project.ledger.path
    text = ledger.read_text()
    ledger.write_text(text.replace('"name":"Test Dev"', '"name":"Someone Else"', 1))
    head = shop.repo.head()
    res = _hook(shop, f"refs/tags/deployed/y {head} refs/tags/deployed/y {Z40}\n")
    assert res.returncode == 1
    assert "1. the ledger's hash chain does not verify" in res.stderr


def test_a_push_ci_deploys_is_refused_when_its_pending_deploy_cannot_be_recorded(shop):
    """With deployed_by = "ci" an allowed push is a pending deploy; when the ledger cannot take that record
    (its lock cannot be opened), the push is refused rather than forgotten."""
    config = shop.path / "deploystate.toml"
    config.write_text(config.read_text().replace('doom_loop_after = 3', 'doom_loop_after = 3\ndeployed_by = "ci"'))
    shop.deploy("api")
    shop.verify("api", "pass")
    new = shop.change("api/app.py", "print('v2')\n")
    lock = shop.project.ledger.lock_path
    lock.unlink(missing_ok=True)
    lock.mkdir()
    res = _hook(shop, f"refs/heads/main {new} refs/heads/main {Z40}\n")
    assert res.returncode == 1, res.stderr
    assert "refusing the push: the pending CI deploy could not be recorded" in res.stderr
    lock.rmdir()
    res = _hook(shop, f"refs/heads/main {new} refs/heads/main {Z40}\n")
    assert res.returncode == 0, res.stderr
    assert f"api: pushed {new[:12]} to main, CI deploy pending" in res.stderr
