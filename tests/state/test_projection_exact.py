"""The projection field by field: what each record kind leaves in the state, the bounds it keeps, which
service is failed, pending, unverified or looping, and the status line (written to kill the mutants
tools/mutation_score.py found in state/view/projection.py)."""

from __future__ import annotations

import json

import pytest

from deploystate.state.view import projection


def rec(i: int, kind: str, author: dict | None = None, **payload: object) -> dict:
    return {"id": f"{i:026d}", "ts": f"2026-02-14T00:{i // 60 % 60:02d}:{i % 60:02d}.000000Z", "kind": kind,
            "author": author if author is not None else {}, "commit": None, "payload": payload}


def dep(i: int, service: str = "web", **more: object) -> dict:
    return rec(i, "deploy", service=service, commit=f"c{i}", **more)


def ver(i: int, verdict: str, service: str = "web", **more: object) -> dict:
    return rec(i, "verification", service=service, verdict=verdict, commit=f"c{i}", **more)


def build(*records: dict) -> dict:
    return projection.build(records)


def from_json(*records: dict) -> dict:
    """As the cache and the ledger give them: every string read back from JSON."""
    return projection.build(json.loads(json.dumps(list(records))))


def test_an_empty_ledger_is_an_empty_state():
    """No records: nothing counted, no streak, no attempt, no failure."""
    state = build()
    assert (state["records"], state["last_id"], state["doom"], state["attempts"]) == (
        0, "", {"streak": 0, "failures": [], "services": {}}, {"total": 0, "failed": 0, "recent": []})
    assert build(dep(1))["doom"]["streak"] == 0 and build(dep(1))["attempts"]["failed"] == 0


def test_a_deploy_keeps_who_did_it_and_what_it_said():
    """The deploy entry keeps its author, session, strategy, platform ids, warnings and reason."""
    state = build(rec(1, "deploy", {"name": "dev", "session": "s1"}, service="web", commit="c1", strategy="rolling",
                      platform_ids={"container": "abc"}, warnings=["slow"], forced=True, reason="hotfix"))
    entry = state["services"]["web"]["deploy"]
    assert (entry["author"], entry["session"], entry["strategy"], entry["platform_ids"], entry["warnings"],
            entry["forced"], entry["reason"], entry["status"]) == ("dev", "s1", "rolling", {"container": "abc"},
                                                                 ["slow"], True, "hotfix", "restarted")
    assert state["services"]["web"]["running_commit"] == "c1"


@pytest.mark.parametrize("status", ["failed", "pending"])
def test_a_failed_or_pending_deploy_does_not_change_what_runs(status):
    """Only a restart that happened moves the running commit; a failed one or one CI has yet to roll out
    leaves the previous commit running."""
    state = build(dep(1), dep(2, status=status))
    assert state["services"]["web"]["running_commit"] == "c1" and state["services"]["web"]["deploy"]["commit"] == "c2"


@pytest.mark.parametrize("word", ["skipped", "warning", "error", "PASS"])
def test_a_verdict_word_deploystate_does_not_write_is_neither_a_pass_nor_a_failure(word):
    """An unknown verdict is no pass (nothing verified, the streak not reset) and no failed fix (not
    counted); the service is unverified, never OK."""
    state = build(ver(1, "fail"), ver(2, word), ver(3, "fail"))
    svc = state["services"]["web"]
    assert svc["verified"] is None and svc["fail_streak"] == 2 and len(svc["failures"]) == 2
    state = build(dep(1), ver(2, word))
    assert projection.inconclusive(state) == ["web"] and projection.failed(state) == []
    assert projection.status(state, 3)[0] == "UNVERIFIED"


def test_verdicts_read_back_from_json_count_the_same():
    """Failures, passes, failed restarts and pending deploys read back from JSON are judged as built ones."""
    records = [ver(1, "fail"), ver(2, "fail"), ver(3, "fail"), dep(4, service="api", status="failed"),
               dep(5, service="job", status="pending")]
    state = from_json(*records)
    assert projection.doom_services(state, 3) == ["web"] and state["services"]["web"]["fail_streak"] == 3
    assert projection.failed(state) == ["api", "web"] and projection.pending(state) == ["job"]
    assert projection.restarted_unverified(state) == ["job"]
    assert from_json(ver(1, "pass"))["services"]["web"]["verified"]["commit"] == "c1"


