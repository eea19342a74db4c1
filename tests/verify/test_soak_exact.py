"""The soak fold and the result helpers, exactly: every branch's result, summary and decisive measurement,
and the bounds at their edges (written to kill the mutants tools/mutation_score.py found)."""

from __future__ import annotations

import json

import pytest

from deploystate.verify.result import (MAX_EVIDENCE_CHARS, MAX_ITEMS, MAX_MEASUREMENTS, MAX_TEXT, CheckResult,
                                       Measurement,
                                       bound_evidence, clip, failed, inconclusive, make_result, passed, worst)
from deploystate.verify.soak import decided_early, fold


def m(result: str, summary: str) -> Measurement:
    return Measurement(result, summary)  # type: ignore[arg-type]


P1, P2, F1, F2, I1 = m("pass", "p1"), m("pass", "p2"), m("fail", "f1"), m("fail", "f2"), m("inconclusive", "i1")
I2 = m("inconclusive", "i2")


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
    ([P1, P2], 2, 1, True, "pass", "2 of 2 measurements passed: p2", P2),
    ([I1, P1, I2], 3, 0, True, "inconclusive", "2 of 3 measurements inconclusive: i2", I2),
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


def test_bound_evidence_keeps_as_many_keys_as_it_allows_exactly() -> None:
    """A dict of exactly MAX_ITEMS * 3 keys is kept whole, with no "more keys" marker."""
    ev = {f"k{i}": i for i in range(MAX_ITEMS * 3)}
    assert bound_evidence(ev) == ev


def test_bound_evidence_counts_list_nesting_toward_the_depth_limit() -> None:
    """Lists inside lists count one level each: what is at depth 5 is shown as text."""
    assert bound_evidence({"a": [[[[{"f": 1}]]]]}) == {"a": [[[['{"f": 1}']]]]}
    assert bound_evidence({"a": [[[{"f": [1]}]]]}) == {"a": [[[{"f": "[1]"}]]]}


def test_bound_evidence_too_big_for_full_bounds_cuts_text_to_200() -> None:
    """Evidence over budget at the full bounds is shrunk to 200-character strings and 5 items."""
    out = bound_evidence({"s": "x" * 1000, "many": ["y" * 400] * 10})
    assert out["s"] == clip("x" * 1000, 200) and len(out["s"]) == 199
    assert out["many"] == [clip("y" * 400, 200)] * 5 + ["… 5 more"]


def test_bound_evidence_much_too_big_cuts_text_to_60_and_keys_to_6() -> None:
    """Evidence still over budget at 100 characters and 9 keys is shrunk to 60 characters and 6 keys a level."""
    out = bound_evidence({f"k{i}": {f"j{j}": "x" * 1000 for j in range(50)} for i in range(50)})
    assert list(out) == [f"k{i}" for i in range(6)] + ["…"] and out["…"] == "44 more keys"
    assert out["k0"]["j0"] == clip("x" * 1000, 60) and len(out["k0"]["j0"]) == 59
    assert len(json.dumps(out)) <= MAX_EVIDENCE_CHARS


def test_bound_evidence_that_no_bound_fits_is_kept_as_half_the_budget_of_text() -> None:
    """Evidence too big even at the smallest bounds becomes one 'truncated' text of half the budget."""
    key = "z" * 80
    huge = {f"{i}{key}": {f"{j}{key}": {f"{k}": "x" * 100 for k in range(10)} for j in range(10)} for i in range(10)}
    out = bound_evidence(huge)
    assert list(out) == ["truncated"] and out["truncated"].endswith("… [truncated]")
    assert len(out["truncated"]) == MAX_EVIDENCE_CHARS // 2 - 1 and out["truncated"].startswith('{"0zzz')
    assert len(json.dumps(out)) <= MAX_EVIDENCE_CHARS


def test_bound_evidence_over_budget_at_200_characters_keeps_3_items_of_100() -> None:
    """Evidence still over budget at 200 characters and 5 items is shrunk to 100 characters, 3 items, 9 keys."""
    out = bound_evidence({f"k{i:02d}": ["x" * 1000] * 10 for i in range(20)})
    assert list(out) == [f"k{i:02d}" for i in range(9)] + ["…"] and out["…"] == "11 more keys"
    assert out["k00"] == [clip("x" * 1000, 100)] * 3 + ["… 7 more"]


def test_make_result_cuts_a_measurement_summary_at_200_and_the_check_summary_at_600() -> None:
    """A long measurement summary is kept to 200 characters (its duration to the millisecond), the check's own
    summary to 600."""
    look = m("fail", "y" * 1000)
    look.duration = 1.23456
    res = make_result("probe", "http", "web", "fail", "s" * 1000, {}, 0.0, [look], 1)
    assert res.measurements["items"][0]["summary"] == clip("y" * 1000, 200)
    assert res.measurements["items"][0]["duration"] == 1.235          # milliseconds kept
    assert res.summary == clip("s" * 1000, 600) and len(res.summary) == 599


def test_a_result_word_nobody_knows_is_inconclusive_never_pass_nor_a_failure() -> None:
    """A measurement whose result is none of pass/fail/inconclusive makes the soak inconclusive (as worst()
    does), and does not count toward the failure limit."""
    odd = m("error", "e1")
    out = fold([P1, odd, P2], count=3, failure_limit=0, finished=True)
    assert (out.result, out.summary, out.decisive) == ("inconclusive", "1 of 3 measurements inconclusive: e1", odd)
    assert fold([odd], count=1, failure_limit=0, finished=True).result == "inconclusive"
    assert not decided_early([odd], 0)


def test_decided_early_needs_more_failures_than_the_limit() -> None:
    """Fewer failures than the limit (none at all, say) never decide a soak early."""
    assert not decided_early([], 1) and not decided_early([P1], 1) and not decided_early([P1, F1], 2)


def test_a_soak_with_all_its_looks_is_complete_whatever_finished_says() -> None:
    """`finished` False means cut short before `count` looks: with all `count` looks taken the soak is
    judged as complete (the runner's own `finished` relies on this)."""
    done = fold([P1, P2], count=2, failure_limit=0, finished=False)
    assert (done.result, done.summary) == ("pass", "2 of 2 measurements passed: p2")


def test_evidence_limits_are_400_characters_a_string_80_a_key_and_4000_in_all() -> None:
    """The documented bounds themselves: a string is cut at 400 characters, a key at 80, and evidence of exactly
    4000 serialized characters is kept whole while one character more is shrunk."""
    assert bound_evidence({"s": "x" * 1000})["s"] == clip("x" * 1000, 400) and MAX_TEXT == 400
    assert list(bound_evidence({"k" * 100: 1})) == ["k" * 80]
    exact = {"l": ["x" * 395] * 9 + ["y" * 398]}
    assert len(json.dumps(exact)) == MAX_EVIDENCE_CHARS == 4000 and bound_evidence(exact) == exact
    over = {"l": ["x" * 395] * 9 + ["y" * 399]}
    assert len(json.dumps(over)) == 4001 and bound_evidence(over) != over
