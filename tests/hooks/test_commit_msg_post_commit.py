"""commit-msg refuses unverified "deployed" claims; post-commit and post-merge say what is not running."""

from __future__ import annotations


def _commit(shop, message: str, rel: str = "api/app.py", env: dict | None = None):
    shop.repo.write(rel, shop.path.joinpath(rel).read_text() + "#\n")
    shop.git("add", "-A")
    return shop.git("commit", "-m", message, env=env)


def test_claim_refused_without_verification(shop):
    """"deployed to production" is refused while the running commit has no passing verification."""
    shop.deploy("api")
    res = _commit(shop, "Fix checkout; deployed to production")
    assert res.returncode != 0
    assert 'it says "Fix checkout; deployed to production"' in res.stderr
    assert "deploystate verify api" in res.stderr
    assert "committed, not yet deployed" in res.stderr


def test_a_claim_on_a_hash_line_of_git_commit_m_is_refused(shop):
    """git commit -m keeps "#" lines in the stored message, so a claim there is refused like any other."""
    res = _commit(shop, "Fix checkout\n\n# deployed to production")
    assert res.returncode != 0 and "deployed to production" in res.stderr, res.stderr
    assert "deployed to production" not in shop.repo.git("log", "-1", "--format=%B").stdout


def test_claim_refused_when_nothing_was_ever_deployed(shop):
    """With no deploy on record, "it is live" cannot be true as far as deploystate knows."""
    res = _commit(shop, "The new pricing page is live")
    assert res.returncode != 0
    assert "no record of any deploy" in res.stderr


def test_claim_allowed_after_passing_verification(shop):
    """Once the running commit verified, the same claim is allowed."""
    shop.deploy("api")
    shop.verify("api", "pass")
    res = _commit(shop, "Fix checkout; deployed to production")
    assert res.returncode == 0, res.stderr


def test_plain_and_negated_messages_pass(shop):
    """Messages that claim nothing, or say it is not deployed yet, are never refused."""
    shop.deploy("api")
    for message in ("Refactor the cart", "Fix checkout (not deployed yet)", "Prepare what will be deployed Monday",
                    "Is it deployed?"):
        res = _commit(shop, message)
        assert res.returncode == 0, (message, res.stderr)


def test_claim_naming_one_service_checks_that_service(shop):
    """A claim that names `worker` is judged on worker alone."""
    shop.deploy("api")
    shop.deploy("worker")
    shop.verify("worker", "pass")
    assert _commit(shop, "worker deployed and verified working").returncode == 0
    res = _commit(shop, "api deployed")
    assert res.returncode != 0 and "`api`" in res.stderr


def test_configured_patterns_replace_defaults(shop):
    """[project.hooks] commit_msg_patterns replaces the default claim patterns."""
    config = shop.path / "deploystate.toml"
    config.write_text(config.read_text().replace(
        "doom_loop_after = 3\n", "doom_loop_after = 3\n\n[project.hooks]\ncommit_msg_patterns = ['(?i)shipped']\n"))
    shop.deploy("api")
    assert _commit(shop, "api deployed").returncode == 0
    assert _commit(shop, "api shipped").returncode != 0


def test_claim_override_is_recorded(shop):
    """DEPLOYSTATE_OVERRIDE lets a claim through and records it."""
    shop.deploy("api")
    res = _commit(shop, "deployed", env={"DEPLOYSTATE_OVERRIDE": "release notes wording, verified by hand"})
    assert res.returncode == 0, res.stderr
    rec = shop.ledger_records()[-1]
    assert rec["kind"] == "override" and rec["payload"]["hook"] == "commit-msg"


def test_post_commit_names_affected_services(shop):
    """After a commit touching api/, post-commit says Committed is not running and how to restart api."""
    running = shop.repo.head()
    shop.deploy("api")
    res = _commit(shop, "tweak api", "api/app.py")
    assert res.returncode == 0
    assert "Committed is not running" in res.stderr
    assert f"api: running {running[:10]}" in res.stderr
    assert "changed: api/app.py" in res.stderr
    assert "deploystate restart api" in res.stderr and "deploystate verify api" in res.stderr
    assert "worker" not in res.stderr


