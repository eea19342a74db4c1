"""Similar-attempt detection: text normalisation, scoring and the incremental index over every attempt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploystate.state.memory import memindex, memory, similarity
from deploystate.state.errors import InputError
from deploystate.state.config.project import Project

UNRELATED = [
    "increase memory limit for the api deployment to 2Gi",
    "rotate the TLS certificate on the load balancer",
    "add missing DATABASE_URL key to the configmap reference",
    "pin numpy below 2 in requirements to fix the import",
    "enable eventbridge schedule rules disabled by terraform default",
    "switch model endpoint back from fallback path",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.delenv("DEPLOYSTATE_SESSION", raising=False)
    monkeypatch.delenv("DEPLOYSTATE_STATE_DIR", raising=False)
    monkeypatch.delenv("DEPLOYSTATE_ROOT", raising=False)
    (tmp_path / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    return Project.discover(tmp_path)


def _seed(project: Project, items: list[tuple[str, str]]) -> list[dict]:
    """Append attempts straight to the ledger (fast) as (summary, outcome)."""
    return [project.ledger.append("attempt", {"summary": s, "outcome": o, "files": [], "services": []},
                                  author={"kind": "agent", "name": "t", "client": None, "session": None})
            for s, o in items]


def test_paraphrase_tokens_meet() -> None:
    """Inflections and stop words are normalised so a reworded attempt shares its content words."""
    a = similarity.tokens("restart celery worker to fix event loop")
    b = similarity.tokens("fix: event loop error by restarting the worker")
    assert {"restart", "work", "event", "loop", "fix"} <= set(a) & set(b)
    assert similarity.text_score(a, b) > 0.7


def test_volatile_parts_are_dropped() -> None:
    """Timestamps, hashes, uuids, numbers and directories do not make two tellings differ."""
    a = similarity.tokens("redeploy at 2024-05-01T10:00:00Z commit 3f9a2c1d of /srv/app/worker/tasks.py retry 3")
    b = similarity.tokens("Redeployed at 2024-06-09 11:12 commit deadbee5 of app/worker/tasks.py retries 7")
    assert a == b
    assert "task" in a


def test_stem_handles_common_endings() -> None:
    """The stemmer folds -ing/-ed/-s/-ies/-e endings and a few domain synonyms onto one stem."""
    assert {similarity.stem(w) for w in ("restart", "restarting", "restarted", "restarts", "reboot")} == {"restart"}
    assert similarity.stem("retries") == similarity.stem("retry")
    assert similarity.stem("stopping") == "stop"
    assert similarity.stem("increase") == similarity.stem("increased") == similarity.stem("bumped")


def test_unrelated_text_scores_zero() -> None:
    """Attempts about different things share no content words."""
    a = similarity.tokens("restart celery worker to fix event loop")
    for other in UNRELATED:
        assert similarity.text_score(a, similarity.tokens(other)) < 0.2, other


def test_files_and_services_raise_the_score() -> None:
    """Overlap of files and services counts beside the text; absent sides are left out, not zero."""
    q = similarity.tokens("raise worker memory")
    d = similarity.tokens("worker memory raised, prefetch lowered")
    alone = similarity.score_pair(q, [], [], d, ["k8s/a.yaml"], ["worker"])
    both = similarity.score_pair(q, ["k8s/worker.yaml"], ["worker"], d, ["k8s/worker.yaml"], ["worker"])
    other = similarity.score_pair(q, ["k8s/api.yaml"], ["api"], d, ["k8s/worker.yaml"], ["worker"])
    assert both > alone > other
    assert similarity.norm_files(["./k8s/worker.yaml", "k8s/worker.yaml/"]) == ["k8s/worker.yaml"]


def test_rare_words_weigh_more_than_common_ones() -> None:
    """With IDF weights, sharing a word every attempt uses counts less than sharing a rare one."""
    q = ["fix", "celeri"]
    weights = {"fix": 0.1, "celeri": 3.0, "api": 3.0, "beat": 3.0}
    common_only = similarity.text_score(q, ["fix", "api"], weights)
    rare_shared = similarity.text_score(q, ["celeri", "beat"], weights)
    assert rare_shared > 0.45 > common_only


def test_similar_attempts_finds_paraphrase_not_unrelated(project: Project) -> None:
    """The memory API finds the reworded failed attempt among unrelated ones, with its outcome and date."""
    recs = _seed(project, [("restart celery worker to fix event loop", "failed")]
                 + [(u, "worked") for u in UNRELATED])
    hits = memory.similar_attempts(project, summary="fix: event loop error by restarting the worker")
    assert [h["id"] for h in hits] == [recs[0]["id"]]
    assert hits[0]["outcome"] == "failed" and hits[0]["ts"] == recs[0]["ts"] and 0.35 <= hits[0]["score"] <= 1
    assert memory.similar_attempts(project, summary="upgrade the kafka client library") == []


def test_record_attempt_warns_about_failed_near_duplicate(project: Project) -> None:
    """Recording a near-duplicate of a failed attempt returns a warning naming it, its date and outcome."""
    first = memory.record_attempt(project, summary="restart celery worker to fix event loop", outcome="failed",
                                  services=["worker"])
    assert first["warning"] is None and first["similar"] == []
    second = memory.record_attempt(project, summary="fix: event loop error by restarting the worker",
                                   services=["worker"])
    assert second["warning"] and first["record"]["id"] in second["warning"] and "FAILED" in second["warning"]
    assert first["record"]["ts"][:10] in second["warning"]
    assert second["record"]["payload"]["similar_to"] == [first["record"]["id"]]


def test_worked_attempts_are_reported_without_warning(project: Project) -> None:
    """A similar attempt that worked is listed but is no reason to warn."""
    memory.record_attempt(project, summary="restart celery worker to fix event loop", outcome="worked")
    res = memory.check_attempt(project, summary="restarting the celery worker for the event loop")
    assert res["similar"] and not res["failed_similar"]
    assert "none of the similar attempts failed" in res["verdict_text"]


def test_index_updates_incrementally_and_survives_a_new_process(project: Project) -> None:
    """New attempts are folded in without a rebuild, and a cold load from the file answers the same."""
    _seed(project, [(u, "worked") for u in UNRELATED])
    first = memindex.load(project.ledger)
    memindex.save(project.ledger, first)
    _seed(project, [("restart celery worker to fix event loop", "failed")])
    again = memindex.load(project.ledger)
    assert again is first and len(again.docs) == len(UNRELATED) + 1
    memindex._LOADED.clear()  # a fresh process: only the file and the ledger
    cold = memindex.load(project.ledger)
    assert cold is not first and [d.id for d in cold.docs] == [d.id for d in first.docs]
    stored = json.loads((project.state_dir / "cache" / "memory.json").read_text(encoding="utf-8"))
    assert stored["version"] == memindex.VERSION
    assert (project.state_dir / "cache" / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")


def test_index_rebuilds_when_the_ledger_is_rewritten(project: Project) -> None:
    """A ledger that shrank or changed under the index is replayed, never trusted blindly."""
    _seed(project, [("restart celery worker to fix event loop", "failed"), ("rotate tls cert", "worked")])
    memindex.save(project.ledger, memindex.load(project.ledger))
    lines = project.ledger.path.read_text(encoding="utf-8").splitlines(keepends=True)
    project.ledger.path.write_text(lines[0], encoding="utf-8")
    memindex._LOADED.clear()
    assert [d.summary for d in memindex.load(project.ledger).docs] == ["restart celery worker to fix event loop"]


@pytest.mark.parametrize("field,size", [("summary", 16 * 1024 + 1), ("hypothesis", 16 * 1024 + 1),
                                        ("evidence", 64 * 1024 + 1)])
def test_oversized_input_is_refused_and_nothing_written(project: Project, field: str, size: int) -> None:
    """Over-limit text is an InputError naming the field; the ledger is untouched."""
    kwargs = {"summary": "x", field: "a" * size}
    with pytest.raises(InputError, match=field):
        memory.record_attempt(project, **kwargs)
    assert not project.ledger.path.exists() or project.ledger.path.stat().st_size == 0


def test_bad_outcome_service_and_empty_summary_are_refused(project: Project) -> None:
    """Unknown outcomes, malformed service names and empty summaries are rejected with a hint."""
    with pytest.raises(InputError, match="outcome"):
        memory.record_attempt(project, summary="x", outcome="maybe")
    with pytest.raises(InputError, match="service"):
        memory.record_attempt(project, summary="x", services=["Bad Name"])
    with pytest.raises(InputError, match="empty"):
        memory.check_attempt(project, summary="   ")


def test_secrets_in_evidence_are_redacted_before_storage(project: Project) -> None:
    """Evidence is redacted in the ledger and the signature never carries the secret."""
    res = memory.record_attempt(project, summary="fix db auth", outcome="failed",
                                evidence="OperationalError: auth failed for postgres://app:hunter2pass@db/x")
    line = project.ledger.path.read_text(encoding="utf-8")
    assert "hunter2pass" not in line
    assert res["record"]["payload"]["signature"].startswith("OperationalError")


def test_repeated_failures_lists_attempts_that_repeat_a_failure(project: Project) -> None:
    """Attempts recorded despite a similar failed one are listed newest first for the state view."""
    failed = memory.record_attempt(project, summary="restart celery worker to fix event loop", outcome="failed")
    memory.record_attempt(project, summary="rotate the tls certificate", outcome="worked")
    again = memory.record_attempt(project, summary="restarting the celery worker for the event loop error")
    reps = memory.repeated_failures(project)
    assert [r["attempt"]["id"] for r in reps] == [again["record"]["id"]]
    assert reps[0]["repeats"][0]["id"] == failed["record"]["id"] and "FAILED" in reps[0]["text"]