def test_the_doom_loop_keeps_the_newest_20_failures():
    """25 failures in a row: the doom summary keeps the newest 20, oldest first."""
    state = build(*[ver(i, "fail", summary=f"fix {i}") for i in range(1, 26)])
    assert [f["summary"] for f in state["doom"]["failures"]] == [f"fix {i}" for i in range(6, 26)]
    assert [f["summary"] for f in state["services"]["web"]["failures"]] == [f"fix {i}" for i in range(6, 26)]
    assert state["doom"]["streak"] == 25


def test_attempts_are_counted_and_bounded():
    """Attempts are counted (failed ones too); each keeps its summary, outcome, 20 files and 20 services."""
    many = [f"f{i}" for i in range(30)]
    state = build(rec(1, "attempt", summary="a", outcome="failed", files=many, services=many),
                  rec(2, "attempt", summary="b", outcome="worked"), rec(3, "attempt", summary="c"))
    att = state["attempts"]
    assert (att["total"], att["failed"]) == (3, 1)
    first = att["recent"][0]
    assert first["files"] == many[:20] and first["services"] == many[:20] and first["outcome"] == "failed"
    assert [a["outcome"] for a in att["recent"]] == ["failed", "worked", "unknown"]
    assert att["recent"][1]["files"] == [] and att["recent"][1]["services"] == []
    assert from_json(rec(1, "attempt", outcome="failed"))["attempts"]["failed"] == 1


def test_attempts_whose_outcome_is_not_failed_are_not_failures():
    """Outcomes sorting before or after "failed" ("abandoned", "worked") are not counted as failed."""
    state = build(rec(1, "attempt", outcome="abandoned"), rec(2, "attempt", outcome="worked"))
    assert state["attempts"]["failed"] == 0 and state["attempts"]["total"] == 2


def test_the_newest_50_open_sessions_stay_open():
    """An agent that dies leaves its session open: of 53 open sessions the newest 50 are kept."""
    state = build(*[rec(i, "session_start", session_id=f"s{i:02d}") for i in range(1, 54)])
    assert sorted(state["sessions"]["open"]) == [f"s{i:02d}" for i in range(4, 54)]
    fifty = build(*[rec(i, "session_start", session_id=f"s{i:02d}") for i in range(1, 51)])
    assert len(fifty["sessions"]["open"]) == 50


def test_the_newest_10_sessions_are_recent():
    """The recent sessions are the newest 10."""
    state = build(*[rec(i, "session_start", session_id=f"s{i:02d}") for i in range(1, 16)])
    assert [s["session_id"] for s in state["sessions"]["recent"]] == [f"s{i:02d}" for i in range(6, 16)]


def test_a_session_end_closes_that_session_and_no_other():
    """Ending session "a" updates a's entry (found by its id), even when other sessions sort after it, and
    when the ids came from JSON."""
    records = [rec(1, "session_start", session_id="sess-b", goal="gb"),
               rec(2, "session_start", session_id="sess-a", goal="ga"),
               rec(3, "session_end", session_id="sess-a", did="done a")]
    for state in (build(*records), from_json(*records)):
        recent = {s["session_id"]: s for s in state["sessions"]["recent"]}
        assert len(state["sessions"]["recent"]) == 2
        assert recent["sess-a"]["did"] == "done a" and recent["sess-a"]["status"] == "ended"
        assert recent["sess-b"]["status"] == "open" and recent["sess-b"]["did"] == ""


def test_a_session_ended_after_it_left_the_recent_list_keeps_its_goal():
    """A session still open but pushed out of the recent ten comes back, with its goal, when it ends; a
    session never seen starting is recorded as ended with what it said."""
    records = [rec(1, "session_start", session_id="old", goal="fix login")]
    records += [rec(i, "session_start", session_id=f"n{i}") for i in range(2, 13)]
    records.append(rec(20, "session_end", session_id="old", did="fixed"))
    entry = build(*records)["sessions"]["recent"][-1]
    assert (entry["session_id"], entry["goal"], entry["did"], entry["status"]) == ("old", "fix login", "fixed", "ended")
    state = build(rec(1, "session_end", session_id="ghost", did="x"))
    assert state["sessions"]["recent"][0]["did"] == "x" and state["counts"] == {"session_end": 1}


