"""Sealing by count on append: the live file's oldest whole segment is sealed once it holds more than a
segment and its margin; every reader still sees every record, a crash at any step loses nothing."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.tamper import anchor, anchorhead, chainmark, integrity
from deploystate.state.ledger import sealing, segments
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.store import record, write_state_file
from deploystate.state.memory import memindex, memory
from deploystate.state.view import cache, projection
from tests.fixtures.ledgers import SEG, small_segments_project

MARGIN = 4  # records kept live here (16,384 in use); SEG, the closed segment's size, is the fixture's 8


class Crash(BaseException):
    """The process dying at a chosen step (not an error any code path catches)."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    return small_segments_project(tmp_path, monkeypatch, MARGIN)


def attempts(project: Project, n: int, start: int = 0) -> dict[str, dict]:
    """``n`` failed attempts through the store (the path every command takes); the records by id."""
    return {(r := record(project, "attempt", {"summary": f"raise worker memory try {i}", "outcome": "failed",
                                              "services": ["web"]}))["id"]: r for i in range(start, start + n)}


def lines_everywhere(project: Project) -> list[str]:
    """The id of every line of every file that holds records (segments, archive, live), duplicates kept."""
    led = project.ledger
    raw = b"".join(segments.texts(led))
    for path in (led.archive_path, led.path):
        raw += path.read_bytes() if path.exists() else b""
    return [json.loads(line)["id"] for line in raw.splitlines()]


def fresh_problems(project: Project) -> list[str]:
    return integrity.check(Project.discover(project.root))


def test_below_the_margin_nothing_is_sealed(project: Project) -> None:
    """A live file holding a segment and its margin exactly stays as it is."""
    attempts(project, SEG + MARGIN)
    assert not segments.present(project.ledger) and len(project.ledger.read().records) == SEG + MARGIN


def test_the_append_past_the_margin_seals_the_oldest_segment_and_every_reader_sees_all(project: Project) -> None:
    """One append past the margin seals the first SEG records; history, projection, memory, chain and state file agree."""
    attempts(project, SEG + MARGIN)
    before = project.ledger.read(include_archive=True).records
    attempts(project, 1, SEG + MARGIN)
    led = project.ledger
    every = before + [led.read().records[-1]]
    assert segments.count(led) == 1 and len(led.read().records) == MARGIN + 1
    assert [r["id"] for r in json.loads("[" + ",".join(zlib.decompress(
        (segments.folder(led) / "000000.jsonl.z").read_bytes()).decode().splitlines()) + "]")] == \
        [r["id"] for r in every[:SEG]]
    assert led.read(include_archive=True).records == every           # every record, every field
    assert led.verify().ok and fresh_problems(project) == [] and chainmark.check(led).ok
    assert anchor.read(led)["chain"]["segments"]["count"] == 1       # the segment is anchored
    assert cache.load(led).state == projection.build(every)
    memindex.drop(led)
    found = memory.similar_attempts(project, summary="raise worker memory try 0", limit=50)
    assert {"raise worker memory try 0"} <= {a["summary"] for a in found}
    assert len(memindex.load(led).signatures) == len(memindex._rebuild(led).signatures)
    write_state_file(project)
    assert "FAILED" in project.state_file.read_text().upper() or project.state_file.exists()
    assert sorted(lines_everywhere(project)) == sorted(r["id"] for r in every)  # each once


def test_a_sealed_segment_edited_is_tampered(project: Project) -> None:
    """A record changed inside an automatically sealed segment is refused by every decision."""
    attempts(project, SEG + MARGIN + 1)
    path = segments.folder(project.ledger) / "000000.jsonl.z"
    path.write_bytes(zlib.compress(zlib.decompress(path.read_bytes()).replace(b"try 3", b"try X"), 9))
    assert any("TAMPERED" in p or "segment" in p for p in fresh_problems(project))
    assert not project.ledger.verify().ok


def test_archive_lines_left_by_compaction_go_first_into_the_segment(project: Project) -> None:
    """With archive.jsonl holding records (a compaction), the segment takes them then the oldest live ones."""
    ts = iso(utc_now() - timedelta(days=90))
    project.ledger.append_sealed([{"id": "", "ts": ts, "kind": "note", "author": {}, "commit": None,
                                   "payload": {"text": f"old {i}"}} for i in range(3)], reseal=True)
    compact(project, older_than="30d")
    assert len(project.ledger.archive_path.read_bytes().splitlines()) == 3
    every = {r["id"]: r for r in project.ledger.read(include_archive=True).records}
    every.update(attempts(project, SEG + MARGIN + 1))
    assert segments.count(project.ledger) == 1 and project.ledger.archive_path.read_bytes() == b""
    assert {r["id"]: r for r in project.ledger.read(include_archive=True).records} == every
    assert project.ledger.verify().ok and fresh_problems(project) == []


