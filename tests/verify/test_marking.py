"""mark_deployed's rules, each pinned exactly: the pure decision per ledger state, the re-read of the runtime at
the moment of marking, all or nothing, the note limit, a doubtful ledger, and what a mark record carries
(logic over a real git repository, a fake platform standing in for the runtime)."""

from __future__ import annotations

import json

import pytest

from deploystate.platforms.base import Instance, Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.state.view import cache
from deploystate.state.errors import ConfigError, InputError, PlatformUnreachable, Refused
from deploystate.state.drift.headcode import Judge
from deploystate.verify.marking import MAX_NOTE, Decision, decide, live, mark_deployed
from deploystate.verify.service import verify_services
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import make_project, record_deploy

CONFIG = """\
[services.api]
platform = "command"
paths = ["api/**"]
restart_cmd = ["true"]
{api_extra}

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]
"""
PASS = {"id": "05", "verdict": "pass", "commit": "c0ffee", "summary": "all good"}


def _state(**svc) -> dict:
    return {"services": {"web": svc}}


def test_decide_never_verified_refuses_and_says_to_verify() -> None:
    """No verification at all: refused, 'never verified', and the next step is the verify command."""
    d = decide({"services": {}}, "web")
    assert (d.ok, d.reason, d.next) == (False, "never verified", "run `deploystate verify web`")
    assert not d.already and d.commit is None            # a refusal is never "already marked"
    assert not decide({}, "web").ok


def test_decide_a_restart_after_the_verification_refuses_but_one_before_does_not() -> None:
    """A deploy record newer than the verification refuses (with its time); an older or equal one does not."""
    d = decide(_state(verification=PASS, deploy={"id": "06", "ts": "12:00"}), "web")
    assert not d.ok and d.reason == "restarted at 12:00 after the last verification"
    assert d.next == "run `deploystate verify web`"
    assert "at ?" in decide(_state(verification=PASS, deploy={"id": "06"}), "web").reason
    assert decide(_state(verification=PASS, deploy={"id": "05"}), "web").ok
    assert decide(_state(verification=PASS, deploy={"id": "04"}), "web").ok


def test_decide_fail_and_inconclusive_refuse_with_their_own_next_step() -> None:
    """A failed verification says fix and record an attempt; an inconclusive one says make the checks look."""
    failed = decide(_state(verification={**PASS, "verdict": "fail", "summary": "oom"}), "web")
    assert not failed.ok and failed.reason == "the latest verification FAILED: oom"
    assert "deploystate attempt add" in failed.next and "deploystate verify web" in failed.next
    unsure = decide(_state(verification={**PASS, "verdict": "inconclusive", "summary": "no answer"}), "web")
    assert not unsure.ok and unsure.reason == "the latest verification was INCONCLUSIVE: no answer"
    assert unsure.next.startswith("make the checks able to look") and "deploystate verify web" in unsure.next
    assert not decide(_state(verification={**PASS, "verdict": "warning"}), "web").ok   # only pass passes
    odd = decide(_state(verification={**PASS, "verdict": "error", "summary": "?"}), "web")
    assert not odd.ok and odd.reason == "the latest verification was ERROR: ?"      # unknown words: not FAILED


def test_decide_reads_a_verdict_parsed_from_the_ledger() -> None:
    """A verdict string read back from a ledger line (a fresh string, not a literal) is compared by value."""
    ver = json.loads(json.dumps({**PASS, "verdict": "fail", "summary": "oom"}))
    assert decide(_state(verification=ver), "web").reason == "the latest verification FAILED: oom"


def test_decide_a_pass_names_its_verification_commit_and_whether_already_marked() -> None:
    """A pass is ok with the verification's id and commit (the running one when it has none); already when
    this very verification was marked before, not when an older one was."""
    d = decide(_state(verification=PASS, running_commit="beef"), "web")
    assert (d.ok, d.commit, d.verification_id, d.already) == (True, "c0ffee", "05", False)
    assert decide(_state(verification={**PASS, "commit": None}, running_commit="beef"), "web").commit == "beef"
    assert decide(_state(verification=PASS, marked_deployed={"verification_id": "05"}), "web").already
    assert not decide(_state(verification=PASS, marked_deployed={"verification_id": "03"}), "web").already


def _setup(repo: GitRepo, api_extra: str = ""):  # noqa: ANN202
    """Commit A, then B changing api only; the fake runtime runs B for both services."""
    project, config = make_project(repo, CONFIG.format(api_extra=api_extra),
                                   {"api/app.py": "v1\n", "web/index.html": "v1\n"})
    a = repo.head()
    b = repo.commit("fix api", {"api/app.py": "v2\n"})
    fake = FakePlatform(name="command")
    for name in ("api", "web"):
        fake.observations[name] = Observation(name, "command", name, "running", revision=b)
    return project, config, fake, a, b


