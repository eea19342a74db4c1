"""The S3 team ledger as the remote anchor (moto server, real boto3): head.json's digest catches an edited copy."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from deploystate.server.backends import s3_anchor
from deploystate.server.backends.s3 import S3Ledger
from deploystate.state.tamper import anchor, remote_anchor
from deploystate.state.ledger import chain
from deploystate.state.ledger.ledger import Ledger
from tests.fixtures.moto_server import s3_bucket

BUCKET = "anchor-ledger"
URL = f"s3://{BUCKET}/proj"


@pytest.fixture
def s3(aws_endpoint: str):
    """A moto S3 client with this module's empty bucket."""
    return s3_bucket(aws_endpoint, BUCKET)


def _failed(led: Ledger, s3) -> None:
    led.append("deploy", {"service": "web", "status": "restarted"})
    led.append("verification", {"service": "web", "verdict": "fail", "summary": "500"})
    led.append("note", {"text": "after the failure"})
    assert not S3Ledger(URL, client=s3).sync(led).problems


def _rehash_to_pass(led: Ledger) -> None:
    records = [json.loads(line) for line in led.path.read_text().splitlines()]
    at = next(i for i, r in enumerate(records) if r["payload"].get("verdict") == "fail")
    records[at]["payload"]["verdict"] = "pass"
    out = records[:at]
    for rec in records[at:]:
        out.append(chain.seal({**rec, "prev": out[-1]["hash"] if out else None}))
    led.path.write_text("".join(chain.canonical(r) + "\n" for r in out))
    anchor.path_of(led).unlink()
    assert led.verify().ok and not anchor.problems(led)


def test_head_json_carries_the_digest_of_every_record(s3, tmp_path: Path) -> None:
    """Two writers extend head.json's digest; it equals the digest of the records S3 holds."""
    a, b = Ledger(tmp_path / "a"), Ledger(tmp_path / "b")
    _failed(a, s3)
    b.append("attempt", {"summary": "raised the timeout", "outcome": "failed"})
    S3Ledger(URL, client=s3).sync(b)
    head = S3Ledger(URL, client=s3).read_head()[0]
    assert head["count"] == 4 and head["digest"] == remote_anchor.summary(b.read().records)["digest"]


def test_a_rehashed_copy_is_tampered_at_the_next_sync(s3, tmp_path: Path) -> None:
    """An edit re-sealed onward with the local anchor deleted: the next sync names the records, S3 is unchanged."""
    a, b = Ledger(tmp_path / "a"), Ledger(tmp_path / "b")
    _failed(a, s3)
    _rehash_to_pass(a)
    res = S3Ledger(URL, client=s3).sync(a)
    assert any("TAMPERED" in p and "diverges from the remote anchor" in p and "2 records" in p
               for p in res.problems), res.problems
    assert remote_anchor.problems(anchor.read(a))  # kept: every offline decision refuses until a clean contact
    S3Ledger(URL, client=s3).sync(b)
    assert [r["payload"]["verdict"] for r in b.read().records if r["kind"] == "verification"] == ["fail"]
    assert not S3Ledger(URL, client=s3).sync(b).problems and not remote_anchor.problems(anchor.read(b))


def test_doctor_check_reads_the_head_and_names_the_edit(s3, tmp_path: Path) -> None:
    """The doctor's look (head only) finds the same divergence and records it."""
    a = Ledger(tmp_path / "a")
    _failed(a, s3)
    said = s3_anchor.check(S3Ledger(URL, client=s3), a)
    assert "holds 3 records, this copy 3" in said and not remote_anchor.problems(anchor.read(a))
    _rehash_to_pass(a)
    s3_anchor.check(S3Ledger(URL, client=s3), a)
    assert any("diverges" in p for p in remote_anchor.problems(anchor.read(a)))


def test_a_head_from_before_digests_is_not_judged(s3, tmp_path: Path) -> None:
    """A bucket whose head.json predates digests is left unjudged (never called TAMPERED on no evidence)."""
    a = Ledger(tmp_path / "a")
    _failed(a, s3)
    head = json.loads(s3.get_object(Bucket=BUCKET, Key="proj/head.json")["Body"].read())
    s3.put_object(Bucket=BUCKET, Key="proj/head.json", Body=json.dumps({k: v for k, v in head.items()
                                                                         if k != "digest"}).encode())
    a.append("note", {"text": "one more"})
    res = S3Ledger(URL, client=s3).sync(a)
    assert not res.problems and "digest" not in S3Ledger(URL, client=s3).read_head()[0]
