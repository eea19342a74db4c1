"""Revision identity (verify/identity.py) and the revision check over it, pinned exactly: which revision a
multi-instance service is judged by, the worst instance decides, wording and evidence (pure: a scripted Judge
stands in for git; the rule itself, state.headcode, is tested over real git in tests/state/test_headcode.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploystate.platforms.base import Instance, Observation, ServiceRef
from deploystate.platforms.fake import FakePlatform
from deploystate.state.config.checks import RevisionCheck
from deploystate.state.config.config import CommandService
from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, UNKNOWN, HeadCode
from deploystate.verify.checks import revision
from deploystate.verify.context import CheckContext
from deploystate.verify.identity import assess

HEAD = "a" * 40
OLD = "b" * 40
ODD = "c" * 40
OLDER = "d" * 40     # a second stale commit
SAME = "e" * 40      # an older commit whose files did not change up to HEAD
NOPATHS = "0" * 40   # a commit of this clone that cannot be judged (say, no paths): UNKNOWN, running known


class Scripted:
    """A Judge whose answer per reported revision is given: RUNS_HEAD for HEAD and SAME, NOT_HEAD for OLD and
    OLDER, UNKNOWN naming the commit for NOPATHS, else UNKNOWN with no commit."""

    head = HEAD

    def __init__(self) -> None:
        self.asked: list[str | None] = []

    def judge(self, service: str, reported: str | None, why: str | None = None) -> HeadCode:
        self.asked.append(reported)
        status = {HEAD: RUNS_HEAD, SAME: RUNS_HEAD, OLD: NOT_HEAD, OLDER: NOT_HEAD}.get(reported or "", UNKNOWN)
        running = reported if status != UNKNOWN or reported == NOPATHS else None
        return HeadCode(status, service, running, HEAD, f"{status} for {reported}")


def svc(**cfg) -> ServiceRef:
    return ServiceRef("api", CommandService(restart_cmd=["true"], **cfg), Path("."))


def obs(revision: str | None = None, *instances: tuple[str, str | None], state: str = "running") -> Observation:
    return Observation("api", "command", "cmd:api", state, revision=revision,
                       instances=[Instance(n, "running", revision=r) for n, r in instances])


def test_a_missing_service_is_missing_whatever_it_reported() -> None:
    """state missing: status 'missing' naming the target, nothing judged."""
    judge = Scripted()
    found = assess(obs(HEAD, state="missing"), svc(), judge)
    assert (found.status, found.reason) == ("missing", "cmd:api is not running (missing)")
    assert judge.asked == [] and found.evidence["head"] == HEAD and found.evidence["target"] == "cmd:api"


def test_a_missing_state_read_from_data_is_missing_too() -> None:
    """A state string a platform built at run time (parsed output, not a literal) is compared by value."""
    gone = obs(HEAD)
    gone.state = json.loads('"missing"')
    assert assess(gone, svc(), Scripted()).status == "missing"


def test_a_degraded_service_is_judged_by_its_revision_not_called_missing() -> None:
    """Only state 'missing' skips the judgement: degraded, stopped or progressing services are judged."""
    for state in ("degraded", "stopped", "progressing", "unknown"):
        assert assess(obs(HEAD, state=state), svc(), Scripted()).status == RUNS_HEAD, state
        assert assess(obs(OLD, state=state), svc(), Scripted()).status == NOT_HEAD, state


def test_no_revision_anywhere_is_unknown_with_what_to_add_and_the_note_seen() -> None:
    """Nothing reported: UNKNOWN, a to-do (missing_revision), the hint, and the platform's first note."""
    found = assess(obs(None, ("api-1", None)), svc(), Scripted())
    assert found.status == UNKNOWN and found.missing_revision and found.running is None
    assert "revision_waiver" in found.reason and "(seen:" not in found.reason
    noted = obs(None)
    noted.facts = {"revision_notes": ["label absent", "second"]}
    assert assess(noted, svc(), Scripted()).reason.endswith(" (seen: label absent)")


