"""Closed segments: the archive's oldest records compressed, read back unchanged, and every edit refused."""

from __future__ import annotations

import json
import os
import shutil
import zlib
from pathlib import Path

import pytest

from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger import sealing, segments
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.config.project import Project

from tests.fixtures.ledgers import SEG, project  # noqa: F401 (the fixture)
from tests.state.segments_support import problems, put, seg, sealed


def test_compaction_seals_whole_segments_and_the_history_reads_the_same(project: Project) -> None:
    """Sealed history reads back record for record, verifies, is trusted, and the archive keeps the rest."""
    before = sealed(project)
    after = project.ledger.read(include_archive=True)
    assert after.records == before and not after.problems
    assert project.ledger.verify().ok and problems(project) == []
    assert len(project.ledger.archive_path.read_text().splitlines()) == 4
    side = json.loads(seg(project, 1, "json").read_text())
    assert side["records"] == SEG
    assert side["first"] == before[SEG]["hash"] and side["last"] == before[2 * SEG - 1]["hash"]
    raw = zlib.decompress(seg(project, 0, "jsonl.z").read_bytes())
    assert [json.loads(line)["id"] for line in raw.splitlines()] == [r["id"] for r in before[:SEG]]
    head = anchor.read(project.ledger)["chain"]
    assert head["segments"]["count"] == 2


def test_appends_after_sealing_stay_trusted_and_keep_the_anchored_segments(project: Project) -> None:
    """Records appended after a seal chain on; the anchor keeps naming the same segments."""
    sealed(project)
    held = anchor.read(project.ledger)["chain"]["segments"]
    put(project, "note", {"text": "later"})
    assert anchor.read(project.ledger)["chain"]["segments"] == held
    assert problems(project) == [] and project.ledger.verify().ok


def test_sealing_the_same_records_makes_the_same_bytes(project: Project, tmp_path: Path) -> None:
    """Two clones sealing the same archive lines make identical segments and sidecars (git sees no conflict)."""
    for i in range(SEG + 2):
        put(project, "note", {"text": f"n{i}"})
    lines = project.ledger.path.read_bytes()
    made = []
    for name in ("a", "b"):
        other = Ledger(tmp_path / name)
        other.ensure()
        other.archive_path.write_bytes(lines)
        with other.locked():
            assert sealing.seal(other) == 1
        made.append((seg_bytes := (other.dir / "archive" / "000000.jsonl.z").read_bytes(),
                     (other.dir / "archive" / "000000.json").read_bytes()))
        assert zlib.decompress(seg_bytes) == b"".join(lines.splitlines(keepends=True)[:SEG])
    assert made[0] == made[1]


def test_a_segment_edited_inside_is_refused(project: Project) -> None:
    """A record changed inside a segment (sidecar untouched) is a problem, not a pass."""
    sealed(project)
    path = seg(project, 0, "jsonl.z")
    raw = zlib.decompress(path.read_bytes()).replace(b"old note 3", b"old note X")
    path.write_bytes(zlib.compress(raw, 9))
    found = problems(project)
    assert found and any("segment" in p for p in found)
    assert not project.ledger.verify().ok


def test_a_segment_and_its_sidecar_rewritten_together_are_tampered(project: Project) -> None:
    """A segment re-made with a consistent sidecar (one record dropped) no longer matches the anchor."""
    sealed(project)
    path, side_path = seg(project, 0, "jsonl.z"), seg(project, 0, "json")
    lines = zlib.decompress(path.read_bytes()).splitlines(keepends=True)
    body = b"".join(lines[:3] + lines[4:])
    packed = zlib.compress(body, 9)
    side = json.loads(side_path.read_text())
    side.update(records=len(lines) - 1, length=len(body), sha256=segments.chain.sha256_hex(body),
                zlength=len(packed), zsha256=segments.chain.sha256_hex(packed))
    path.write_bytes(packed)
    side_path.write_text(segments.chain.canonical(side) + "\n")
    found = problems(project)
    assert any(p.startswith("TAMPERED") and "sidecars" in p for p in found)


