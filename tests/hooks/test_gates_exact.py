"""The gates' refusals read exactly: which reason is given for which history, what each names, where long
text is cut, and that no verdict but pass gets through (written to kill the mutants tools/mutation_score.py
found in hooks/gates.py)."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks import gates
from deploystate.state.view import projection

A, B = "a" * 40, "b" * 40


def _rec(i, kind, **payload):
    return {"id": f"{i:026d}", "ts": f"2024-05-01T10:{i:02d}:00.000000Z", "kind": kind, "commit": payload.get("commit"),
            "author": {"name": "dev", "session": None}, "payload": payload}


def _deploy(i, status="restarted", **more):
    return _rec(i, "deploy", service="api", commit=A, status=status, **more)


def _verify(i, verdict, **more):
    return _rec(i, "verification", service="api", commit=B, verdict=verdict, **more)


def _only(refusals):
    (refusal,) = refusals
    return refusal


def test_a_failed_verification_after_the_deploy_names_its_summary_and_failed_checks():
    """A failing verification newer than the deploy is the reason: its commit, day, summary and failed checks."""
    state = projection.build([_deploy(1), _verify(2, "fail", summary="500 on /cart",
                                                  failed_checks=["http /cart", "logs"])])
    refusal = _only(gates.deploy_gate(state, 3, True, []))
    assert refusal.what == ("verification of `api` at bbbbbbbbbb FAILED on 2024-05-01 10:02 UTC — 500 on /cart "
                            "(failed checks: http /cart, logs), and nothing since has resolved it.")
    assert (refusal.service, refusal.commit) == ("api", B)


def test_a_failed_restart_after_a_failed_verification_is_the_reason_given():
    """When the latest word is a failed restart (newer than a failed verification), the restart and its reason
    are named, not the older verification."""
    state = projection.build([_verify(1, "fail", summary="old"), _deploy(2, status="failed", reason="exit 3")])
    refusal = _only(gates.deploy_gate(state, 3, True, []))
    assert refusal.what == "the restart of `api` at aaaaaaaaaa FAILED on 2024-05-01 10:02 UTC — exit 3."
    assert refusal.commit == A and "old" not in refusal.what


def test_a_failed_restart_without_a_reason_says_so_plainly():
    """A failed restart with no reason recorded ends at the day, with no dangling dash."""
    refusal = _only(gates.deploy_gate(projection.build([_deploy(1, status="failed")]), 3, True, []))
    assert refusal.what == "the restart of `api` at aaaaaaaaaa FAILED on 2024-05-01 10:01 UTC."


def test_long_summaries_and_check_lists_are_cut_to_one_bounded_line():
    """A summary is cut at 160 characters and the failed-check list at 120, each ending in an ellipsis."""
    checks = [f"a-long-check-name-{i:02d}" for i in range(40)]
    state = projection.build([_verify(1, "fail", summary="x" * 500, failed_checks=checks)])
    what = _only(gates.deploy_gate(state, 3, True, [])).what
    summary = "x" * 159 + "…"
    listed = ", ".join(checks[:10])[:119] + "…"     # the projection keeps the first 10 checks
    assert f"— {summary} (failed checks: {listed})," in what
    exact = projection.build([_verify(1, "fail", summary="y" * 160)])
    assert f"— {'y' * 160}, and" in _only(gates.deploy_gate(exact, 3, True, [])).what


def test_an_inconclusive_verification_after_the_deploy_is_named_inconclusive():
    """An inconclusive verification newer than the deploy is the reason, with its summary."""
    state = projection.build([_deploy(1), _verify(2, "inconclusive", summary="no revision label")])
    refusal = _only(gates.deploy_gate(state, 3, True, []))
    assert refusal.what == ("verification of `api` at bbbbbbbbbb on 2024-05-01 10:02 UTC was INCONCLUSIVE "
                            "(unknown evidence is never a pass): no revision label.")


def test_a_deploy_after_any_verification_is_unverified_by_whom_and_how():
    """A restart newer than the last verification (whatever it said) is unverified: who restarted, how."""
    for old in ("inconclusive", "pass"):
        state = projection.build([_verify(1, old), _deploy(2, strategy="rolling")])
        refusal = _only(gates.running_verified(state))
        assert refusal.what == ("`api` was restarted at aaaaaaaaaa on 2024-05-01 10:02 UTC by dev (rolling) and has "
                                "no verification since."), old


@pytest.mark.parametrize("word", ["skipped", "error", "PASS", ""])
def test_a_verdict_word_that_is_not_pass_is_refused_and_named(word):
    """A record whose verdict is no word deploystate writes (another version, a hand edit) is not a pass,
    even when HEAD's code is known to run; the refusal names the word."""
    state = projection.build([_deploy(1), _verify(2, word, summary="s")])
    state["headcode"] = {"api": {"status": "runs_head", "files": []}}
    refusal = _only(gates.running_verified(state, ["api"]))
    assert refusal.what == (f"verification of `api` at bbbbbbbbbb on 2024-05-01 10:02 UTC was `{word}`, which is "
                            "not a pass: s.")