def test_the_observation_revision_is_used_only_when_no_instance_reports_one() -> None:
    """Instances' revisions are judged (each distinct one once); the service-level one only without them."""
    judge = Scripted()
    found = assess(obs(OLD, ("api-1", HEAD), ("api-2", HEAD)), svc(), judge)
    assert found.status == RUNS_HEAD and judge.asked == [HEAD]
    judge = Scripted()
    assert assess(obs(HEAD), svc(), judge).status == RUNS_HEAD and judge.asked == [HEAD]
    assert found.reason == f"runs HEAD's code: {RUNS_HEAD} for {HEAD}" and found.running == HEAD


def test_one_stale_instance_of_two_fails_and_says_how_many() -> None:
    """NOT_HEAD beats HEAD and UNKNOWN: the reason of the stale revision plus '(1 of 3 instances)'."""
    found = assess(obs(None, ("api-1", HEAD), ("api-2", OLD), ("api-3", ODD)), svc(), Scripted())
    assert found.status == NOT_HEAD and found.running == OLD
    assert found.reason == f"{NOT_HEAD} for {OLD} (1 of 3 instances)"
    single = assess(obs(None, ("api-1", OLD)), svc(), Scripted())
    assert single.reason == f"{NOT_HEAD} for {OLD}"          # one instance: no count


def test_one_stale_instance_of_two_says_so() -> None:
    """Two instances, one stale: the count is given from two instances up."""
    found = assess(obs(None, ("api-1", HEAD), ("api-2", OLD)), svc(), Scripted())
    assert found.reason == f"{NOT_HEAD} for {OLD} (1 of 2 instances)"


@pytest.mark.parametrize("order", [(OLDER, OLD, HEAD), (HEAD, OLD, OLDER)])
def test_two_stale_revisions_are_counted_and_the_lowest_named(order: tuple[str, ...]) -> None:
    """Instances on two different stale commits: both counted, and the reason and the running commit are of
    the same one, the lowest commit id, whatever the instances' order."""
    found = assess(obs(None, *[(f"api-{i}", r) for i, r in enumerate(order, 1)]), svc(), Scripted())
    assert found.status == NOT_HEAD
    assert found.reason == f"{NOT_HEAD} for {OLD} (2 of 3 instances)" and found.running == OLD


@pytest.mark.parametrize("order", [(ODD, NOPATHS), (NOPATHS, ODD)])
def test_two_undecidable_revisions_name_the_lowest(order: tuple[str, ...]) -> None:
    """Two revisions the judge cannot place: the reason and the running commit are of the same one, the
    lowest commit id, whatever the instances' order."""
    found = assess(obs(None, *[(f"api-{i}", r) for i, r in enumerate(order, 1)]), svc(), Scripted())
    assert found.status == UNKNOWN and found.running == NOPATHS
    assert found.reason == f"cannot tell whether api runs HEAD's code: {UNKNOWN} for {NOPATHS}"


@pytest.mark.parametrize("order", [(SAME, HEAD), (HEAD, SAME)])
def test_instances_on_two_commits_both_with_heads_code_pass_naming_the_lowest(order: tuple[str, ...]) -> None:
    """HEAD on one instance, an older commit with the same files on another: runs HEAD's code, the reason and
    the running commit of the lowest commit id, whatever the instances' order."""
    found = assess(obs(None, *[(f"api-{i}", r) for i, r in enumerate(order, 1)]), svc(), Scripted())
    assert found.status == RUNS_HEAD and found.running == HEAD
    assert found.reason == f"runs HEAD's code: {RUNS_HEAD} for {HEAD}"


def test_an_unresolvable_revision_beside_head_is_unknown_not_pass() -> None:
    """HEAD on one instance and a revision the judge cannot place on another: UNKNOWN, naming the cause."""
    found = assess(obs(None, ("api-1", HEAD), ("api-2", ODD)), svc(), Scripted())
    assert found.status == UNKNOWN
    assert found.reason == f"cannot tell whether api runs HEAD's code: {UNKNOWN} for {ODD}"


def test_an_instance_reporting_nothing_beside_head_ones_is_unknown_and_named() -> None:
    """Two of three run HEAD, one reports no revision: UNKNOWN naming the silent instance."""
    found = assess(obs(None, ("api-1", HEAD), ("api-2", None), ("api-3", HEAD)), svc(), Scripted())
    assert found.status == UNKNOWN and found.running == HEAD
    assert found.reason == "1 of 3 instances of api report no revision (api-2); the others run HEAD's code"