def test_post_commit_quiet_for_unowned_files(shop):
    """A commit touching no service's paths prints nothing."""
    res = _commit(shop, "docs", "docs/readme.md")
    assert res.returncode == 0
    assert "deploystate" not in res.stderr


def test_post_commit_never_blocks_on_broken_config(shop):
    """An unreadable config makes post-commit say so, never fail the commit."""
    (shop.path / "deploystate.toml").write_text("[project\nname=")
    shop.git("add", "-A")
    res = shop.git("commit", "-m", "break config")
    assert res.returncode == 0


def test_post_merge_names_services_the_merge_brought(shop):
    """A merge that brings worker changes says worker is not running them."""
    shop.git("checkout", "-q", "-b", "side")
    shop.change("worker/tasks.py", "print('w2')\n")
    shop.git("checkout", "-q", "main")
    shop.change("docs/readme.md", "main side\n")
    res = shop.git("merge", "--no-edit", "side")
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    assert "Committed is not running" in out and "worker: never deployed" in out


def _patterns(shop, value: str) -> None:
    config = shop.path / "deploystate.toml"
    config.write_text(config.read_text().replace(
        "doom_loop_after = 3\n", f"doom_loop_after = 3\n\n[project.hooks]\ncommit_msg_patterns = {value}\n"))


def test_a_claim_on_a_line_git_strips_as_a_comment_is_no_claim(shop):
    """With core.commentChar ';' and an edited message, a '; deployed to production' line is a comment git
    drops: allowed, and the commit says nothing of it; with '#' the same line is kept and refused."""
    shop.deploy("api")
    shop.git("config", "core.commentChar", ";")
    message = shop.path.parent / "message.txt"
    message.write_text("Refactor the cart\n\n; deployed to production\n")
    shop.repo.write("api/app.py", shop.path.joinpath("api/app.py").read_text() + "#\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-F", str(message), "-e", env={"GIT_EDITOR": "true"})
    assert res.returncode == 0, res.stderr
    assert "deployed" not in shop.git("log", "-1", "--format=%B").stdout
    shop.git("config", "core.commentChar", "#")
    shop.repo.write("api/app.py", shop.path.joinpath("api/app.py").read_text() + "#\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-F", str(message), "-e", env={"GIT_EDITOR": "true"})
    assert res.returncode != 0 and "deployed to production" in res.stderr


def test_an_invalid_claim_pattern_is_named_and_the_commit_refused(shop):
    """A commit_msg_patterns entry that is no regex: named on stderr, and even a plain message is refused
    (the hook cannot tell whether it claims a deployment)."""
    _patterns(shop, "['(?i)shipped', '(unclosed']")
    res = _commit(shop, "Refactor the cart")
    assert res.returncode != 0
    assert "ignoring invalid commit_msg_patterns entry '(unclosed'" in res.stderr
    assert "cannot tell whether its message claims a deployment" in res.stderr


def test_claim_patterns_of_the_wrong_type_refuse_every_commit(shop):
    """commit_msg_patterns as a string, not a list of strings: refused, saying the config is invalid."""
    _patterns(shop, "'(?i)shipped'")
    res = _commit(shop, "Refactor the cart")
    assert res.returncode != 0 and "deploystate.toml is invalid" in res.stderr


def test_an_override_without_a_real_reason_does_not_let_a_claim_through(shop):
    """DEPLOYSTATE_OVERRIDE=yes is no reason: said so, the claim refused, no override recorded."""
    shop.deploy("api")
    before = len(shop.ledger_records())
    res = _commit(shop, "deployed", env={"DEPLOYSTATE_OVERRIDE": "yes"})
    assert res.returncode != 0 and "is not a reason" in res.stderr
    assert [r["kind"] for r in shop.ledger_records()[before:]] == []


def test_an_unreadable_message_file_refuses(shop):
    """The hook given a message file that does not exist: exit 1, naming the path (never a silent pass)."""
    from tests.hooks.conftest import run_hook

    res = run_hook(["commit-msg", str(shop.path / "no-such-message")], cwd=shop.path)
    assert res.returncode == 1 and "cannot read the commit message" in res.stderr and "no-such-message" in res.stderr
