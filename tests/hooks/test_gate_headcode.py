"""The hooks judge "deployed" claims by the one rule (``state.headcode``) on a real repository: a passing
verification covers HEAD while none of the service's files changed since it, whatever commit the deploy
record names, and stops covering it the moment one of them changes."""

from __future__ import annotations


def _claim(shop, message: str):
    """Commit an unrelated docs change with ``message`` (the commit-msg hook judges the claim in it)."""
    shop.repo.write("docs/readme.md", shop.path.joinpath("docs/readme.md").read_text() + "#\n")
    shop.git("add", "-A")
    return shop.git("commit", "-m", message)


def test_unchanged_unrestarted_service_passed_at_a_later_head_is_deployed(shop):
    """Deploy record at A, a docs-only commit B, api verified (pass) at B: api is not refused, although
    the deploy record's commit is not the verified one (the old commit comparison refused it)."""
    first = shop.repo.head()
    shop.deploy("api", first)
    later = shop.change("docs/notes.md", "notes\n", "docs")
    shop.verify("api", "pass", later)
    res = _claim(shop, "api deployed")
    assert res.returncode == 0, res.stderr
    assert shop.project.ledger.path.exists() and first != later


def test_a_change_to_the_service_after_its_pass_refuses_the_claim_naming_the_file(shop):
    """api passed at A; B changes api/app.py: "api deployed" is refused, naming the file; worker (whose
    files did not change) is still covered by its own pass at A."""
    first = shop.repo.head()
    for name in ("api", "worker"):
        shop.deploy(name, first)
        shop.verify(name, "pass", first)
    shop.change("api/app.py", "print('fixed')\n", "fix api")
    res = _claim(shop, "api deployed")
    assert res.returncode != 0
    assert "api/app.py" in res.stderr and "committed, not running" in res.stderr and "`api`" in res.stderr
    ok = _claim(shop, "worker deployed")
    assert ok.returncode == 0, ok.stderr


def test_a_pass_of_a_commit_missing_from_this_clone_is_refused(shop):
    """The passing verification names a commit this clone lacks: the rule cannot tell, so refused."""
    shop.deploy("api")
    shop.verify("api", "pass", "0" * 39 + "1")
    res = _claim(shop, "api deployed")
    assert res.returncode != 0 and "cannot be told whether that is HEAD's code" in res.stderr
