"""A seal interrupted at each of its steps (segment without sidecar, archive not cut, anchor not moved):
the next seal finishes or redoes it, nothing is reported lost and the history reads the same."""

from __future__ import annotations

import json
import zlib

import pytest

from deploystate.state.config.project import Project
from deploystate.state.tamper import anchor
from deploystate.state.ledger import sealing, segments
from deploystate.state.ledger.compact import compact
from tests.fixtures.ledgers import SEG, project  # noqa: F401 (the fixture)
from tests.state.segments_support import problems, put, seg, sealed


def test_a_seal_stopped_before_the_archive_was_cut_is_finished(project: Project) -> None:
    """A crash after the segment was written but before the archive lost its lines: the next seal cuts the
    archive, makes no second copy of the segment, and the history reads the same."""
    before = sealed(project)
    raw0 = zlib.decompress(seg(project, 1, "jsonl.z").read_bytes())
    archive = project.ledger.archive_path
    archive.write_bytes(raw0 + archive.read_bytes())  # as if segment 1 was written and the cut never happened
    assert project.ledger.verify().ok  # the same lines twice: duplicates, harmless
    with project.ledger.locked():
        assert sealing.seal(project.ledger) == 0
    assert segments.count(project.ledger) == 2 and len(archive.read_text().splitlines()) == 4
    assert project.ledger.read(include_archive=True).records == before


def test_a_seal_stopped_before_its_sidecar_leaves_no_segment_and_is_redone(project: Project,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A data file without its sidecar (the seal stopped between the two) is no segment: the ledger is
    trusted, and the next compaction seals that segment again over it."""
    monkeypatch.setattr(segments, "RECORDS", 10 ** 9)
    before = sealed_later(project)
    monkeypatch.setattr(segments, "RECORDS", SEG)
    segments.folder(project.ledger).mkdir()
    orphan = seg(project, 0, "jsonl.z")
    orphan.write_bytes(b"partial")
    assert segments.count(project.ledger) == 0 and problems(project) == []
    assert compact(project, older_than="30d")["sealed_segments"] == 2
    assert json.loads(seg(project, 0, "json").read_text())["zlength"] == orphan.stat().st_size
    assert problems(project) == [] and project.ledger.read(include_archive=True).records == before


def sealed_later(project: Project) -> list[dict]:
    """Archivable notes compacted while sealing is off (``RECORDS`` patched high): 20 lines in the archive."""
    for i in range(2 * SEG + 4):
        put(project, "note", {"text": f"old note {i}"}, days_ago=90)
    put(project, "note", {"text": "young"})
    compact(project, older_than="30d")
    return project.ledger.read(include_archive=True).records


def test_a_seal_stopped_before_the_anchor_moved_is_not_tampering(project: Project,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments sealed and the archive cut, but the anchor not yet moved (the process died): the anchored
    archive tail is still there and its lines are in the segments, so nothing is reported lost."""
    monkeypatch.setattr(segments, "RECORDS", 10 ** 9)
    before = sealed_later(project)
    monkeypatch.setattr(segments, "RECORDS", SEG)
    with project.ledger.locked():
        assert sealing.seal(project.ledger) == 2  # no anchor update after it
    assert "segments" not in anchor.read(project.ledger)["chain"]
    assert problems(project) == [] and project.ledger.read(include_archive=True).records == before
