"""What a result shows is read from its ledger line: the line must still be that attempt's, or the index is
rebuilt; a moved, compacted or edited line never shows another attempt's text."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.memory import memindex, memory, recall, similarity
from deploystate.state.memory.segment import Corrupt

WORDS = "restart worker celery queue redis pool timeout memory limit deploy rollback config cache".split()
FAILED = "raise the redis pool timeout on the payments worker"
QUERY = "raising the redis pool timeout for the payments worker"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in ("DEPLOYSTATE_SESSION", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(memindex, "MERGE_AT", 50)
    (tmp_path / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    memindex._LOADED.clear()
    yield Project.discover(tmp_path)
    memindex._LOADED.clear()


def _fill(project: Project, n: int = 200, days_ago: float | None = None) -> None:
    rnd = random.Random(n)
    ts = iso(utc_now() - timedelta(days=days_ago)) if days_ago is not None else ""
    items = [{"id": "", "ts": ts, "kind": "attempt", "author": {"kind": "agent", "name": "t", "client": None,
                                                                 "session": "s1"}, "commit": None,
              "payload": {"summary": " ".join(rnd.sample(WORDS, 5)), "outcome": "worked", "files": ["a.py"],
                          "services": ["web"]}} for _ in range(n)]
    items[n // 3]["payload"] = {"summary": FAILED, "outcome": "failed", "files": [], "services": []}
    project.ledger.append_sealed(items, reseal=True)


def _saved(project: Project) -> memindex.MemoryIndex:
    index = memindex.load(project.ledger)
    memindex.save(project.ledger, index)
    assert index.base is not None and not index.delta
    return index


def _top(project: Project) -> dict:
    hits = memory.similar_attempts(project, summary=QUERY)
    assert hits, "the failed attempt was not found"
    return hits[0]


def _ledger_summary(project: Project, rid: str) -> str:
    res = project.ledger.read(include_archive=True)
    return next(r["payload"]["summary"] for r in res.records if r["id"] == rid)


def test_a_result_shows_its_own_ledger_line(project: Project) -> None:
    """Summary, outcome, time, session, files and services of a base attempt come from its line."""
    _fill(project)
    _saved(project)
    memindex._LOADED.clear()
    top = _top(project)
    rec = next(r for r in project.ledger.read().records if r["id"] == top["id"])
    assert (top["summary"], top["outcome"], top["ts"]) == (FAILED, "failed", rec["ts"])
    assert top["session"] == "s1" and top["files"] == [] and top["services"] == []


def test_lines_moved_behind_a_fresh_looking_tail_are_caught(project: Project) -> None:
    """The live file rewritten with its lines in another order (the same last line, so the index looks
    current): a stale position is never shown as another attempt; the index is rebuilt and answers right."""
    _fill(project)
    stale = _saved(project)
    lines = project.ledger.path.read_bytes().splitlines(keepends=True)
    body = lines[:-1]
    random.Random(3).shuffle(body)
    project.ledger.path.write_bytes(b"".join(body + lines[-1:]))
    hits = recall.search(stale, tokens=similarity.tokens(QUERY), limit=5)
    with pytest.raises(Corrupt):
        for _, _, doc in hits:
            _ = doc.summary  # read from a line that is now another record's
    top = _top(project)
    assert top["summary"] == FAILED == _ledger_summary(project, top["id"]) and top["outcome"] == "failed"


def test_an_archive_move_never_shows_wrong_text(project: Project) -> None:
    """Compaction moves old lines into the archive: a process still holding the index built before reads
    no wrong text (its positions are checked), and the rebuilt index reads results from archive lines."""
    _fill(project, days_ago=60)
    stale = _saved(project)
    key = str(project.ledger.dir.resolve())
    memindex._LOADED.pop(key)  # held by "another process": compaction's drop does not close its base
    compact(project, older_than="30d")
    assert project.ledger.archive_path.exists()
    hits = recall.search(stale, tokens=similarity.tokens(QUERY), limit=5)
    for _, _, doc in hits:
        try:
            assert doc.summary == _ledger_summary(project, doc.id)
        except Corrupt:
            pass  # caught: the line moved
    memindex._LOADED[key] = stale  # the process that held it asks again
    top = _top(project)
    assert top["summary"] == FAILED == _ledger_summary(project, top["id"]) and top["outcome"] == "failed"
    memindex._LOADED.clear()
    index = memindex.load(project.ledger)
    memindex.save(project.ledger, index)
    memindex._LOADED.clear()
    codes = [memindex.load(project.ledger).docs[i].pos[0] for i in range(200)]
    assert codes.count(1) >= 150  # read from archive lines (an unresolved failure also stays live)
    assert _top(project)["summary"] == FAILED


def test_an_edited_ledger_line_is_rebuilt_not_mixed(project: Project) -> None:
    """A line whose summary was edited after indexing (same id) does not show the new text under the old
    words: the index is rebuilt from the ledger and what it shows is what it scored."""
    _fill(project)
    _saved(project)
    memindex._LOADED.clear()
    raw = project.ledger.path.read_bytes()
    edited = FAILED.replace("payments", "billings")
    project.ledger.path.write_bytes(raw.replace(json.dumps(FAILED).encode(), json.dumps(edited).encode()))
    hits = memory.similar_attempts(project, summary=QUERY)
    memindex._LOADED.clear()
    fresh = memindex._rebuild(project.ledger)  # scored on the edited words
    expected = recall.search(fresh, tokens=similarity.tokens(QUERY), limit=5)
    assert [(h["id"], h["score"], h["summary"]) for h in hits] == [(d.id, s, d.summary) for s, _, d in expected]
    assert edited in [h["summary"] for h in hits] and FAILED not in [h["summary"] for h in hits]


def test_a_position_on_another_whole_line_is_caught(project: Project) -> None:
    """A position that lands on another attempt's whole line (same shape, other id), or on a line whose
    words are not the ones indexed, raises instead of lending that line's text."""
    _fill(project)
    index = _saved(project)
    memindex._LOADED.clear()
    index = memindex.load(project.ledger)
    a, b = index.docs[3], index.docs[4]
    assert a.pos != b.pos and a.pos is not None
    a.pos = b.pos
    with pytest.raises(Corrupt, match="another record"):
        _ = a.summary
    c = index.docs[5]
    c.tokens_text = c.tokens + ["unindexed"]
    with pytest.raises(Corrupt, match="other words"):
        _ = c.outcome


def test_an_attempt_without_a_position_keeps_its_fields(project: Project,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An attempt folded in without a ledger position (no line to read back) is written with its fields."""
    monkeypatch.setattr(memindex, "MERGE_AT", 0)  # every save merges
    _fill(project, 60)
    index = memindex.load(project.ledger)
    index.apply({"id": "zz-not-a-ulid", "ts": "2026-01-01T00:00:00Z", "kind": "attempt",
                 "author": {"session": "s9"}, "payload": {"summary": FAILED + " again", "outcome": "failed"}})
    memindex.save(project.ledger, index)
    assert index.base is not None and not index.delta
    doc = index.docs[len(index.docs) - 1]
    assert (doc.id, doc.pos, doc.summary, doc.outcome, doc.session) == (
        "zz-not-a-ulid", None, FAILED + " again", "failed", "s9")
