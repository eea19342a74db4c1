"""Compaction: the chain verifies, nothing unresolved is archived, open items render the same."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploystate.state.view import cache, projection
from deploystate.state.memory import memindex, memory
from deploystate.state.ledger.compact import compact, keep_reasons, open_items
from deploystate.state.errors import InputError, Refused
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.config.project import Project

OLD = utc_now() - timedelta(days=90)


def _project(root: Path) -> Project:
    (root / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    project = Project.discover(root)
    project.ledger.ensure()
    return project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for var in ("DEPLOYSTATE_SESSION", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_ROOT"):
        monkeypatch.delenv(var, raising=False)
    return _project(tmp_path)


def put(project: Project, kind: str, payload: dict, *, days_ago: float | None = None, session: str | None = None
        ) -> dict:
    """Append a sealed record, optionally back-dated (ids still follow file order, as for one writer)."""
    ts = iso(utc_now() - timedelta(days=days_ago)) if days_ago is not None else ""
    rec = {"id": "", "ts": ts, "kind": kind, "author": {"kind": "agent", "name": "t", "client": None,
                                                         "session": session}, "commit": None, "payload": payload}
    return project.ledger.append_sealed([rec], reseal=True)[0]


def _ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _live_only_state(project: Project) -> dict:
    return projection.build(project.ledger.read().records)


def _full_state(project: Project) -> dict:
    return projection.build(project.ledger.read(include_archive=True).records)


def test_old_resolved_records_move_and_the_chain_verifies(project: Project) -> None:
    """Resolved history goes to the archive; the live file shrinks; archive then live verify as one chain."""
    for i in range(20):
        put(project, "deploy", {"service": "api", "commit": f"c{i}", "status": "restarted"}, days_ago=60 - i)
        put(project, "verification", {"service": "api", "commit": f"c{i}", "verdict": "pass"}, days_ago=60 - i)
        put(project, "attempt", {"summary": f"idea {i}", "outcome": "worked"}, days_ago=60 - i)
    young = put(project, "note", {"text": "recent"}, days_ago=1)
    before = open_items(_full_state(project))
    res = compact(project, older_than="30d")
    assert res["changed"] and res["archived"] == 60
    live = _ids(project.ledger.path)
    assert young["id"] in live and len(live) == 3  # latest deploy + latest (passing) verification + young note
    assert project.ledger.verify().ok
    assert open_items(_full_state(project)) == before == open_items(_live_only_state(project))
    assert not (project.state_dir / "projection.json").exists() or cache.load(project.ledger).rebuilt is False


def test_unresolved_failures_and_overrides_stay_live(project: Project) -> None:
    """An unresolved failed verification, an unverified deploy, an override and an open session never leave."""
    put(project, "deploy", {"service": "api", "commit": "a", "status": "restarted"}, days_ago=80)
    put(project, "verification", {"service": "api", "commit": "a", "verdict": "pass"}, days_ago=80)
    fail = put(project, "verification", {"service": "api", "commit": "a", "verdict": "fail", "summary": "500s"},
               days_ago=70)
    fail_attempt = put(project, "attempt", {"summary": "restart api", "outcome": "failed", "services": ["api"]},
                       days_ago=69)
    unverified = put(project, "deploy", {"service": "web", "commit": "b", "status": "restarted"}, days_ago=65)
    override = put(project, "override", {"reason": "hotfix", "refs": [], "hook": "pre-push", "who": "me"},
                   days_ago=64)
    session = put(project, "session_start", {"session_id": "s1", "goal": "g", "client": None}, days_ago=63)
    res = compact(project, older_than="30d")
    live = set(_ids(project.ledger.path))
    assert {fail["id"], fail_attempt["id"], unverified["id"], override["id"], session["id"]} <= live
    assert res["kept_in_live"] >= 5
    state = _live_only_state(project)
    assert projection.failed(state) == ["api"] and projection.unverified(state) == ["web"]
    assert "s1" in state["sessions"]["open"]
    assert project.ledger.verify().ok


def test_dry_run_changes_nothing_and_second_run_is_a_no_op(project: Project) -> None:
    """--dry-run reports without writing; compacting twice archives nothing the second time."""
    for i in range(5):
        put(project, "attempt", {"summary": f"idea {i}", "outcome": "worked"}, days_ago=50)
    raw = project.ledger.path.read_bytes()
    dry = compact(project, older_than="30d", dry_run=True)
    assert dry["archived"] == 5 and project.ledger.path.read_bytes() == raw
    assert not project.ledger.archive_path.exists()
    compact(project, older_than="30d")
    again = compact(project, older_than="30d")
    assert again["archived"] == 0 and not again["changed"]
    assert project.ledger.verify().ok


def test_refuses_a_broken_chain_and_bad_age(project: Project) -> None:
    """A tampered ledger is not compacted (it would hide the edit); a bad age is an InputError."""
    put(project, "verification", {"service": "api", "commit": "a", "verdict": "fail"}, days_ago=50)
    put(project, "attempt", {"summary": "x", "outcome": "worked"}, days_ago=50)
    text = project.ledger.path.read_text(encoding="utf-8").replace('"verdict":"fail"', '"verdict":"pass"')
    project.ledger.path.write_text(text, encoding="utf-8")
    with pytest.raises(Refused, match="does not verify"):
        compact(project, older_than="30d")
    with pytest.raises(InputError, match="bad age"):
        compact(project, older_than="soon")


def test_archived_attempts_are_still_remembered(project: Project) -> None:
    """Similar-attempt search covers the archive: compaction does not make the memory forget."""
    put(project, "attempt", {"summary": "restart celery worker to fix event loop", "outcome": "failed",
                             "services": []}, days_ago=60)
    put(project, "verification", {"service": "worker", "commit": "a", "verdict": "pass"}, days_ago=59)
    compact(project, older_than="30d")
    assert _ids(project.ledger.path) == [_ids(project.ledger.archive_path)[-1]]  # only the latest verification
    hits = memory.similar_attempts(project, summary="fix: event loop error by restarting the worker")
    assert hits and hits[0]["outcome"] == "failed"


def test_keep_reasons_names_why() -> None:
    """Each kept record carries the reason it stays (pure)."""
    recs = [{"id": "01", "kind": "deploy", "payload": {"service": "a", "status": "restarted"}},
            {"id": "02", "kind": "verification", "payload": {"service": "a", "verdict": "pass"}},
            {"id": "03", "kind": "attempt", "payload": {"summary": "x", "outcome": "failed", "services": ["a"]}},
            {"id": "04", "kind": "override", "payload": {"reason": "r"}}]
    reasons = keep_reasons(recs)
    assert reasons["01"] == "latest deploy of a" and reasons["02"] == "latest verification of a"
    assert "unresolved" in reasons["03"] and "never archived" in reasons["04"]


# -- property: whatever the history, compaction keeps the open items -----------------------------------

SERVICES = st.sampled_from(["api", "worker", "beat"])
OP = st.one_of(
    st.tuples(st.just("deploy"), SERVICES, st.sampled_from(["restarted", "restarted", "failed"])),
    st.tuples(st.just("rollback"), SERVICES, st.just("restarted")),
    st.tuples(st.just("verification"), SERVICES, st.sampled_from(["pass", "fail", "inconclusive"])),
    st.tuples(st.just("mark_deployed"), SERVICES, st.just("")),
    st.tuples(st.just("attempt"), SERVICES, st.sampled_from(["failed", "worked", "tried"])),
    st.tuples(st.just("session_start"), st.sampled_from(["s1", "s2", "s3", "s4"]), st.just("")),
    st.tuples(st.just("session_end"), st.sampled_from(["s1", "s2", "s3", "s4"]), st.just("")),
    st.tuples(st.just("override"), SERVICES, st.just("")),
    st.tuples(st.just("preflight"), SERVICES, st.sampled_from(["GO", "NO-GO"])),
    st.tuples(st.just("note"), SERVICES, st.just("")),
)


def _payload(kind: str, name: str, variant: str, i: int) -> dict:
    if kind in ("deploy", "rollback"):
        return {"service": name, "commit": f"c{i}", "status": variant}
    if kind == "verification":
        return {"service": name, "commit": f"c{i}", "verdict": variant, "summary": f"v{i}"}
    if kind == "mark_deployed":
        return {"service": name, "commit": f"c{i}", "verification_id": None, "note": ""}
    if kind == "attempt":
        return {"summary": f"idea {i} for {name}", "outcome": variant, "services": [name] if i % 2 else []}
    if kind in ("session_start", "session_end"):
        return {"session_id": name, "goal": "g", "did": "d", "next": "n", "status": "ended"}
    if kind == "preflight":
        return {"result": variant, "failing": []}
    return {"reason": f"r{i}", "refs": [], "hook": "pre-push", "who": "me"} if kind == "override" else {"i": i}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OP, min_size=1, max_size=40), st.integers(0, 40))
def test_property_compaction_keeps_open_items(ops: list[tuple[str, str, str]], young_from: int) -> None:
    """For any history, open items are identical before and after, from archive+live and from live alone."""
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        for i, (kind, name, variant) in enumerate(ops):
            put(project, kind, _payload(kind, name, variant, i),
                days_ago=(80 - i * 0.5) if i < young_from else 1 - i * 0.001)
        before_ids = set(_ids(project.ledger.path))
        before = open_items(_full_state(project))
        compact(project, older_than="30d")
        assert project.ledger.verify().ok
        assert open_items(_full_state(project)) == before
        # The live file alone shows every open item; which sessions count as "the last three" may differ
        # there in rare orders (a session ended long after it started), so that list is compared in full only.
        alone = open_items(_live_only_state(project))
        assert {**alone, "last_sessions": None} == {**before, "last_sessions": None}
        assert set(_ids(project.ledger.path)) | set(_ids(project.ledger.archive_path)) == before_ids
        assert open_items(cache.load(project.ledger).state) == before
        memindex._LOADED.clear()


def test_archived_lines_brought_back_by_a_merge_are_dropped_again(project: Project) -> None:
    """A union merge with a pre-compaction clone re-adds archived lines; the next compaction drops them."""
    for word in ("redis", "nginx", "kafka"):
        put(project, "attempt", {"summary": f"tune {word}", "outcome": "worked"}, days_ago=50)
    old_lines = project.ledger.path.read_text(encoding="utf-8")
    compact(project, older_than="30d")
    put(project, "note", {"text": "new"})
    with open(project.ledger.path, "a", encoding="utf-8") as fh:
        fh.write(old_lines)  # what `merge=union` does with the other side's lines
    assert project.ledger.verify().ok and project.ledger.verify().duplicates == 3
    res = compact(project, older_than="30d")
    assert res["already_archived"] == 3 and len(_ids(project.ledger.path)) == 1
    assert project.ledger.verify().ok


def test_git_sync_after_compaction_neither_resurrects_nor_drops_archived_records(git_repo, git_remote) -> None:
    """Syncing after `compact` keeps archived records out of the live file and in the shared ref."""
    from deploystate.state.git.sync_git import REF, _records_at, sync

    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "t"\n'})
    project = Project.discover(git_repo.path)
    project.ledger.ensure()
    for word in ("redis", "nginx", "kafka"):
        put(project, "attempt", {"summary": f"tune {word}", "outcome": "worked"}, days_ago=50)
    assert sync(git_repo.path, project.ledger).pushed
    compact(project, older_than="30d")
    put(project, "note", {"text": "after compaction"})
    res = sync(git_repo.path, project.ledger)
    assert res.pushed and res.fetched == 0 and res.restored == 0
    assert len(_ids(project.ledger.path)) == 1 and project.ledger.verify().ok
    assert len(_records_at(git_repo.path, REF, 10.0) or []) == 4
