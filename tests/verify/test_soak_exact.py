"""The soak fold and the result helpers, exactly: every branch's result, summary and decisive measurement,
and the bounds at their edges (written to kill the mutants tools/mutation_score.py found)."""

from __future__ import annotations

import pytest

from deploystate.verify.result import (MAX_ITEMS, MAX_MEASUREMENTS, MAX_TEXT, CheckResult, Measurement,
                                       bound_evidence, clip, failed, inconclusive, make_result, passed, worst)
from deploystate.verify.soak import decided_early, fold


def m(result: str, summary: str) -> Measurement:
    return Measurement(result, summary)  # type: ignore[arg-type]


P1, P2, F1, F2, I1 = m("pass", "p1"), m("pass", "p2"), m("fail", "f1"), m("fail", "f2"), m("inconclusive", "i1")


@pytest.mark.parametrize("ms, count, limit, finished, result, summary, decisive", [
    ([F1], 1, 0, True, "fail", "f1", F1),
    ([P1, F1, F2], 3, 1, True, "fail", "2 of 3 measurements failed (limit 1): f2", F2),
    ([F1], 3, 0, False, "fail", "1 of 1 measurements failed (limit 0): f1", F1),
    ([], 1, 0, False, "inconclusive", "no measurement finished before the 5s deadline", None),
    ([P1, P2], 3, 0, False, "inconclusive", "only 2 of 3 measurements before the 5s deadline; last: p2", P2),
    ([I1], 1, 0, True, "inconclusive", "i1", I1),
    ([P1, I1, P2], 3, 0, True, "inconclusive", "1 of 3 measurements inconclusive: i1", I1),
    ([P1], 1, 0, True, "pass", "p1", P1),
    ([P1, P2], 2, 0, True, "pass", "2 of 2 measurements passed: p2", P2),
    ([P1, F1, P2], 3, 1, True, "pass", "2 of 3 measurements passed, 1 failed within the limit of 1: p2", P2),
    ([P1, F1], 3, 1, True, "pass", "1 of 2 measurements passed, 1 failed within the limit of 1: f1", F1),
    ([P1], 3, 0, False, "inconclusive", "only 1 of 3 measurements before the 5s deadline; last: p1", P1),
])
def test_fold_gives_each_branch_its_result_summary_and_evidence(ms, count, limit, finished, result, summary,
                                                                decisive) -> None:  # noqa: ANN001
    """Each way a soak can end, with the exact summary and the measurement whose evidence explains it."""
    out = fold(ms, count=count, failure_limit=limit, finished=finished, unfinished_reason="the 5s deadline")
    assert (out.result, out.summary) == (result, summary)
    assert out.decisive is decisive


def test_fold_says_the_deadline_by_default() -> None:
    """Without a reason given, a cut-short soak names "the deadline"."""
    assert fold([], count=1, failure_limit=0, finished=False).summary == "no measurement finished before the deadline"


def test_decided_early_counts_only_failures_beyond_the_limit() -> None:
    """Inconclusive looks do not count toward the failure limit; the limit itself is tolerated."""
    assert not decided_early([I1, I1, I1], 0)
    assert not decided_early([F1, I1], 1) and decided_early([F1, F2], 1) and decided_early([F1], 0)


def test_worst_names_each_result() -> None:
    """Each single result is its own verdict."""
    assert [worst([r]) for r in ("pass", "inconclusive", "fail")] == ["pass", "inconclusive", "fail"]
    assert worst(iter(["pass", "fail"])) == "fail"   # any iterable, consumed once


def test_clip_keeps_text_up_to_the_limit_and_marks_a_cut() -> None:
    """Text at the limit is kept whole; one character more is cut to the limit with a marker."""
    assert clip("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert clip("x" * (MAX_TEXT + 1)) == "x" * (MAX_TEXT - 14) + "… [truncated]"   # never over the limit
    assert clip(12345, 20) == "12345"


def test_bound_evidence_keeps_small_evidence_exactly() -> None:
    """Evidence within every bound comes back unchanged: numbers, booleans, None, lists and nested dicts."""
    ev = {"n": 3, "ok": True, "none": None, "f": 1.5, "items": list(range(MAX_ITEMS)), "d": {"a": {"b": "c"}}}
    assert bound_evidence(ev) == ev


def test_bound_evidence_marks_what_it_left_out() -> None:
    """Long lists keep MAX_ITEMS items and say how many more; many keys are capped and counted."""
    out = bound_evidence({"items": list(range(MAX_ITEMS + 3))})
    assert out["items"] == [*range(MAX_ITEMS), "… 3 more"]
    keys = {f"k{i:03d}": i for i in range(MAX_ITEMS * 3 + 2)}
    capped = bound_evidence(keys)
    assert len(capped) == MAX_ITEMS * 3 + 1 and capped["…"] == "2 more keys"
    deep = bound_evidence({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}})
    assert deep["a"]["b"]["c"]["d"]["e"] == '{"f": 1}'   # depth 5: the rest is shown as text
    assert bound_evidence({"t": (1, 2)}) == {"t": [1, 2]} and bound_evidence({"o": object})["o"].startswith("<class")


def test_helpers_make_the_result_they_name() -> None:
    """passed/failed/inconclusive carry their result, summary, evidence and the pending flag."""
    assert (passed("ok", a=1).result, passed("ok", a=1).evidence) == ("pass", {"a": 1})
    assert failed("bad").result == "fail" and not failed("bad").pending
    waiting = inconclusive("rolling", pending=True, b=2)
    assert (waiting.result, waiting.pending, waiting.evidence) == ("inconclusive", True, {"b": 2})
    assert not inconclusive("x").pending


def test_make_result_counts_orders_and_bounds_the_measurements() -> None:
    """Counts per result, failing then inconclusive first, at most MAX_MEASUREMENTS items, a readable line."""
    ms = [m("pass", "p")] * 15 + [m("inconclusive", "i"), m("fail", "f")]
    res = make_result("probe", "http", "web", "fail", "token=abcdef1234567890secret failed", {"k": "v"}, 1.23456,
                      ms, 20)
    assert isinstance(res, CheckResult)
    assert (res.measurements["pass"], res.measurements["fail"], res.measurements["inconclusive"]) == (15, 1, 1)
    assert res.measurements["taken"] == 17 and res.measurements["wanted"] == 20
    assert [i["result"] for i in res.measurements["items"][:2]] == ["fail", "inconclusive"]
    # MAX_MEASUREMENTS (12) kept, then shown like any evidence list: MAX_ITEMS and a count of the rest
    assert MAX_MEASUREMENTS - MAX_ITEMS == 2 and res.measurements["items"][-1] == "… 2 more"
    assert res.duration == 1.235 and res.evidence == {"k": "v"}
    assert "abcdef1234567890secret" not in res.summary
    assert res.line() == f"FAIL probe: {res.summary}"
