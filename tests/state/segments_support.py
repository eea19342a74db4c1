"""What the sealed-segment tests share: records put in the past, a ledger compacted into two segments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from deploystate.state.config.project import Project
from deploystate.state.tamper import integrity
from deploystate.state.ledger import segments
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from tests.fixtures.ledgers import SEG


def put(project: Project, kind: str, payload: dict, days_ago: float | None = None) -> dict:
    ts = iso(utc_now() - timedelta(days=days_ago)) if days_ago is not None else ""
    rec = {"id": "", "ts": ts, "kind": kind, "author": {"kind": "agent", "name": "t"}, "commit": None,
           "payload": payload}
    return project.ledger.append_sealed([rec], reseal=True)[0]


def sealed(project: Project, old: int = 2 * SEG + 4) -> list[dict]:
    """``old`` archivable notes and one young one, compacted: two segments and 4 lines left in the archive."""
    for i in range(old):
        put(project, "note", {"text": f"old note {i}"}, days_ago=90)
    put(project, "note", {"text": "young"})
    before = project.ledger.read(include_archive=True).records
    res = compact(project, older_than="30d")
    assert res["sealed_segments"] == 2
    return before


def seg(project: Project, n: int, ext: str) -> Path:
    return segments.folder(project.ledger) / f"{n:06d}.{ext}"


def problems(project: Project) -> list[str]:
    return integrity.check(Project.discover(project.root))