@pytest.mark.parametrize("with_archive", [False, True])
@pytest.mark.parametrize("step", range(5))
def test_a_seal_stopped_at_any_step_loses_nothing_and_the_next_append_cleans_up(
        project: Project, monkeypatch: pytest.MonkeyPatch, step: int, with_archive: bool) -> None:
    """The process dies at each step of the seal (data file, sidecar, live cut, archive cut, anchor): the
    ledger is readable, verifies and is trusted; after the next appends every record is held exactly once."""
    if with_archive:
        ts = iso(utc_now() - timedelta(days=90))
        project.ledger.append_sealed([{"id": "", "ts": ts, "kind": "note", "author": {}, "commit": None,
                                       "payload": {"text": f"old {i}"}} for i in range(2)], reseal=True)
        compact(project, older_than="30d")
    attempts(project, SEG + MARGIN)
    calls = {"n": 0}
    real_atomic, real_set_head = sealing._atomic, anchorhead.set_head

    def dying_atomic(path, body):  # noqa: ANN001
        calls["n"] += 1
        if calls["n"] > step:
            raise Crash()
        real_atomic(path, body)

    def dying_set_head(*a):  # noqa: ANN002
        raise Crash()

    monkeypatch.setattr(sealing, "_atomic", dying_atomic)
    monkeypatch.setattr(anchorhead, "set_head", dying_set_head)
    with pytest.raises(Crash):
        attempts(project, 1, SEG + MARGIN)
    monkeypatch.setattr(sealing, "_atomic", real_atomic)
    monkeypatch.setattr(anchorhead, "set_head", real_set_head)
    led = project.ledger
    every = {r["id"]: r for r in led.read(include_archive=True).records}
    assert len(every) == SEG + MARGIN + 1 + (2 if with_archive else 0)   # nothing lost
    assert led.verify().ok and fresh_problems(project) == []              # readable, verifiable, trusted
    assert cache.load(led).state == projection.build(list(every.values()))
    every.update(attempts(project, SEG, SEG + MARGIN + 1))                # until the next seal
    assert {r["id"]: r for r in led.read(include_archive=True).records} == every
    assert sorted(lines_everywhere(project)) == sorted(every)            # never duplicated
    assert led.verify().ok and fresh_problems(project) == []


def test_a_full_read_during_a_seal_misses_nothing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that listed the segments just before another writer sealed still returns every record."""
    attempts(project, SEG + MARGIN + 1 - 1)
    led = project.ledger
    rec = {"id": "", "ts": "", "kind": "note", "author": {}, "commit": None, "payload": {"text": "x"}}
    real = segments.read_into
    seen = {"n": 0}

    def sealing_meanwhile(ledger, result):  # noqa: ANN001
        real(ledger, result)
        seen["n"] += 1
        if seen["n"] == 1:  # the other writer's append (and seal) lands between the segments and the live file
            led.append_sealed([dict(rec)], reseal=True)

    monkeypatch.setattr(segments, "read_into", sealing_meanwhile)
    got = led.read(include_archive=True)
    assert segments.count(led) == 1 and len({r["id"] for r in got.records}) == SEG + MARGIN + 1


def test_a_full_read_that_never_sees_the_history_hold_still_reports_a_problem(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A history that moved under each of the reader's tries is reported, never returned as if whole."""
    attempts(project, 3)
    calls = iter(range(1000))
    monkeypatch.setattr(segments, "count", lambda ledger: next(calls))  # a seal between every two looks
    got = project.ledger.read(include_archive=True)
    assert any("read it again" in p.message for p in got.problems)


def test_the_seal_rekeys_the_projection_and_the_chain_verdict_instead_of_replaying(project: Project) -> None:
    """After the sealing append the projection cache and the chain mark still apply: no replay, no full check."""
    attempts(project, SEG + MARGIN + 1)
    led = project.ledger
    assert segments.count(led) == 1
    loaded = cache.load(led)
    assert not loaded.rebuilt and loaded.state == projection.build(led.read(include_archive=True).records)
    status = chainmark.check(led)
    assert status.ok and status.how == "unchanged"
    assert chainmark.check(led, deep=True).ok


def test_a_chain_that_does_not_verify_is_not_sealed(project: Project) -> None:
    """A record re-hashed in place (its child no longer links to it): no seal (doctor first), still failing."""
    attempts(project, SEG + MARGIN)
    led = project.ledger
    from deploystate.state.ledger import chain

    lines = led.path.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["payload"]["summary"] = "edited"
    lines[2] = chain.canonical(chain.seal(rec))
    led.path.write_text("\n".join(lines) + "\n")
    chainmark.check(led)
    attempts(project, 1, SEG + MARGIN)
    assert not segments.present(led) and len(led.read().records) == SEG + MARGIN + 1
    assert not led.verify().ok and not chainmark.check(led).ok
    assert fresh_problems(project)


@pytest.mark.parametrize("step", range(8))
def test_a_batch_sealing_several_segments_stopped_anywhere_loses_nothing(
        project: Project, monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """One append of many records seals three segments, then cuts the live file once; dying after any file
    leaves every record readable and trusted, and later appends hold each exactly once."""
    batch = [{"kind": "attempt", "payload": {"summary": f"pull {i}", "outcome": "failed"}} for i in range(3 * SEG + MARGIN + 1)]
    calls = {"n": 0}
    real_atomic = sealing._atomic

    def dying_atomic(path, body):  # noqa: ANN001
        calls["n"] += 1
        if calls["n"] > step:
            raise Crash()
        real_atomic(path, body)

    monkeypatch.setattr(sealing, "_atomic", dying_atomic)
    monkeypatch.setattr(anchorhead, "set_head", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        project.ledger.append_many(batch)
    monkeypatch.undo()
    monkeypatch.setattr(segments, "RECORDS", SEG)
    monkeypatch.setattr(segments, "MARGIN", MARGIN)
    led = project.ledger
    every = {r["id"]: r for r in led.read(include_archive=True).records}
    assert len(every) == len(batch) and led.verify().ok and fresh_problems(project) == []
    every.update(attempts(project, 2 * SEG))
    assert {r["id"]: r for r in led.read(include_archive=True).records} == every
    assert sorted(lines_everywhere(project)) == sorted(every)
    assert led.verify().ok and fresh_problems(project) == [] and segments.count(led) >= 3