def test_overrides_and_preflight_keep_their_details_bounded():
    """An override keeps its refs (the newest 20 overrides); a preflight keeps 20 failing checks."""
    state = build(*[rec(i, "override", reason=f"r{i}", refs=[f"ref{i}"]) for i in range(1, 26)])
    assert [o["reason"] for o in state["overrides"]] == [f"r{i}" for i in range(6, 26)]
    assert state["overrides"][-1]["refs"] == ["ref25"]
    failing = [f"check{i}" for i in range(30)]
    assert build(rec(1, "preflight", result="fail", failing=failing))["preflight"]["failing"] == failing[:20]
    assert build(rec(1, "preflight", result="pass"))["preflight"]["failing"] == []


def test_the_timeline_holds_the_newest_200_deploy_and_verification_events():
    """Deploys, verifications, markings and overrides enter the timeline (attempts and sessions do not);
    the newest 200 are kept."""
    state = build(dep(1), rec(2, "attempt", summary="x"), ver(3, "pass"), rec(4, "session_start", session_id="s"))
    assert [(e["kind"], e["service"]) for e in state["timeline"]] == [("deploy", "web"), ("verification", "web")]
    state = build(*[dep(i) for i in range(1, 206)])
    assert len(state["timeline"]) == 200 and state["timeline"][0]["ts"] == rec(6, "deploy")["ts"]


def test_records_are_counted_and_the_last_one_is_remembered():
    """Every record counts once, by kind; last_id and last_ts are those of the newest record."""
    state = build(dep(3), ver(1, "pass"), rec(2, "note"))
    assert state["records"] == 3 and state["counts"] == {"deploy": 1, "verification": 1, "note": 1}
    assert (state["last_id"], state["last_ts"]) == (dep(3)["id"], dep(3)["ts"])


def test_entries_without_an_id_are_left_out():
    """Whatever is not a record with an id (a string, a list, a dict without id) is skipped."""
    state = projection.build(["garbage", [1, 2], {"kind": "deploy"}, dep(1)])
    assert state["records"] == 1 and list(state["services"]) == ["web"]


def test_which_services_are_unverified_pending_inconclusive_or_failed():
    """Each view names exactly the services whose latest word puts them there."""
    state = build(
        ver(1, "pass", service="a"), dep(2, service="a"),                        # restarted after a pass
        dep(3, service="b", status="pending"),                                   # CI has yet to roll it out
        dep(4, service="c", status="pending"), ver(5, "pass", service="c"),      # rolled out and verified
        ver(6, "inconclusive", service="d"),                                     # no deploy, inconclusive
        dep(7, service="e"), ver(8, "fail", service="e"),                        # failed verification
        dep(9, service="f", status="failed"),                                    # failed restart, no verification
        ver(10, "pass", service="g"), dep(11, service="g", status="failed"),     # failed restart after a pass
        dep(12, service="h", status="failed"), ver(13, "pass", service="h"),     # a pass after a failed restart
        ver(14, "fail", service="i"), dep(15, service="i"),                      # a restart after a failure
        dep(16, service="j"), ver(17, "pass", service="j"))                      # verified
    assert projection.restarted_unverified(state) == ["a", "b", "i"]
    assert projection.pending(state) == ["b"]
    assert projection.inconclusive(state) == ["d"]
    assert projection.unverified(state) == ["a", "b", "d", "i"]
    assert projection.failed(state) == ["e", "f", "g"]


@pytest.mark.parametrize("threshold", [0, 1])
def test_a_threshold_of_one_or_less_makes_one_failure_a_doom_loop(threshold):
    """doom_loop_after 1 (or 0): one failed verification is a loop; a service that never failed is not."""
    state = build(ver(1, "fail", service="a"), ver(2, "pass", service="b"))
    assert projection.doom_services(state, threshold) == ["a"]


def test_a_streak_longer_than_the_threshold_is_still_a_doom_loop():
    """Five failures in a row with a threshold of three is a doom loop."""
    assert projection.doom_loop(build(*[ver(i, "fail") for i in range(1, 6)]), 3)


def test_the_status_line_names_what_is_pending_restarted_and_inconclusive():
    """UNVERIFIED says which services wait for CI, which were restarted and which were inconclusive."""
    state = build(dep(1, service="a", status="pending"), dep(2, service="b"), ver(3, "inconclusive", service="c"))
    assert projection.status(state, 3) == ("UNVERIFIED", "CI deploy pending (pushed, not yet seen running): a; "
                                                         "restarted but not verified: b; last verification "
                                                         "inconclusive: c")
    assert projection.status(build(ver(1, "inconclusive")), 3) == ("UNVERIFIED", "last verification inconclusive: web")
    assert projection.status(build(dep(1, status="pending")), 3) == (
        "UNVERIFIED", "CI deploy pending (pushed, not yet seen running): web")