def test_a_named_service_without_history_is_refused_by_name():
    """A service asked for by name that has no deploy or verification is refused as never deployed, next to
    services that have a history."""
    state = projection.build([_deploy(1), _verify(2, "pass")])
    state["headcode"] = {"api": {"status": "runs_head", "files": []}}
    assert gates.running_verified(state, ["api"]) == []
    refusal = _only(gates.running_verified(state, ["ghost"]))
    assert refusal.what == "`ghost` has never been deployed or verified through deploystate."
    assert refusal.service == "ghost"
    state["services"]["idle"] = {"deploy": None, "verification": None}
    assert _only(gates.running_verified(state, ["idle"])).what.startswith("`idle` has never been deployed")


def test_the_files_head_changed_are_listed_up_to_200_characters():
    """The not-HEAD refusal lists the changed files, cut at 200 characters."""
    files = [f"api/module_{i:02d}.py" for i in range(30)]
    state = projection.build([_deploy(1), _verify(2, "pass")])
    state["headcode"] = {"api": {"status": "not_head", "files": files}}
    what = _only(gates.running_verified(state, ["api"])).what
    assert f"HEAD changed {', '.join(files)[:200]} for `api`" in what


def test_only_a_pass_lets_a_tag_through():
    """A deployed/* tag passes on a pass only; any other verdict, or none, refuses and says which."""
    assert gates.tag_refusal("deployed/1", A, "pass") is None
    for verdict in ("fail", "inconclusive", "skipped", "warning"):
        assert gates.tag_refusal("deployed/1", A, verdict).what == (
            f"tag `deployed/1` marks aaaaaaaaaa as deployed, but its latest verification did not pass ({verdict}).")
    assert gates.tag_refusal("deployed/1", A, None).what.endswith("deploystate has no passing verification of it.")


def test_the_report_numbers_each_reason_and_ends_with_the_note():
    """The refusal text numbers the reasons with their next commands, shows the override, then the note."""
    text = gates.report("push refused", [gates.Refusal("one is wrong.", "fix one."),
                                         gates.Refusal("two is wrong.", "fix two.")],
                        "DEPLOYSTATE_OVERRIDE='why' git push", note="(note)\n")
    assert text.startswith("deploystate: push refused\n\n  1. one is wrong.\n     next: fix one.\n"
                           "  2. two is wrong.\n     next: fix two.\n")
    assert text.endswith("\n  DEPLOYSTATE_OVERRIDE='why' git push\n(note)\n")


@pytest.mark.parametrize("a,b,same", [
    (A, A, True), (A.upper(), A, True), ("abc12", "ABC12", True), (A[:7], A, True), (A, A[:8], True), ("abc1234", "abc1234", True),
    (A, B, False), ("a" * 39 + "b", A, False), (A[:6], A, False), ("aaa", "bbb", False), ("bbb", "aaa", False),
    (None, A, False), (A, None, False), ("", A, False), (None, None, False), ("", "", False),
])
def test_commits_are_the_same_only_by_full_sha_or_a_prefix_of_seven(a, b, same):
    """Full shas compare equal (in any case); an abbreviation of 7 or more matches as a prefix; a shorter
    one, a different sha or a missing one never matches."""
    assert gates.same_commit(a, b) is same


def test_a_broken_chain_names_its_first_problem_cut_at_200_characters():
    """The chain refusal quotes the first problem (the rest are for doctor), cut at 200 characters; with no
    problem given it says what a break means."""
    state = projection.build([])
    first = _only(gates.deploy_gate(state, 3, False, ["record 7 was edited", "record 9 is missing"])).what
    assert first == ("the ledger's hash chain does not verify (record 7 was edited), so no verdict in it can be "
                     "trusted.")
    long = _only(gates.deploy_gate(state, 3, False, ["p" * 300])).what
    assert f"({'p' * 199}…)," in long
    assert "(a record was changed, deleted or reordered)" in _only(gates.deploy_gate(state, 3, False, [])).what


