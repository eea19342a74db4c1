"""The pre-push hook, through real `git push` to a local bare remote."""

from __future__ import annotations

import json

from deploystate.state.tamper import chainmark


def test_feature_branch_push_is_not_judged(shop):
    """A push to a branch that is not a deploy branch goes through whatever the deploy state."""
    shop.deploy("api")
    shop.git("checkout", "-q", "-b", "feature/x")
    shop.change("api/app.py", "print('x')\n")
    res = shop.push("origin", "feature/x")
    assert res.returncode == 0, res.stderr
    assert "deploystate" not in res.stderr


def test_unverified_deploy_refuses_push_to_main(shop):
    """A restarted but unverified deploy refuses the push, naming service, commit, when and the next command."""
    head = shop.repo.head()
    shop.deploy("api")
    shop.change("api/app.py", "print('v2')\n")
    res = shop.push()
    assert res.returncode != 0
    assert "refusing to push main to origin" in res.stderr
    assert "`api` was restarted at " + head[:10] in res.stderr
    assert "UTC by Test Dev" in res.stderr
    assert "deploystate verify api" in res.stderr
    assert 'DEPLOYSTATE_OVERRIDE="<why this cannot wait>" git push origin main' in res.stderr
    remote_main = shop.git("ls-remote", "origin", "refs/heads/main").stdout.split()[0]
    assert remote_main != shop.repo.head()


def test_glob_deploy_branch_is_judged(shop):
    """deploy_branches accepts globs: release/* is a deploy branch too."""
    shop.deploy("api")
    shop.git("checkout", "-q", "-b", "release/1.2")
    res = shop.push("origin", "release/1.2")
    assert res.returncode != 0
    assert "release/1.2" in res.stderr


def test_passing_verification_allows_push(shop):
    """Once the running commit has a passing verification, the push goes through."""
    shop.deploy("api")
    shop.verify("api", "pass")
    shop.change("api/app.py", "print('v2')\n")
    res = shop.push()
    assert res.returncode == 0, res.stderr
    assert "allowed" in res.stderr
    assert shop.git("ls-remote", "origin", "refs/heads/main").stdout.split()[0] == shop.repo.head()


def test_failed_verification_refuses_until_resolved(shop):
    """A failed verification refuses the push with its summary; a later pass resolves it."""
    commit = shop.repo.head()
    shop.deploy("api")
    shop.verify("api", "fail", summary="health endpoint returned 500")
    shop.change("api/app.py", "print('v2')\n")
    res = shop.push()
    assert res.returncode != 0
    assert f"verification of `api` at {commit[:10]} FAILED" in res.stderr
    assert "health endpoint returned 500" in res.stderr
    assert "health: HTTP 500" in res.stderr
    assert "deploystate restart api" in res.stderr and "deploystate rollback api" in res.stderr
    shop.deploy("api")
    shop.verify("api", "pass")
    assert shop.push().returncode == 0


def test_inconclusive_verification_refuses(shop):
    """Unknown evidence is never a pass: an inconclusive verdict refuses the push."""
    shop.deploy("worker")
    shop.verify("worker", "inconclusive", summary="docker daemon did not answer")
    shop.change("worker/tasks.py", "print('v2')\n")
    res = shop.push()
    assert res.returncode != 0
    assert "INCONCLUSIVE" in res.stderr and "docker daemon did not answer" in res.stderr


def test_failed_restart_refuses(shop):
    """A restart that failed is a broken deploy until it is redone and verified."""
    shop.deploy("api", status="failed")
    shop.change("api/app.py", "print('v2')\n")
    res = shop.push()
    assert res.returncode != 0
    assert "the restart of `api`" in res.stderr and "FAILED" in res.stderr


def test_doom_loop_refuses_push(shop):
    """Three failed verifications in a row raise DOOM LOOP, which refuses the push and says to stop."""
    for i in range(3):
        shop.deploy("api")
        shop.verify("api", "fail", summary=f"attempt {i} still crashes")
    shop.change("api/app.py", "print('v4')\n")
    res = shop.push()
    assert res.returncode != 0
    assert "DOOM LOOP: verifications failed in a row with no pass between: `api` 3" in res.stderr
    assert "attempt 2 still crashes" in res.stderr
    assert "deploystate attempt check" in res.stderr


def test_broken_chain_refuses_push(shop):
    """A hand edit that turns a failed verdict into a pass breaks the hash chain and refuses the push."""
    shop.deploy("api")
    shop.verify("api", "pass")
    shop.change("docs/readme.md", "v2\n")
    assert shop.push().returncode == 0  # the chain verdict is now cached in chain.verified.json
    shop.change("api/app.py", "print('v2')\n")
    shop.deploy("api")
    shop.verify("api", "fail", summary="crash on start")
    ledger = shop.project.ledger.path
    text = ledger.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    ledger.write_text(text.replace(last, last.replace('"verdict":"fail"', '"verdict":"pass"')))
    res = shop.push()
    assert res.returncode != 0
    assert "hash chain does not verify" in res.stderr
    assert "was changed after it was written" in res.stderr
    assert "deploystate doctor" in res.stderr