def test_ok_says_whether_anything_was_deployed():
    """OK with no deploys says nothing is known yet; OK with verified deploys says they passed."""
    assert projection.status(build(), 3) == ("OK", "no deploys recorded yet: nothing is known to be broken or "
                                                   "unverified")
    assert projection.status(build(dep(1), ver(2, "pass")), 3) == (
        "OK", "every deploy deploystate knows of has a passing verification")
    assert projection.status(build(dep(1), ver(2, "pass")), 3, chain_ok=False)[0] == "BROKEN"


def test_the_newest_50_attempts_are_kept_with_summaries_of_500_characters():
    """Of 55 attempts the newest 50 are recent; a summary is kept up to 500 characters."""
    state = build(*[rec(i, "attempt", summary=f"try {i}") for i in range(1, 56)])
    assert [a["summary"] for a in state["attempts"]["recent"]] == [f"try {i}" for i in range(6, 56)]
    assert state["attempts"]["total"] == 55
    assert build(rec(1, "attempt", summary="s" * 600))["attempts"]["recent"][0]["summary"] == "s" * 500


def test_a_failed_verification_keeps_ten_checks_and_a_summary_of_300_characters():
    """The verification keeps its first 10 failed checks; the failure in the streak keeps 300 characters of
    its summary."""
    checks = [f"check {i}" for i in range(15)]
    state = build(ver(1, "fail", summary="y" * 400, failed_checks=checks))
    assert state["services"]["web"]["verification"]["failed_checks"] == checks[:10]
    assert state["services"]["web"]["failures"][0]["summary"] == "y" * 300
    assert state["doom"]["failures"][0]["summary"] == "y" * 300


def test_a_deploy_without_a_commit_in_its_payload_takes_the_records():
    """The deployed commit is the payload's, or else the record's own commit."""
    record = rec(1, "deploy", service="web") | {"commit": "from-the-record"}
    state = projection.build([record])
    assert state["services"]["web"]["running_commit"] == "from-the-record"
    assert state["services"]["web"]["deploy"]["commit"] == "from-the-record"


@pytest.mark.parametrize("status", ["done", "completed", "rolled_back", "restarted"])
def test_a_deploy_of_any_status_but_failed_needs_a_verification(status):
    """Whatever word a deploy's status is (one sorting before or after "failed"), unless it failed, the
    service is restarted and unverified until a verification follows."""
    assert projection.restarted_unverified(build(dep(1, status=status))) == ["web"]
    assert projection.failed(build(ver(1, "pass"), dep(2, status=status))) == []


def test_a_record_applied_after_a_newer_one_leaves_the_newest_as_last():
    """The cache applies appended records as they come (a merge can append an older id): last_id stays the
    newest id seen."""
    state = build(dep(3))
    projection.apply(state, ver(1, "pass"))
    assert (state["last_id"], state["last_ts"], state["records"]) == (dep(3)["id"], dep(3)["ts"], 2)


def test_a_pending_deploy_after_a_verification_is_pending():
    """CI's pending deploy newer than the last verification waits for CI."""
    assert projection.pending(build(ver(1, "pass"), dep(2, status="pending"))) == ["web"]


def test_the_doom_summary_keeps_the_newest_20_failures_across_services():
    """Two services failing 15 times each: the doom summary keeps the newest 20 failures of both; a state
    whose verifications all passed has a streak of 0."""
    records = [ver(i, "fail", service="a" if i % 2 else "b", summary=f"f{i}") for i in range(1, 31)]
    state = build(*records)
    assert [f["summary"] for f in state["doom"]["failures"]] == [f"f{i}" for i in range(11, 31)]
    assert build(ver(1, "pass"))["doom"] == {"streak": 0, "failures": [], "services": {}}


def test_an_inconclusive_verification_older_than_the_deploy_is_superseded():
    """A deploy after an inconclusive verification: the service is restarted-unverified, once, and no
    longer counted as inconclusive."""
    state = build(ver(1, "inconclusive"), dep(2))
    assert projection.inconclusive(state) == [] and projection.unverified(state) == ["web"]
