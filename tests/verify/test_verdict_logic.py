"""Pure verdict rules: worst-of, soak folding, evidence bounds and redaction, revision matching."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from deploystate.verify.checks.revision import same_commit
from deploystate.verify.result import MAX_EVIDENCE_CHARS, Measurement, bound_evidence, make_result, worst
from deploystate.verify.soak import decided_early, fold


def m(result: str, summary: str = "x") -> Measurement:
    return Measurement(result, summary)  # type: ignore[arg-type]


def test_worst_orders_fail_over_inconclusive_over_pass() -> None:
    """The verdict is the worst result: fail > inconclusive > pass."""
    assert worst(["pass", "pass"]) == "pass"
    assert worst(["pass", "inconclusive"]) == "inconclusive"
    assert worst(["inconclusive", "fail", "pass"]) == "fail"


def test_worst_of_nothing_or_unknown_is_never_pass() -> None:
    """No results, or a result string nobody knows, is inconclusive."""
    assert worst([]) == "inconclusive"
    assert worst(["pass", "error"]) == "inconclusive"
    assert worst(["skipped"]) == "inconclusive"


@given(st.lists(st.sampled_from(["pass", "fail", "inconclusive", "weird"]), max_size=8))
def test_worst_is_pass_only_when_every_result_is_pass(results: list[str]) -> None:
    """Property: pass only if all results are pass (and there is at least one)."""
    assert (worst(results) == "pass") == (bool(results) and all(r == "pass" for r in results))


def test_soak_fails_only_beyond_the_failure_limit() -> None:
    """Failed measurements up to failure_limit are tolerated; one more fails the check."""
    ok = fold([m("pass"), m("fail"), m("pass")], count=3, failure_limit=1, finished=True)
    assert ok.result == "pass" and "1 failed within the limit" in ok.summary
    bad = fold([m("pass"), m("fail"), m("fail", "boom")], count=3, failure_limit=1, finished=True)
    assert bad.result == "fail" and "boom" in bad.summary and "2 of 3" in bad.summary


def test_soak_inconclusive_measurement_makes_check_inconclusive() -> None:
    """An errored/timed-out measurement is inconclusive, never a pass."""
    out = fold([m("pass"), m("inconclusive", "timed out"), m("pass")], count=3, failure_limit=0, finished=True)
    assert out.result == "inconclusive" and "timed out" in out.summary


def test_soak_cut_short_by_deadline_is_inconclusive() -> None:
    """Fewer measurements than asked for (deadline) is inconclusive even if all passed."""
    out = fold([m("pass"), m("pass")], count=5, failure_limit=0, finished=False, unfinished_reason="the 3s deadline")
    assert out.result == "inconclusive" and "only 2 of 5" in out.summary and "3s deadline" in out.summary
    assert fold([], count=1, failure_limit=0, finished=False).result == "inconclusive"


def test_soak_decides_early_once_failures_exceed_limit() -> None:
    """A fail decided early stays fail even when the soak did not finish."""
    assert decided_early([m("fail"), m("fail")], 1)
    assert not decided_early([m("fail")], 1)
    assert fold([m("fail"), m("fail")], count=10, failure_limit=1, finished=False).result == "fail"


def test_evidence_is_redacted_and_bounded() -> None:
    """Secrets are masked and evidence never exceeds its size budget, however large the input."""
    planted = {"line": "DB_PASSWORD=hunter2 token AKIAABCDEFGHIJKLMNOP",
               "url": "https://user:s3cr3t@example.test/x", "many": ["x" * 5000] * 200,
               "nested": {"a": {"b": {"c": {"d": {"e": {"f": "deep"}}}}}}}
    out = bound_evidence(planted)
    text = json.dumps(out)
    assert "hunter2" not in text and "AKIAABCDEFGHIJKLMNOP" not in text and "s3cr3t" not in text
    assert len(text) <= MAX_EVIDENCE_CHARS


def test_check_result_keeps_failing_measurements_first() -> None:
    """Measurement summaries keep the failing ones first and count all of them."""
    ms = [m("pass")] * 20 + [m("fail", "the bad one")]
    res = make_result("probe", "http", "web", "fail", "x", {}, 1.0, ms, 21)
    assert res.measurements["fail"] == 1 and res.measurements["taken"] == 21
    assert res.measurements["items"][0]["summary"] == "the bad one"


def test_same_commit_accepts_abbreviations_of_seven_or_more() -> None:
    """Short shas match their full commit; too-short or different ones do not."""
    full = "0123456789abcdef0123456789abcdef01234567"
    assert same_commit(full, full) and same_commit("0123456", full) and same_commit(full.upper(), full)
    assert not same_commit("012345", full)
    assert not same_commit("1123456", full)
    assert not same_commit("", full)


def test_old_instances_during_a_progressing_rollout_are_pending_not_failed() -> None:
    """An ECS/Kubernetes rollout still replacing tasks is pending; old instances are judged only after."""
    from datetime import timedelta

    from deploystate.platforms.base import Instance, Observation
    from deploystate.state.config.checks import RolloutCheck
    from deploystate.state.ledger.ids import iso, utc_now
    from deploystate.verify.checks.rollout import judge
    from deploystate.verify.context import CheckContext

    restart = utc_now()
    old = Instance("task-old", "running", started_at=iso(restart - timedelta(minutes=30)))
    obs = Observation("api", "ecs", "ecs:prod/api", "progressing", instances=[old],
                      rollout={"complete": False, "reason": "IN_PROGRESS"}, replicas={"desired": 2, "running": 1})
    from pathlib import Path

    ctx = CheckContext(root=Path("."), deploy={"platform_ids": {}}, restart_time=restart,
                       restart_source="deploy record")
    m = judge(obs, RolloutCheck(), ctx)
    assert m.pending and m.result == "inconclusive"
    done = Observation("api", "ecs", "ecs:prod/api", "running", instances=[old],
                       rollout={"complete": True}, replicas={"desired": 1, "running": 1})
    assert judge(done, RolloutCheck(), ctx).result == "fail"
