"""The projection: current state from records, in id order, bounded, cached incrementally."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from deploystate.state.view import cache, projection
from deploystate.state.ledger.chain import seal
from deploystate.state.ledger.ledger import Ledger


def rec(i: int, kind: str, **payload: object) -> dict:
    return seal({"id": f"{i:026d}", "ts": f"2026-02-{14 + i // 100:02d}T00:00:{i % 60:02d}.000000Z",
                 "kind": kind, "author": {}, "commit": None, "payload": payload, "prev": None})


def test_restart_without_verification_is_unverified() -> None:
    """A deploy with no verification after it makes the status UNVERIFIED."""
    st_ = projection.build([rec(1, "deploy", service="web", commit="c1")])
    assert projection.unverified(st_) == ["web"]
    assert projection.status(st_, 3)[0] == "UNVERIFIED"


def test_failed_verification_is_broken_until_a_pass() -> None:
    """A failed verdict is BROKEN; a later pass makes the state OK."""
    recs = [rec(1, "deploy", service="web", commit="c1"), rec(2, "verification", service="web", verdict="fail")]
    assert projection.status(projection.build(recs), 3)[0] == "BROKEN"
    recs.append(rec(3, "verification", service="web", verdict="pass", commit="c1"))
    st_ = projection.build(recs)
    assert projection.status(st_, 3)[0] == "OK" and st_["services"]["web"]["verified"]["commit"] == "c1"


def test_inconclusive_is_never_ok() -> None:
    """An inconclusive verdict leaves the service unverified, not passed."""
    st_ = projection.build([rec(1, "deploy", service="web", commit="c"),
                            rec(2, "verification", service="web", verdict="inconclusive")])
    assert projection.status(st_, 3)[0] == "UNVERIFIED"


def test_three_failed_verifications_raise_doom_loop_and_a_pass_clears_it() -> None:
    """doom_loop_after consecutive failures raise DOOM LOOP; one pass clears it."""
    recs = [rec(i, "verification", service="worker", verdict="fail", summary=f"fix {i}") for i in range(3)]
    st_ = projection.build(recs)
    assert projection.status(st_, 3)[0] == "DOOM LOOP" and len(st_["doom"]["failures"]) == 3
    st_ = projection.build(recs + [rec(9, "verification", service="worker", verdict="pass")])
    assert not projection.doom_loop(st_, 3)


def test_doom_loop_is_per_service_and_names_it() -> None:
    """worker fails three times while web passes each time: DOOM LOOP for worker only; web's passes
    do not reset worker's streak, and the reason names worker."""
    recs, i = [], 0
    for _ in range(3):
        recs += [rec(i, "verification", service="worker", verdict="fail", summary=f"fix {i}"),
                 rec(i + 1, "verification", service="web", verdict="pass")]
        i += 2
    st_ = projection.build(recs)
    assert projection.doom_services(st_, 3) == ["worker"]
    status, reason = projection.status(st_, 3)
    assert status == "DOOM LOOP" and "worker" in reason and "web" not in reason
    assert [f["service"] for f in projection.doom_failures(st_, 3)] == ["worker"] * 3
    assert st_["services"]["web"]["fail_streak"] == 0 and st_["services"]["worker"]["fail_streak"] == 3


def test_one_run_failing_three_services_is_not_a_doom_loop() -> None:
    """One verify run failing three services is one failure each, not three in a row."""
    st_ = projection.build([rec(i, "verification", service=name, verdict="fail")
                            for i, name in enumerate(["a", "b", "c"])])
    assert not projection.doom_loop(st_, 3) and projection.status(st_, 3)[0] == "BROKEN"
    assert st_["doom"]["streak"] == 1


def test_inconclusive_between_failures_neither_counts_nor_resets() -> None:
    """A missing revision label (inconclusive) is no failed fix: two fails around it are a streak of two."""
    st_ = projection.build([rec(1, "verification", service="web", verdict="fail"),
                            rec(2, "verification", service="web", verdict="inconclusive", summary="no label"),
                            rec(3, "verification", service="web", verdict="fail")])
    assert st_["services"]["web"]["fail_streak"] == 2 and not projection.doom_loop(st_, 3)
    assert projection.doom_loop(st_, 2)


def test_sessions_end_and_open() -> None:
    """A session_end closes its session with did/broke/next; an unended one stays open."""
    st_ = projection.build([rec(1, "session_start", session_id="a", goal="g"), rec(2, "session_start", session_id="b"),
                            rec(3, "session_end", session_id="a", did="d", broke="", next="n")])
    assert list(st_["sessions"]["open"]) == ["b"]
    assert st_["sessions"]["recent"][0]["next"] == "n"


def test_malformed_record_is_counted_not_fatal() -> None:
    """A record missing required payload fields is counted as malformed and skipped."""
    st_ = projection.build([rec(1, "deploy")])
    assert st_["counts"]["malformed"] == 1 and st_["services"] == {}


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(range(12))))
def test_projection_is_independent_of_arrival_order(order: list[int]) -> None:
    """Merged sides arriving in any order give the same state (replay is by id)."""
    kinds = ["deploy", "verification", "attempt", "session_start"]
    base = [rec(i, kinds[i % 4], service="web", verdict=random.Random(i).choice(["pass", "fail"]),
                session_id=f"s{i}", summary=f"a{i}", outcome="failed") for i in range(12)]
    assert projection.build([base[i] for i in order]) == projection.build(base)


def test_cache_is_incremental_and_rebuilds_when_the_file_changes_under_it(tmp_path: Path) -> None:
    """Appends are applied incrementally; a rewritten ledger triggers a full, correct rebuild."""
    led = Ledger(tmp_path)
    led.append("deploy", {"service": "web", "commit": "c1"})
    assert cache.load(led).rebuilt
    led.append("verification", {"service": "web", "verdict": "pass", "commit": "c1"})
    loaded = cache.load(led)
    assert not loaded.rebuilt and loaded.applied == 1
    assert cache.load(led).applied == 0
    lines = led.path.read_text().splitlines(True)
    led.path.write_text(lines[0])  # history rewritten: the cached tail no longer exists
    loaded = cache.load(led)
    assert loaded.rebuilt and loaded.state["services"]["web"]["verification"] is None


def test_cache_file_is_plain_json_beside_the_ledger(tmp_path: Path) -> None:
    """The cache records the ledger size and last hash it was built from."""
    led = Ledger(tmp_path)
    r = led.append("note", {})
    cache.load(led)
    data = json.loads((tmp_path / "projection.json").read_text())
    assert data["last_hash"] == r["hash"] and data["ledger_size"] == led.path.stat().st_size
