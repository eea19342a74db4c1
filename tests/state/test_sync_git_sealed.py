"""The git team ledger after records left the live file (closed segments, archive.jsonl): the ledger
commit and its anchor.json carry every record, and a teammate's clone gets each one whole."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.git.sync_git import REF, _records_at, remote_anchor_at, sync
from deploystate.state.tamper import remote_anchor
from deploystate.state.ledger import segments
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from tests.fixtures.gitrepo import GitRepo

SEG = 8  # records per closed segment in these tests (65,536 in use)


@pytest.fixture
def team(tmp_path: Path, git_repo: GitRepo, git_remote: Path, monkeypatch: pytest.MonkeyPatch) -> list[Project]:
    monkeypatch.setattr(segments, "RECORDS", SEG)
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "team"\n'})
    git_repo.git("push", "-q", "origin", "main")
    mate = tmp_path / "mate"
    subprocess.run(["git", "clone", "-q", str(git_remote), str(mate)], check=True, timeout=60, capture_output=True)
    out = [Project.discover(git_repo.path), Project.discover(mate)]
    for p in out:
        p.ledger.ensure()
    return out


def _compacted(project: Project) -> dict[str, dict]:
    ts = iso(utc_now() - timedelta(days=90))
    project.ledger.append_sealed([{"id": "", "ts": ts, "kind": "attempt", "author": {"kind": "agent", "name": "t"},
                                   "commit": None, "payload": {"summary": f"tune {i}", "outcome": "worked"}}
                                  for i in range(2 * SEG + 4)], reseal=True)
    project.ledger.append("note", {"text": "young"})
    every = {r["id"]: r for r in project.ledger.read(include_archive=True).records}
    assert compact(project, older_than="30d")["sealed_segments"] == 2
    return every


def test_records_compacted_before_the_first_sync_reach_the_ref_and_a_teammate(team: list[Project]) -> None:
    """Sealed and archived records are in the ledger commit and its anchor.json, and arrive whole in a new clone."""
    mine, mate = team
    every = _compacted(mine)
    assert sync(mine.root, mine.ledger).pushed
    assert {r["id"]: r for r in _records_at(mine.root, REF, 10.0) or []} == every
    assert remote_anchor_at(mine.root, REF, 10.0) == json.loads(json.dumps(remote_anchor.summary(every.values())))
    res = sync(mate.root, mate.ledger)
    assert res.fetched == len(every) and not res.problems, res.message
    assert {r["id"]: r for r in mate.ledger.read(include_archive=True).records} == every and mate.ledger.verify().ok
    again = sync(mine.root, mine.ledger)  # nothing comes back twice into the sealed copy
    assert again.fetched == 0 and not again.problems and len(mine.ledger.read().records) < len(every)


def test_records_sealed_on_append_reach_the_ref_and_a_teammate(team: list[Project],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The live file's oldest segment sealed by an append (no compaction) is in the commit and the mate's clone."""
    mine, mate = team
    monkeypatch.setattr(segments, "MARGIN", 2)
    for i in range(SEG + 3):
        mine.ledger.append("attempt", {"summary": f"bump memory {i}", "outcome": "failed"})
    assert segments.count(mine.ledger) == 1
    every = {r["id"]: r for r in mine.ledger.read(include_archive=True).records}
    assert sync(mine.root, mine.ledger).pushed
    assert remote_anchor_at(mine.root, REF, 10.0) == json.loads(json.dumps(remote_anchor.summary(every.values())))
    assert sync(mate.root, mate.ledger).fetched == len(every)
    assert {r["id"]: r for r in mate.ledger.read(include_archive=True).records} == every and mate.ledger.verify().ok
