"""The hooks read the stored runtime observation (never a runtime): what it says is broken or not running
HEAD's code is not "deployed", whatever the ledger's verification says."""

from __future__ import annotations

from deploystate.state.drift import observations
from deploystate.state.ledger.ids import iso, utc_now


def _observed(shop, service: str, **obs) -> None:
    data = observations.merge(observations.load(shop.project.state_dir),
                              {service: {"obs": {"state": "running", **obs}}}, iso(utc_now()))
    assert observations.save(shop.project.state_dir, data)


def _commit(shop, message: str):
    shop.repo.write("docs/readme.md", shop.path.joinpath("docs/readme.md").read_text() + "#\n")
    shop.git("add", "-A")
    return shop.git("commit", "-m", message)


def test_a_deployed_claim_is_refused_when_the_runtime_was_last_seen_oom_killed(shop):
    """Verified in the ledger, but the stored observation (newer than the deploy) says OOM-killed: refused."""
    shop.deploy("api")
    shop.verify("api", "pass")
    assert _commit(shop, "api deployed").returncode == 0
    _observed(shop, "api", revision=shop.repo.head(), state="stopped", oom_killed=True,
              problems=["shop-api-1 was OOM-killed (exit 137)"])
    res = _commit(shop, "api deployed")
    assert res.returncode != 0 and "OOM-killed (exit 137)" in res.stderr and "`api`" in res.stderr


def test_a_deployed_claim_is_refused_when_the_runtime_runs_older_code(shop):
    """The stored observation says api runs a commit before a change to api/: committed, not running."""
    old = shop.repo.head()
    shop.deploy("api")
    shop.verify("api", "pass")
    shop.repo.commit("fix api", {"api/app.py": "print('fixed')\n"})
    _observed(shop, "api", revision=old)
    res = _commit(shop, "api deployed")
    assert res.returncode != 0 and "committed, not running" in res.stderr


def test_an_observation_older_than_the_last_deploy_is_not_used(shop):
    """A deploy recorded after the observation supersedes it (that deploy may have fixed what runs)."""
    _observed(shop, "api", state="stopped", problems=["shop-api-1 is not running: exited with code 1"])
    shop.deploy("api")
    shop.verify("api", "pass")
    assert _commit(shop, "api deployed").returncode == 0
