"""The stored runtime observation and what it means (state.observations): pure rules, real files."""

from __future__ import annotations

from datetime import datetime, timezone

from deploystate.state.drift import assessment, observations as ob
from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, UNKNOWN, HeadCode

A, B = "a" * 40, "b" * 40
NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)
AT = "2026-12-01T11:55:00.000000Z"


def _entry(**obs) -> dict:
    return {"at": AT, "obs": ob.bounded({"state": "running", "revision": A, **obs}), "error": None, "error_at": None}


def test_an_unreachable_runtime_keeps_its_last_answer_and_says_why():
    """merge: an error for a service keeps its earlier observation and time, and records the error."""
    first = ob.merge({}, {"api": {"obs": {"state": "running", "revision": A}}}, AT)
    second = ob.merge(first, {"api": {"error": "engine down"}, "web": {"error": "no such service"}},
                      "2026-12-01T11:59:00.000000Z")
    api = second["services"]["api"]
    assert api["at"] == AT and api["obs"]["revision"] == A
    assert api["error"] == "engine down" and api["error_at"] == "2026-12-01T11:59:00.000000Z"
    assert "obs" not in second["services"]["web"]          # never answered: nothing invented


def test_stored_observations_are_bounded_and_redacted(tmp_path):
    """save/load round-trip through an atomic file with a *-gitignore; problems are cut and secrets masked."""
    noisy = {"state": "degraded", "problems": [f"p{i} PASSWORD=hunter2hunter2" for i in range(50)],
             "instances": [{"name": f"i{i}", "state": "running"} for i in range(50)], "extra": "x" * 10_000}
    data = ob.merge({}, {"api": {"obs": noisy}}, AT)
    assert ob.save(tmp_path, data)
    back = ob.load(tmp_path)["services"]["api"]["obs"]
    assert len(back["problems"]) == ob.MAX_PROBLEMS and "hunter2" not in str(back)
    assert len(back["instances"]) == ob.MAX_INSTANCES and "extra" not in back
    assert (tmp_path / ob.DIR / ".gitignore").read_text().strip().endswith("*")
    (tmp_path / ob.DIR / ob.FILE).write_text("{not json")
    assert ob.load(tmp_path) == {}                         # a damaged file is no observation, never a crash


def test_exited_oom_killed_restarting_and_unhealthy_are_broken():
    """broken_reason: each way a runtime says 'not working' is broken, with the runtime's own words."""
    assert ob.broken_reason({"state": "running"}) is None
    assert "OOM-killed" in ob.broken_reason({"state": "stopped", "oom_killed": True,
                                             "problems": ["web-1 was OOM-killed (exit 137)"]})
    assert ob.broken_reason({"state": "running", "instances": [{"name": "w", "reason": "CrashLoopBackOff"}]}) \
        == "w: CrashLoopBackOff"
    assert ob.broken_reason({"state": "degraded"}) == "the runtime reports it degraded"
    assert ob.broken_reason({"state": "running", "healthy": False}) is not None
    # caught "running" between two crashes: a policy restart 5 s before the observation is a crash loop
    looping = {"state": "running", "restart_count": 4, "started_at": "2026-12-01T11:54:55.000000Z"}
    assert ob.broken_reason(looping, AT).startswith("crash-looping: restarted 4 time(s)")
    settled = {**looping, "started_at": "2026-11-30T11:00:00.000000Z"}
    assert ob.broken_reason(settled, AT) is None


def test_assess_judges_the_observed_revision_with_the_head_rule():
    """assess: broken first, then the rule's NOT_HEAD (naming both commits), RUNS_HEAD, UNKNOWN; a waiver
    only stands in for an unread revision; an observation older than the last deploy is stale."""
    not_head = HeadCode(NOT_HEAD, "api", A, B, "changed", ())
    got = assessment.assess("api", _entry(), B, not_head, now=NOW)
    assert got["verdict"] == "not_head" and got["reason"] == f"api runs {A[:10]}, HEAD's code for api is {B[:10]}"
    assert got["age"] == "5 min"
    assert assessment.assess("api", _entry(), B, HeadCode(RUNS_HEAD, "api", A, B, "same files"), now=NOW)["verdict"] \
        == "runs_head"
    unread = HeadCode(UNKNOWN, "api", None, B, "no label")
    assert assessment.assess("api", _entry(revision=None), B, unread)["verdict"] == "unknown"
    assert assessment.assess("api", _entry(revision=None), B, unread, waiver="served by CI")["verdict"] == "runs_head"
    assert assessment.assess("api", _entry(), B, not_head, waiver="served by CI")["verdict"] == "not_head"
    not_here = HeadCode(UNKNOWN, "api", None, B, "the running commit ffffffffffff is not in this clone")
    assert assessment.assess("api", _entry(revision="f" * 40), B, not_here, waiver="served by CI")["verdict"] == "unknown"
    assert assessment.assess("api", _entry(state="stopped"), B, not_head)["verdict"] == "broken"
    assert assessment.assess("api", _entry(), B, not_head, since="2026-12-01T11:58:00.000000Z")["verdict"] == "stale"
    assert assessment.assess("api", None, B, None)["verdict"] == "never"


def _svc(name: str, verdict: str, reason: str = "why", drift: str = "never deployed") -> dict:
    return {"name": name, "configured": True, "running_commit": A, "drift": {"state": drift},
            "observed": {"verdict": verdict, "reason": reason}}


def test_status_is_never_ok_while_the_runtime_disagrees():
    """status: DOOM LOOP > BROKEN > DRIFT > UNVERIFIED > UNKNOWN > OK, each naming its services."""
    ok = ("OK", "every deploy verified")
    assert assessment.status(*ok, [_svc("api", "runs_head")]) == ok
    assert assessment.status(*ok, [_svc("api", "not_head", "api runs a, HEAD's code for api is b")]) == \
        ("DRIFT", "committed, not running: api runs a, HEAD's code for api is b")
    assert assessment.status(*ok, [_svc("api", "never", "never answered")])[0] == "UNKNOWN"
    assert assessment.status(*ok, [_svc("api", "stale", drift="committed, not running")])[0] == "DRIFT"
    assert assessment.status(*ok, [_svc("api", "stale")]) == ok
    assert assessment.status("UNVERIFIED", "restarted", [_svc("api", "never")]) == ("UNVERIFIED", "restarted")
    assert assessment.status("UNVERIFIED", "restarted", [_svc("api", "not_head", "w")]) == ("DRIFT", "committed, not running: w; restarted")
    status, reason = assessment.status(*ok, [_svc("api", "broken", "api-1 was OOM-killed"), _svc("web", "not_head", "w")])
    assert status == "BROKEN" and "api (api-1 was OOM-killed)" in reason and "committed, not running: w" in reason
    assert assessment.status("DOOM LOOP", "3 failed", [_svc("api", "broken")]) == ("DOOM LOOP", "3 failed")