def test_deployed_tag_needs_passing_verification(shop):
    """A deployed/* tag is refused unless its commit has a passing verification; annotated tags are peeled."""
    commit = shop.repo.head()
    shop.deploy("api")
    shop.git("tag", "-a", "deployed/one", "-m", "deployed")
    res = shop.push("origin", "deployed/one")
    assert res.returncode != 0
    assert f"tag `deployed/one` marks {commit[:10]} as deployed" in res.stderr
    shop.verify("api", "pass")
    res = shop.push("origin", "deployed/one")
    assert res.returncode == 0, res.stderr
    shop.git("tag", "other/tag")
    assert shop.push("origin", "other/tag").returncode == 0


def test_tag_of_commit_verified_long_ago_is_found_in_the_ledger(shop):
    """A commit whose pass the projection no longer holds is found by scanning the ledger."""
    old = shop.repo.head()
    shop.deploy("api")
    shop.verify("api", "pass")
    shop.change("api/app.py", "print('v2')\n")
    shop.deploy("api")
    shop.verify("api", "pass")
    shop.git("tag", "deployed/old", old)
    assert shop.push("origin", "deployed/old").returncode == 0


def test_configured_tag_pattern(shop):
    """[project.hooks] deployed_tag_pattern replaces deployed/*."""
    config = shop.path / "deploystate.toml"
    config.write_text(config.read_text().replace(
        "doom_loop_after = 3\n", 'doom_loop_after = 3\n\n[project.hooks]\ndeployed_tag_pattern = "prod-*"\n'))
    shop.change("docs/readme.md", "x\n")
    shop.verify("api", "pass")  # HEAD is verified; the tags below point at its parent
    shop.git("tag", "prod-1", "HEAD~1")
    res = shop.push("origin", "prod-1")
    assert res.returncode != 0 and "tag `prod-1`" in res.stderr
    shop.git("tag", "deployed/x", "HEAD~1")
    assert shop.push("origin", "deployed/x").returncode == 0


def test_override_is_recorded_and_shown(shop):
    """DEPLOYSTATE_OVERRIDE lets the push through and appends an override record shown in DEPLOYMENT_STATE.md."""
    shop.deploy("api")
    shop.change("api/app.py", "print('v2')\n")
    res = shop.push(env={"DEPLOYSTATE_OVERRIDE": "outage hotfix, verifying right after"})
    assert res.returncode == 0, res.stderr
    assert "OVERRIDE recorded" in res.stderr
    rec = shop.ledger_records()[-1]
    assert rec["kind"] == "override"
    assert rec["payload"]["reason"] == "outage hotfix, verifying right after"
    assert rec["payload"]["hook"] == "pre-push"
    assert rec["payload"]["who"]
    assert rec["payload"]["refs"][0].startswith("refs/heads/main@")
    assert "has no verification since" in rec["payload"]["refused"][0]
    state_md = (shop.path / "DEPLOYMENT_STATE.md").read_text()
    assert "## Overrides" in state_md and "outage hotfix, verifying right after" in state_md


def test_override_needs_a_reason(shop):
    """DEPLOYSTATE_OVERRIDE=1 is not a reason: the push is still refused and nothing is recorded."""
    shop.deploy("api")
    shop.change("api/app.py", "print('v2')\n")
    before = len(shop.ledger_records())
    res = shop.push(env={"DEPLOYSTATE_OVERRIDE": "1"})
    assert res.returncode != 0
    assert "is not a reason" in res.stderr
    assert len(shop.ledger_records()) == before


def test_no_deploys_no_refusal(shop):
    """With nothing deployed, there is nothing unverified to stack on: the push goes through."""
    shop.change("api/app.py", "print('v2')\n")
    assert shop.push().returncode == 0


def test_chain_mark_verifies_only_what_was_appended(shop):
    """The chain verdict is reused while the ledger is unchanged and extended for appends, not recomputed."""
    shop.deploy("api")  # recording re-renders the state file, which checks (and marks) the chain
    ledger = shop.project.ledger
    (ledger.dir / chainmark.MARK).unlink()
    assert chainmark.check(ledger).how == "full"
    assert chainmark.check(ledger).how == "unchanged"
    ledger.append("verification", {"service": "api", "verdict": "pass", "commit": shop.repo.head()})
    status = chainmark.check(ledger)
    assert (status.how, status.ok, status.records) == ("appended", True, 1)
    mark = json.loads((ledger.dir / chainmark.MARK).read_text())
    assert mark["ok"] is True and mark["live"][0] == ledger.path.stat().st_size
    assert chainmark.MARK in (ledger.dir / ".gitignore").read_text()


def test_chain_mark_sees_a_merged_fork_and_a_deletion(shop):
    """Records merged from another clone (a fork) get a full verification; a deleted record is caught."""
    first = shop.deploy("api")
    ledger = shop.project.ledger
    chainmark.check(ledger)
    fork = {k: v for k, v in first.items() if k != "hash"}
    from deploystate.state.ledger import chain
    other_id = first["id"][:-1] + ("z" if first["id"][-1] != "z" else "y")   # never first's own id (1 in 32)
    fork = chain.seal({**fork, "id": other_id, "prev": first["prev"], "payload": {"service": "worker",
                                                                                 "commit": "abc"}})
    ledger.append_sealed([fork], reseal=False)
    status = chainmark.check(ledger)
    assert (status.how, status.ok) == ("full", True)
    shop.verify("api", "pass")
    lines = ledger.path.read_text().splitlines(keepends=True)
    ledger.path.write_text(lines[0] + "".join(lines[2:]))  # delete the fork record
    status = chainmark.check(ledger)
    assert status.how == "full" and not status.ok