def test_silent_instances_are_counted_and_the_first_three_named() -> None:
    """Four of five instances report no revision: all four counted, the first three named."""
    found = assess(obs(None, ("api-1", HEAD), *[(f"api-{i}", None) for i in range(2, 6)]), svc(), Scripted())
    assert found.status == UNKNOWN
    assert found.reason == ("4 of 5 instances of api report no revision (api-2, api-3, api-4); "
                            "the others run HEAD's code")


def test_evidence_names_head_running_source_instances_and_each_judgement() -> None:
    """Evidence: head, the observation's revision and source (the config's when unset), the first 20 instances,
    and the judgement of every distinct revision."""
    many = obs(HEAD, *[(f"api-{i}", HEAD) for i in range(25)])
    found = assess(many, svc(), Scripted())
    ev = found.evidence
    assert ev["head"] == HEAD and ev["running"] == HEAD and ev["source"] == "label"
    assert list(ev["instances"]) == [f"api-{i}" for i in range(20)]
    assert ev["judged"] == {HEAD: {"status": RUNS_HEAD, "service": "api", "running": HEAD, "head": HEAD,
                                   "reason": f"{RUNS_HEAD} for {HEAD}", "files": []}}
    sourced = obs(HEAD)
    sourced.revision_source = "env"
    assert assess(sourced, svc(), Scripted()).evidence["source"] == "env"
    assert "instances" not in assess(obs(HEAD), svc(), Scripted()).evidence


def _measure(observation: Observation, **cfg):  # noqa: ANN202
    fake = FakePlatform(name="command")
    fake.observations["api"] = observation
    ctx = CheckContext(root=Path("."), service=svc(**cfg), platform=fake, judge=Scripted())
    return revision.measure(RevisionCheck(), ctx, 5)


def test_the_check_passes_head_fails_stale_and_missing() -> None:
    """RUNS_HEAD passes; NOT_HEAD and a missing service fail, with identity's reason as the summary."""
    ok = _measure(obs(HEAD))
    assert ok.result == "pass" and ok.summary.startswith("runs HEAD's code")
    assert "missing_revision" not in ok.evidence
    stale = _measure(obs(OLD))
    assert stale.result == "fail" and stale.summary == f"{NOT_HEAD} for {OLD}"
    gone = _measure(obs(HEAD, state="missing"))
    assert gone.result == "fail" and "is not running" in gone.summary


@pytest.mark.parametrize("revision_seen", [None, ODD])
def test_the_check_is_inconclusive_when_it_cannot_tell(revision_seen: str | None) -> None:
    """An unread revision or one naming no commit here: inconclusive, the unread one flagged missing_revision."""
    unsure = _measure(obs(revision_seen))
    assert unsure.result == "inconclusive"
    assert unsure.evidence.get("missing_revision", False) is (revision_seen is None)


def test_a_waiver_passes_only_a_revision_no_instance_reports() -> None:
    """revision_waiver passes an unread revision, saying WAIVED and why; a read one naming no commit here (it
    could be old code) stays inconclusive."""
    waived = _measure(obs(None), revision_waiver="vendor image")
    assert waived.result == "pass" and waived.summary.startswith("revision check WAIVED (vendor image): ")
    assert waived.evidence["waived"] == "vendor image"
    assert _measure(obs(ODD), revision_waiver="vendor image").result == "inconclusive"


def test_a_waiver_never_passes_a_stale_revision() -> None:
    """revision_waiver is for an unreadable revision only: a known stale one still fails."""
    assert _measure(obs(OLD), revision_waiver="vendor image").result == "fail"


def test_same_commit_is_for_abbreviations_of_seven_or_more_only() -> None:
    """Display helper: case and spaces ignored, a 7-digit prefix matches, 6 digits or an empty side never."""
    assert revision.same_commit(HEAD, " " + HEAD[:7].upper() + " ")
    assert revision.same_commit(HEAD[:7], HEAD)
    assert not revision.same_commit(HEAD, HEAD[:6])
    assert not revision.same_commit("", HEAD) and not revision.same_commit(HEAD, " ")
    assert not revision.same_commit(HEAD, OLD[:7])
