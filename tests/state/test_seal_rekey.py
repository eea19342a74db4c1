"""The append that seals re-keys the memory index instead of rebuilding it: afterwards the index answers
exactly what a fresh rebuild answers, and an index that is not the one of the sealed bytes is rebuilt."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.ledger import segments
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.store import record
from deploystate.state.memory import memindex, memory, segment
from tests.fixtures.ledgers import SEG, small_segments_project

MARGIN = 4  # records kept live here (16,384 in use); SEG, the closed segment's size, is the fixture's 8
WORDS = "restart worker celery queue redis pool timeout memory limit deploy rollback config cache".split()
QUERIES = ["raise the redis pool timeout", "restart the celery worker", "memory limit rollback", "config cache"]


class Rebuilt(AssertionError):
    """The full rebuild ran where the index should have been re-keyed."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setattr(memindex, "SAVE_EVERY", 1)  # saved on every load, as a busy server does
    monkeypatch.setattr(memindex, "MERGE_AT", 3)  # so most attempts are in the base, the last few in the tail
    project = small_segments_project(tmp_path, monkeypatch, MARGIN)
    memindex._LOADED.clear()
    yield project
    memindex._LOADED.clear()


def add(project: Project, n: int, rnd: random.Random) -> None:
    """``n`` records through the store: attempts of every shape (words, files, services, a signature, a
    session) and failed verifications (signatures); the index brought up to date after each."""
    for i in range(n):
        if rnd.random() < 0.2:
            record(project, "verification", {"service": "web", "verdict": "fail", "summary": "worker OOMKilled",
                                             "failed_checks": []})
        else:
            record(project, "attempt", {"summary": " ".join(rnd.sample(WORDS, 4)), "outcome": rnd.choice(
                ["failed", "tried", "worked"]), "files": rnd.sample(["a.py", "b/c.py", "d.toml"], rnd.randint(0, 2)),
                "services": rnd.sample(["web", "worker"], rnd.randint(0, 2)),
                "signature": rnd.choice([None, "oom-137", "redis-timeout"])},
                   author={"kind": "agent", "name": "t", "client": None, "session": rnd.choice(["s1", "s2", None])})
        memindex.load(project.ledger)


def seal_one(project: Project, rnd: random.Random) -> None:
    """Append until one more segment is sealed (the index kept current before each append)."""
    count = segments.count(project.ledger)
    while segments.count(project.ledger) == count:
        add(project, 1, rnd)


def view(index: memindex.MemoryIndex) -> dict:
    """Everything the index serves: each attempt's fields, terms and position, every posting list,
    signatures, sessions and where it has read the ledger up to."""
    docs = [(d.id, d.ts, d.outcome, d.summary, d.session, d.signature, sorted(d.keys()), d.pos)
            for d in index.docs]
    keys = {k for d in docs for k in d[6]}
    return {"docs": docs, "postings": {k: list(index.postings.get(k)) for k in sorted(keys)},
            "signatures": index.signatures, "sessions": index.sessions, "last_id": index.last_id,
            "read_to": (index.live_size, index.live_lines, index.live_tail, index.archive_size)}


def answers(project: Project) -> list:
    return [memory.similar_attempts(project, summary=q, limit=50, min_score=0.0) for q in QUERIES]


def rebuilt_view(project: Project, rebuild) -> tuple[dict, list]:  # noqa: ANN001
    """A fresh rebuild's view and answers (what a user whose index was deleted gets), leaving the index
    in use and its files as they are."""
    key = str(project.ledger.dir.resolve())
    kept = memindex._LOADED.get(key)
    fresh = rebuild(project.ledger)
    fresh.unsaved = 0  # asked, never saved
    memindex._LOADED[key] = fresh
    try:
        return view(fresh), answers(project)
    finally:
        memindex._LOADED[key] = kept