def _verified(repo: GitRepo, api_extra: str = ""):  # noqa: ANN202
    project, config, fake, a, b = _setup(repo, api_extra)
    for name in ("api", "web"):
        record_deploy(project, name, b)
    with use("command", fake):
        assert verify_services(project, config, None, deadline=20, alert=False).verdict == "pass"
    return project, config, fake, a, b


def _live(project, config, fake, observation: Observation | None):  # noqa: ANN001, ANN202
    if observation is not None:
        fake.observations["api"] = observation
    with use("command", fake):
        return live(project, config, Decision(service="api", ok=True, commit="x"), Judge.for_project(project), 5)


def test_live_runs_head_takes_heads_commit_and_the_running_one(git_repo: GitRepo) -> None:
    """The runtime asked now runs HEAD's code: ok, the commit marked is HEAD, the running one is kept."""
    project, config, fake, _a, b = _setup(git_repo)
    d = _live(project, config, fake, None)
    assert (d.ok, d.commit, d.running, d.waived) == (True, b, b, None)


def test_live_not_head_or_missing_refuses_and_says_to_restart(git_repo: GitRepo) -> None:
    """The code before the fix, or no container at all: refused, next is restart then verify."""
    project, config, fake, a, _b = _setup(git_repo)
    for obs in (Observation("api", "command", "api", "running", revision=a),
                Observation("api", "command", "api", "missing")):
        d = _live(project, config, fake, obs)
        assert not d.ok and d.reason.startswith("the runtime, asked now: ")
        assert d.next == "restart it so it runs HEAD's code (`deploystate restart api`), then " \
                         "`deploystate verify api`"


def test_live_unreadable_revision_refuses_unless_waived(git_repo: GitRepo) -> None:
    """No revision reported: refused ('make api report its commit'); waived: ok at HEAD; a read revision naming
    no commit here is refused even when waived."""
    project, config, fake, _a, b = _setup(git_repo)
    blind = Observation("api", "command", "api", "running", instances=[Instance("api-1", "running")])
    d = _live(project, config, fake, blind)
    assert not d.ok and d.next == "make api report its commit, then `deploystate verify api`"
    waived_config = config.model_copy(deep=True)
    waived_config.services["api"] = waived_config.services["api"].model_copy(
        update={"revision_waiver": "vendor image"})
    d = _live(project, waived_config, fake, blind)
    assert (d.ok, d.commit, d.waived, d.running) == (True, b, "vendor image", None)
    unplaced = Observation("api", "command", "api", "running", revision="f" * 40)   # read, names no commit here
    d = _live(project, waived_config, fake, unplaced)
    assert not d.ok and d.waived is None and d.next == "make api report its commit, then `deploystate verify api`"


def test_live_a_runtime_that_cannot_be_asked_refuses_with_its_message(git_repo: GitRepo) -> None:
    """A deploystate error gives its own message; any other exception its type and text: both refuse."""
    project, config, fake, _a, _b = _setup(git_repo)
    fake.errors["observe"] = PlatformUnreachable("engine stopped", "start it")
    d = _live(project, config, fake, None)
    assert not d.ok and d.reason == "could not ask the runtime what runs now: engine stopped"
    assert d.next == "make the runtime reachable, then `deploystate verify api`"
    fake.errors["observe"] = RuntimeError("socket closed")
    d = _live(project, config, fake, None)
    assert not d.ok and d.reason == "could not ask the runtime what runs now: RuntimeError: socket closed"


def test_marking_writes_one_record_per_service_with_what_it_saw(git_repo: GitRepo) -> None:
    """Both services marked: each record carries HEAD, its verification, the note and the running revision;
    marking again is 'already' and writes nothing."""
    project, config, fake, _a, b = _verified(git_repo)
    with use("command", fake):
        outcome = mark_deployed(project, config, None, "release 7")
        assert outcome.already == []
        state = cache.load(project.ledger).state
        by = {m["service"]: m for m in outcome.marked}
        assert sorted(by) == ["api", "web"]
        for name in ("api", "web"):
            marked = state["services"][name]["marked_deployed"]
            assert marked["verification_id"] == state["services"][name]["verification"]["id"]
            assert by[name]["commit"] == b and by[name]["running_revision"] == b
            assert by[name]["verification_id"] == marked["verification_id"]
            assert by[name]["revision_waiver"] is None and by[name]["record_id"]
        lines = [json.loads(x) for x in (project.state_dir / "ledger.jsonl").read_text().splitlines()]
        marks = [r for r in lines if r["kind"] == "mark_deployed"]
        assert [r["payload"]["note"] for r in marks] == ["release 7", "release 7"]
        assert all(r["commit"] == b for r in marks)
        again = mark_deployed(project, config, ["api", "web"], "")
    assert again.marked == [] and sorted(again.already) == ["api", "web"]
    after = [json.loads(x) for x in (project.state_dir / "ledger.jsonl").read_text().splitlines()]
    assert len(after) == len(lines)


