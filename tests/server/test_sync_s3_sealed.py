"""The S3 team ledger after `deploystate compact` (moto server, real boto3): every record reaches S3,
whichever file holds it (closed segments, archive.jsonl, ledger.jsonl)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from deploystate.server.backends.s3 import S3Ledger
from deploystate.state.config.project import Project
from deploystate.state.tamper import remote_anchor
from deploystate.state.ledger import segments
from deploystate.state.ledger.compact import compact
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.ledger import Ledger

from tests.fixtures.ledgers import SEG, project  # noqa: F401 (the fixture)
from tests.fixtures.moto_server import s3_bucket

BUCKET = "sealed-ledger"
URL = f"s3://{BUCKET}/proj"


@pytest.fixture
def s3(aws_endpoint: str):
    """A moto S3 client with this module's empty bucket."""
    return s3_bucket(aws_endpoint, BUCKET)


def _old_notes(project: Project, n: int) -> None:
    ts = iso(utc_now() - timedelta(days=90))
    recs = [{"id": "", "ts": ts, "kind": "note", "author": {"kind": "agent", "name": "t"}, "commit": None,
             "payload": {"text": f"old note {i}"}} for i in range(n)]
    project.ledger.append_sealed(recs, reseal=True)


def _compacted(project: Project) -> dict[str, dict]:
    """20 old notes and a young one, compacted: two closed segments, 4 archive lines, a short live file."""
    _old_notes(project, 2 * SEG + 4)
    project.ledger.append("note", {"text": "young"})
    every = {r["id"]: r for r in project.ledger.read(include_archive=True).records}
    assert compact(project, older_than="30d")["sealed_segments"] == 2
    assert len(project.ledger.read().records) < len(every)  # most records left the live file
    return every


def _on_s3(s3) -> dict[str, dict]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="proj/records/").get("Contents", [])]
    return {k.rsplit("/", 1)[-1].removesuffix(".json"): json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read())
            for k in keys}


def test_records_compacted_before_any_push_reach_s3_and_a_teammate(s3, project: Project, tmp_path: Path) -> None:
    """Records `compact` sealed or archived before the first sync are pushed, whole, and a new clone gets them all."""
    every = _compacted(project)
    res = S3Ledger(URL, client=s3).sync(project.ledger)
    assert not res.problems, res.problems
    assert _on_s3(s3) == every                       # every record, every field, byte for byte as the ledger holds it
    head = S3Ledger(URL, client=s3).read_head()[0]
    assert head["count"] == len(every) and head["digest"] == remote_anchor.summary(every.values())["digest"]
    mate = Ledger(tmp_path / "mate")
    S3Ledger(URL, client=s3).sync(mate, full=True)
    assert {r["id"]: r for r in mate.read(include_archive=True).records} == every and mate.verify().ok


def test_a_copy_that_skipped_its_archive_sends_it_at_the_next_sync(s3, project: Project) -> None:
    """A clone whose s3.json already passed the archived records (the old push) still sends them: the head
    counting fewer records than this copy holds makes the sync list S3 and push whatever it lacks."""
    every = _compacted(project)
    live = project.ledger.read().records
    (project.ledger.dir / "s3.json").write_text("{}")
    backend = S3Ledger(URL, client=s3)
    for rec in live:  # what the old push wrote: the live file only, then its high-water mark
        s3.put_object(Bucket=BUCKET, Key=f"proj/records/{rec['id']}.json",
                      Body=json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    s3.put_object(Bucket=BUCKET, Key="proj/head.json", Body=json.dumps(
        {"count": len(live), "last_id": max(every), **remote_anchor_digest(live)}).encode())
    (project.ledger.dir / "s3.json").write_text(json.dumps({"pushed_upto": max(every), "pulled_upto": max(every)}))
    res = backend.sync(project.ledger)
    assert res.pushed == len(every) - len(live) and not [p for p in res.problems if "TAMPERED" in p], res.problems
    assert _on_s3(s3) == every
    assert S3Ledger(URL, client=s3).read_head()[0]["count"] == len(every)


def remote_anchor_digest(records: list[dict]) -> dict:
    return {"digest": remote_anchor.summary(records)["digest"]}


def test_records_sealed_on_append_reach_s3_and_a_teammate(s3, project: Project, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The live file's oldest segment sealed by an append (no compaction) still goes to S3 whole."""
    monkeypatch.setattr(segments, "MARGIN", 2)
    for i in range(SEG + 3):
        project.ledger.append("attempt", {"summary": f"bump memory {i}", "outcome": "failed"})
    assert segments.count(project.ledger) == 1
    every = {r["id"]: r for r in project.ledger.read(include_archive=True).records}
    assert not S3Ledger(URL, client=s3).sync(project.ledger).problems
    assert _on_s3(s3) == every
    mate = Ledger(tmp_path / "mate")
    S3Ledger(URL, client=s3).sync(mate)
    assert {r["id"]: r for r in mate.read(include_archive=True).records} == every and mate.verify().ok