@pytest.mark.parametrize("page", [64, 2])
def test_the_sealing_append_rekeys_the_index_to_what_a_rebuild_gives(
        project: Project, monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    """Three seals (one taking compaction's archive lines): the index, re-keyed and read back from its
    files, equals a fresh rebuild, and the rebuild never ran for them (with pages of 2 attempts, the
    pages of attempts sealed before are copied as they are)."""
    monkeypatch.setattr(segment, "PAGE", page)
    rnd = random.Random(4)
    old = iso(utc_now() - timedelta(days=90))
    project.ledger.append_sealed([{"id": "", "ts": old, "kind": "attempt", "author": {}, "commit": None,
                                   "payload": {"summary": f"old redis pool try {i}", "outcome": "failed"}}
                                  for i in range(3)], reseal=True)
    compact(project, older_than="30d")  # three attempts in archive.jsonl, where positions name them
    add(project, 6, rnd)
    real = memindex._rebuild
    for _ in range(3):
        def refuse(ledger):  # noqa: ANN001, ANN202
            raise Rebuilt("the memory index was rebuilt")
        monkeypatch.setattr(memindex, "_rebuild", refuse)
        seal_one(project, rnd)
        index = memindex.load(project.ledger)
        kept, said, upto = view(index), answers(project), index.inline_upto
        assert all(d[7] is None for d in kept["docs"][:upto]) and kept["docs"][upto][7] is not None, (upto, [d[7] for d in kept["docs"]], index.base_total)
        memindex._LOADED.clear()  # and as another process reads it, from its files
        assert view(memindex.load(project.ledger)) == kept and answers(project) == said
        assert rebuilt_view(project, real) == (kept, said)
        assert project.ledger.archive_path.read_bytes() == b""
    assert segments.count(project.ledger) == 3 and upto > 4  # (pages of 2: the last seal copied two or more)
    assert any(d[7] is None for d in kept["docs"]) and any(d[7] for d in kept["docs"])  # sealed and live


def _tamper_delta(index: memindex.MemoryIndex) -> None:
    """Two attempts about to be sealed swap their positions (an index of other bytes)."""
    placed = [d for d in index.delta if d.pos][:2]
    assert len(placed) == 2
    placed[0].pos, placed[1].pos = placed[1].pos, placed[0].pos


def _tamper_base(index: memindex.MemoryIndex) -> None:
    """The same, written into the base (its digests then say it is deploystate's own)."""
    _tamper_delta(index)


def _tamper_tail(index: memindex.MemoryIndex) -> None:
    """The index says it read the ledger up to another record than the last."""
    index.live_tail = "0" * 64


@pytest.mark.parametrize("tamper,merge_at", [(_tamper_delta, 1000), (_tamper_base, 0), (_tamper_tail, 1000)])
def test_an_index_that_is_not_the_one_of_the_sealed_bytes_is_rebuilt(
        project: Project, monkeypatch: pytest.MonkeyPatch, tamper, merge_at: int) -> None:  # noqa: ANN001
    """Positions that name other lines, or a tail that is not the live file's: the seal rebuilds the index
    (once) instead of re-keying it, and the index answers what a fresh rebuild answers."""
    rnd = random.Random(9)
    monkeypatch.setattr(memindex, "MERGE_AT", 1000)  # every attempt in the tail, the ones to be sealed too
    add(project, SEG + MARGIN, rnd)
    assert segments.count(project.ledger) == 0
    monkeypatch.setattr(memindex, "MERGE_AT", merge_at)
    index = memindex.load(project.ledger)
    tamper(index)
    memindex.save(project.ledger, index)  # saved as it is now: trusted by its digest, in process and on disk
    real, runs = memindex._rebuild, []
    monkeypatch.setattr(memindex, "_rebuild", lambda ledger: runs.append(1) or real(ledger))
    count = segments.count(project.ledger)
    record(project, "attempt", {"summary": "raise the redis pool timeout", "outcome": "failed"})
    assert segments.count(project.ledger) == count + 1 and runs == [1]
    kept = view(memindex.load(project.ledger)), answers(project)
    assert runs == [1]
    assert rebuilt_view(project, real) == kept