def test_a_sidecar_edited_is_tampered(project: Project) -> None:
    """An edited sidecar (its last hash) is TAMPERED even though the segment itself is intact."""
    sealed(project)
    side_path = seg(project, 1, "json")
    side = json.loads(side_path.read_text())
    side["last"] = "0" * 64
    side_path.write_text(segments.chain.canonical(side) + "\n")
    assert any(p.startswith("TAMPERED") for p in problems(project))


@pytest.mark.parametrize("ext", ["jsonl.z", "json"])
def test_a_segment_or_sidecar_missing_is_tampered(project: Project, ext: str) -> None:
    """Removing the last segment (or its sidecar) is TAMPERED: its records would be silently gone."""
    sealed(project)
    seg(project, 1, ext).unlink()
    assert any(p.startswith("TAMPERED") for p in problems(project))
    assert not project.ledger.verify().ok


def test_every_segment_removed_is_tampered(project: Project) -> None:
    """Deleting the whole segment folder is TAMPERED (the anchor names two segments)."""
    sealed(project)
    shutil.rmtree(segments.folder(project.ledger))
    assert any(p.startswith("TAMPERED") and "0 closed segments, 2 were anchored" in p for p in problems(project))


def test_a_segment_of_another_length_is_tampered_without_decompressing(project: Project,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The anchor's cheap check (a listing and stats, what every hook pays) sees a segment replaced by
    one of another length: TAMPERED before anything is decompressed."""
    sealed(project)
    with open(seg(project, 0, "jsonl.z"), "ab") as fh:
        fh.write(b"\0")
    monkeypatch.setattr(zlib, "decompress", lambda *_: pytest.fail("decompressed"))  # segments imports it late
    found = anchor.problems(project.ledger)
    assert any(p.startswith("TAMPERED") and "its sidecar says" in p for p in found)


def test_the_archive_not_chained_to_the_last_segment_is_refused(project: Project) -> None:
    """Records after the last segment that no longer chain to it (the archive's head cut) are refused."""
    sealed(project)
    lines = project.ledger.archive_path.read_bytes().splitlines(keepends=True)
    project.ledger.archive_path.write_bytes(b"".join(lines[1:]))
    assert problems(project)
    report = project.ledger.verify()
    assert any("nowhere in the ledger" in p.message for p in report.problems)


def test_an_older_deploystate_cannot_read_the_anchor_of_a_sealed_ledger(project: Project) -> None:
    """The anchor of a sealed ledger is version 2 (a version-1 reader refuses it as unknown); a
    version-1 anchor that names segments, or a version-2 one that names none, is unreadable."""
    sealed(project)
    path = anchor.path_of(project.ledger)
    data = json.loads(path.read_text())
    assert data["version"] == anchor.SEGMENTED != anchor.VERSION
    path.write_text(json.dumps({**data, "version": anchor.VERSION}))
    assert "unreadable" in anchor.read(project.ledger)
    assert any("unreadable" in p for p in problems(project))
    data["chain"].pop("segments")
    path.write_text(json.dumps(data))
    assert "unreadable" in anchor.read(project.ledger)


def test_the_deep_check_decompresses_every_segment_and_refuses_an_edited_one(project: Project,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """doctor's deep check decompresses and re-hashes each segment, trusts an intact ledger by content
    (no full re-verification), and verifies in full, refusing it, once a segment was edited."""
    sealed(project)
    assert chainmark.check(project.ledger).ok
    seen: list[int] = []
    real = segments._verified
    monkeypatch.setattr(segments, "_verified", lambda ledger, n, side: seen.append(n) or real(ledger, n, side))
    status = chainmark.check(project.ledger, deep=True)
    assert status.ok and status.how == "content" and sorted(set(seen)) == [0, 1]
    path = seg(project, 0, "jsonl.z")
    raw = zlib.decompress(path.read_bytes()).replace(b"old note 2", b"old note Y")
    path.write_bytes(zlib.compress(raw, 9))
    status = chainmark.check(project.ledger, deep=True)
    assert not status.ok and status.how == "full"


def test_records_in_segments_are_found_by_id_and_by_commit(project: Project) -> None:
    """The MCP lookup and the hooks' commit scan see records that now live in a closed segment."""
    from deploystate.hooks.snapshot import scan_commit_verdict
    from deploystate.server.mcp.lookup import find_record

    first = put(project, "verification", {"service": "api", "commit": "abc1234def", "verdict": "fail"},
                days_ago=90)
    put(project, "verification", {"service": "api", "commit": "fedcba9876", "verdict": "pass"}, days_ago=90)
    sealed(project)  # the fail is resolved by the later pass: archived, sealed, no longer in the live file
    assert first["id"] in zlib.decompress(seg(project, 0, "jsonl.z").read_bytes()).decode()
    assert first["id"] not in project.ledger.path.read_text() + project.ledger.archive_path.read_text()
    assert find_record(project.ledger, first["id"]) == first
    assert scan_commit_verdict(project, "abc1234def") == "fail"


def test_git_sync_after_sealing_ships_every_record(git_repo, git_remote, monkeypatch: pytest.MonkeyPatch) -> None:
    """The team ref holds every record after a seal, and a second clone's sync brings none back twice."""
    from deploystate.state.git.sync_git import REF, _records_at, sync

    monkeypatch.setattr(segments, "RECORDS", SEG)
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "t"\n'})
    project = Project.discover(git_repo.path)
    project.ledger.ensure()
    before = sealed(project)
    res = sync(git_repo.path, project.ledger)
    assert res.pushed and res.fetched == 0 and res.restored == 0 and not res.problems
    assert {r["id"] for r in _records_at(git_repo.path, REF, 10.0) or []} == {r["id"] for r in before}
    assert len(project.ledger.path.read_text().splitlines()) < len(before) and problems(project) == []


def test_sealed_attempts_are_still_remembered(project: Project) -> None:
    """Similar-attempt search covers closed segments: sealing does not make the memory forget."""
    from deploystate.state.memory import memindex, memory

    put(project, "attempt", {"summary": "restart celery worker to fix event loop", "outcome": "failed",
                             "services": []}, days_ago=90)
    put(project, "verification", {"service": "worker", "commit": "a", "verdict": "pass"}, days_ago=89)
    sealed(project)
    memindex._LOADED.clear()
    assert b"celery" in zlib.decompress(seg(project, 0, "jsonl.z").read_bytes())
    assert b"celery" not in project.ledger.path.read_bytes() + project.ledger.archive_path.read_bytes()
    hits = memory.similar_attempts(project, summary="fix: event loop error by restarting the worker")
    assert hits and hits[0]["outcome"] == "failed"


def test_a_sidecar_edited_in_place_after_a_decision_is_tampered_in_the_same_process(project: Project) -> None:
    """The sidecars kept between decisions are re-read when a file changes, even at the same size and mtime."""
    sealed(project)
    assert problems(project) == []  # the sidecars are read and kept by this process
    side = seg(project, 0, "json")
    st = side.stat()
    old = side.read_bytes()
    new = old.replace(f'"records":{SEG}'.encode(), f'"records":{SEG + 1}'.encode())
    assert new != old and len(new) == len(old)
    with open(side, "r+b") as fh:  # in place: the same inode and size
        fh.write(new)
    os.utime(side, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime
    assert (side.stat().st_ino, side.stat().st_size, side.stat().st_mtime_ns) == (st.st_ino, st.st_size,
                                                                                 st.st_mtime_ns)
    assert any(p.startswith("TAMPERED") for p in problems(project))