def test_one_refused_service_marks_nothing_and_names_every_refusal(git_repo: GitRepo) -> None:
    """api passes, web was restarted since: Refused naming web's reason and next step, and api is not marked."""
    project, config, fake, _a, b = _verified(git_repo)
    record_deploy(project, "web", b)
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["api", "web"], "")
    assert "not marking deployed: web: restarted at" in str(exc.value)
    assert "web: run `deploystate verify web`" in exc.value.hint
    assert "api:" not in str(exc.value)
    assert cache.load(project.ledger).state["services"]["api"]["marked_deployed"] is None


def test_names_are_deduplicated_and_unknown_names_are_a_config_error(git_repo: GitRepo) -> None:
    """A name given twice is marked once; an unknown name raises ConfigError before anything is written."""
    project, config, fake, _a, _b = _verified(git_repo)
    with use("command", fake):
        with pytest.raises(ConfigError):
            mark_deployed(project, config, ["api", "nope"], "")
        assert cache.load(project.ledger).state["services"]["api"]["marked_deployed"] is None
        outcome = mark_deployed(project, config, ["api", "api"], "")
    assert [m["service"] for m in outcome.marked] == ["api"]


def test_without_names_only_deployed_or_verified_services_are_marked(git_repo: GitRepo) -> None:
    """No names: the services with a deploy or a verification; none at all is an InputError saying so."""
    project, config, fake, _a, b = _setup(git_repo)
    with use("command", fake), pytest.raises(InputError) as exc:
        mark_deployed(project, config, None, "")
    assert "nothing to mark" in str(exc.value)
    record_deploy(project, "api", b)
    with use("command", fake):
        assert verify_services(project, config, ["api"], deadline=20, alert=False).verdict == "pass"
        outcome = mark_deployed(project, config, None, "")
    assert [m["service"] for m in outcome.marked] == ["api"]
    other = GitRepo(git_repo.path.parent / "other")
    other.path.mkdir()
    other.git("init", "-q", "-b", "main")
    project2, config2, fake2, _a2, b2 = _setup(other)
    record_deploy(project2, "web", b2)                   # deployed, never verified: refused, not skipped
    with use("command", fake2), pytest.raises(Refused) as exc:
        mark_deployed(project2, config2, None, "")
    assert "web: never verified" in str(exc.value)


def test_a_note_over_the_limit_is_refused_and_one_at_it_is_kept(git_repo: GitRepo) -> None:
    """A note of 2001 characters is an InputError; 2000 exactly is marked."""
    assert MAX_NOTE == 2000   # the documented limit (docs: mark_deployed's note)
    project, config, fake, _a, _b = _verified(git_repo)
    with use("command", fake):
        with pytest.raises(InputError) as exc:
            mark_deployed(project, config, ["api"], "n" * (MAX_NOTE + 1))
        assert f"{MAX_NOTE + 1} characters" in str(exc.value)
        assert mark_deployed(project, config, ["api"], "n" * MAX_NOTE).marked


def test_a_tampered_ledger_refuses_marking(git_repo: GitRepo) -> None:
    """An edited record: Refused (the ledger cannot be trusted), pointing at doctor; two edits: the first in
    the ledger named and '(and 1 more)'."""
    project, config, fake, _a, _b = _verified(git_repo)
    path = project.state_dir / "ledger.jsonl"
    text = path.read_text()
    assert text.count('"verdict":"pass"') == 2
    path.write_text(text.replace('"verdict":"pass"', '"verdict":"fail"', 1))
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["api"], "")
    assert "the ledger cannot be trusted" in str(exc.value) and "deploystate doctor" in exc.value.hint
    assert "more)" not in str(exc.value)                       # one problem: no count
    path.write_text(text.replace('"verdict":"pass"', '"verdict":"fail"'))
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["api"], "")
    assert exc.value.message.endswith("(its hash does not match its content) (and 1 more)")   # two edits
    edited = [json.loads(x)["id"] for x in text.splitlines() if '"verdict":"pass"' in x]
    assert f"record {edited[0]} was changed" in exc.value.message             # the first in the ledger, named
    assert edited[1] not in exc.value.message


def test_a_refusal_reason_is_cut_at_300_characters(git_repo: GitRepo) -> None:
    """A failed verification with a very long summary: the refusal quotes the reason's first 300 characters."""
    project, config, fake, _a, b = _verified(git_repo)
    long = "x" * 600
    state = {"services": {"api": {"verification": {**PASS, "verdict": "fail", "summary": long}}}}
    reason = decide(state, "api").reason
    from deploystate.state.ledger import store
    store.record(project, "verification", {"service": "api", "verdict": "fail", "summary": long, "checks": []},
                 commit=b)
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["api"], "")
    assert f"api: {reason[:300]}" in str(exc.value) and f"api: {reason[:301]}" not in str(exc.value)