def test_the_doom_loop_refusal_names_each_streak_and_the_latest_failure():
    """DOOM LOOP names every looping service with its streak, and the latest failure with its summary (cut
    at 120 characters)."""
    fails = [_verify(i, "fail", summary=f"fix {i}") for i in range(1, 3)] + [_verify(3, "fail", summary="z" * 300)]
    refusals = gates.deploy_gate(projection.build(fails), 3, True, [])
    assert refusals[0].what == ("DOOM LOOP: verifications failed in a row with no pass between: `api` 3 (threshold 3)."
                                f" Latest: `api` at bbbbbbbbbb on 2024-05-01 10:03 UTC — {'z' * 119}….")
    assert not any(r.what.startswith("DOOM LOOP") for r in gates.deploy_gate(projection.build(fails[:2]), 3, True, []))


def test_a_state_read_back_from_json_is_judged_the_same():
    """The headcode verdicts and verdict words are compared by value: a state that went through JSON (the
    cache, the ledger) is judged as the one built in memory."""
    state = projection.build([_deploy(1), _verify(2, "pass")])
    for status, refused in (("runs_head", False), ("not_head", True)):
        state["headcode"] = {"api": {"status": status, "files": ["api/app.py"]}}
        loaded = json.loads(json.dumps(state))
        found = gates.running_verified(loaded, ["api"])
        assert bool(found) is refused
        assert not refused or "HEAD changed api/app.py" in found[0].what
    assert gates.tag_refusal("deployed/1", A, json.loads('"pass"')) is None


def test_a_stored_observation_that_says_not_working_refuses_the_push():
    """The runtime observation stored by the last `deploystate state` refuses a deploy push when it says
    "not working" (once per service, not beside a failure already named); other observations do not."""
    state = projection.build([_deploy(1), _verify(2, "pass")])
    state["runtime"] = {"api": "not working: runs aaaaaaa, not bbbbbbb", "worker": "runs bbbbbbb"}
    refusal = _only(gates.deploy_gate(state, 3, True, []))
    assert refusal.what == "`api`: not working: runs aaaaaaa, not bbbbbbb" and refusal.service == "api"
    failed = projection.build([_deploy(1), _verify(2, "fail")])
    failed["runtime"] = {"api": "not working: exited"}
    assert [r.what[:15] for r in gates.deploy_gate(failed, 3, True, [])] == ["verification of"]


def test_the_running_check_judges_every_service_with_a_deploy_or_a_verification():
    """Without names, every service with a deploy or a verification is judged, named in its refusal; with
    none at all, the one refusal says nothing is known to be deployed."""
    state = projection.build([_deploy(1)])
    assert _only(gates.running_verified(state)).what.startswith("`api` was restarted at aaaaaaaaaa")
    state = projection.build([_verify(1, "inconclusive", summary="no label")])
    what = _only(gates.running_verified(state)).what
    assert what.endswith("INCONCLUSIVE (unknown evidence is never a pass): no label.")
    assert _only(gates.running_verified(projection.build([]))).what.startswith(
        "deploystate has no record of any deploy or verification")


def test_a_name_never_deployed_does_not_stop_the_judging_of_the_next():
    """Asked about ["ghost", "api"], both are judged: ghost as never deployed, api as unverified."""
    refusals = gates.running_verified(projection.build([_deploy(1)]), ["ghost", "api"])
    assert [r.service for r in refusals] == ["ghost", "api"]


def test_a_pass_whose_headcode_is_unknown_says_why_in_200_characters():
    """A pass with no headcode verdict gives the reason the comparison could not be made (cut at 200), or
    says it was never made."""
    state = projection.build([_deploy(1), _verify(2, "pass")])
    state["headcode"] = {"api": {"status": "unknown", "reason": "r" * 300}}
    what = _only(gates.running_verified(state, ["api"])).what
    assert what.endswith(f"for `api`: {'r' * 199}….")
    state["headcode"] = {}
    assert _only(gates.running_verified(state, ["api"])).what.endswith(
        "for `api`: its verified commit was not compared with HEAD.")


def test_verdict_words_are_named_as_read_back_from_json_and_cut_at_40():
    """An inconclusive verdict read from JSON is still called INCONCLUSIVE; an unknown word is quoted up to
    40 characters."""
    failed = json.loads(json.dumps(projection.build([_deploy(1), _verify(2, "fail", summary="down")])))
    assert _only(gates.running_verified(failed)).what.startswith("verification of `api` at bbbbbbbbbb FAILED")
    state = json.loads(json.dumps(projection.build([_deploy(1), _verify(2, "inconclusive", summary="s")])))
    assert "was INCONCLUSIVE (unknown evidence is never a pass): s." in _only(gates.running_verified(state)).what
    word = "w" * 60
    what = _only(gates.running_verified(projection.build([_deploy(1), _verify(2, word, summary="s")]))).what
    assert f"was `{'w' * 39}…`, which is not a pass: s." in what
