"""The S3 ledger backend against a real moto server: conditional writes, nothing lost."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import boto3
import pytest

from deploystate.server.backends.s3 import S3Ledger, S3SyncResult, parse_backend
from deploystate.state.view import cache
from deploystate.state.errors import ConfigError
from deploystate.state.ledger.ledger import Ledger
from tests.timing import GENEROUS
from tests.fixtures.moto_server import s3_bucket

BUCKET = "team-ledger"


@pytest.fixture
def s3(aws_endpoint: str):
    """A moto S3 client with this module's empty bucket."""
    return s3_bucket(aws_endpoint, BUCKET)


def test_eight_concurrent_writers_lose_nothing(s3, tmp_path: Path) -> None:
    """8 writers each appending and syncing concurrently: after a final sync every copy has all records."""
    ledgers = [Ledger(tmp_path / f"w{i}") for i in range(8)]
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            # The default 10 s sync deadline is for one machine; 8 writers on a loaded 2-core CI machine
            # share one moto server, so each gets the generous bound (the deadline has its own tests).
            backend = S3Ledger(f"s3://{BUCKET}/proj", client=s3, timeout=GENEROUS)
            for n in range(10):
                ledgers[i].append("attempt", {"summary": f"writer {i} try {n}", "outcome": "failed"})
                if n % 3 == 2:
                    backend.sync(ledgers[i])
            backend.sync(ledgers[i])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    for led in ledgers:
        S3Ledger(f"s3://{BUCKET}/proj", client=s3, timeout=GENEROUS).sync(led, full=True)
    ids = [sorted(r["id"] for r in led.read().records) for led in ledgers]
    assert all(x == ids[0] for x in ids) and len(ids[0]) == 80
    assert all(led.verify().ok for led in ledgers)
    head = S3Ledger(f"s3://{BUCKET}/proj", client=s3).read_head()[0]
    assert head["count"] == 80
    assert cache.load(ledgers[0]).state == cache.load(ledgers[7]).state


def test_a_stale_head_write_is_refused_and_retried(s3, aws_endpoint: str, tmp_path: Path) -> None:
    """Another writer moving head.json between our read and write costs a retry, not a lost count."""
    backend = S3Ledger(f"s3://{BUCKET}/p", client=s3)
    led = Ledger(tmp_path / "a")
    led.append("note", {})
    backend.sync(led)
    other = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")   # a second writer
    raced: list[str] = []

    def someone_else_writes_first(params, **_kw) -> None:  # noqa: ANN001
        """Just before our first conditional write of head.json reaches S3, the other writer bumps it."""
        if params.get("Key") == "p/head.json" and not raced:
            raced.append(params.get("IfMatch") or "")
            other.put_object(Bucket=BUCKET, Key="p/head.json", Body=b'{"count": 5, "last_id": "0"}')

    s3.meta.events.register("provide-client-params.s3.PutObject", someone_else_writes_first)
    try:
        result = S3SyncResult(backend="x")
        backend.bump_head(2, "zzz", result)   # the real read, the real If-Match write, refused by S3 once
    finally:
        s3.meta.events.unregister("provide-client-params.s3.PutObject", someone_else_writes_first)
    assert raced and raced[0]                                  # our write carried the ETag it had read
    assert result.head_retries == 1 and result.head["count"] == 7
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key="p/head.json")["Body"].read())
    assert stored["count"] == 7 and stored["last_id"] == "zzz"


def test_records_are_never_overwritten(s3, tmp_path: Path) -> None:
    """A record edited locally after it was pushed is reported, and S3 keeps the original."""
    led = Ledger(tmp_path / "a")
    rec = led.append("verification", {"service": "web", "verdict": "fail"})
    backend = S3Ledger(f"s3://{BUCKET}/p", client=s3)
    backend.sync(led)
    body = s3.get_object(Bucket=BUCKET, Key=f"p/records/{rec['id']}.json")["Body"].read()
    led.path.write_text(led.path.read_text().replace('"fail"', '"pass"'))
    other = Ledger(tmp_path / "b")
    other.ensure()
    other.path.write_text(led.path.read_text())
    (tmp_path / "b" / "s3.json").write_text("{}")
    result = S3SyncResult(backend="x")
    backend.push(other, result)  # a copy that never pulled tries to write the edited record
    assert result.pushed == 0 and any("differs" in p for p in result.problems)
    assert not other.verify().ok  # and the local DAG check names the edit too
    assert s3.get_object(Bucket=BUCKET, Key=f"p/records/{rec['id']}.json")["Body"].read() == body


def test_backend_url_must_be_s3() -> None:
    """A backend that is not s3://bucket/prefix is a config error with an example."""
    assert parse_backend("s3://bucket/a/b") == ("bucket", "a/b")
    with pytest.raises(ConfigError):
        parse_backend("gs://bucket")


def test_an_unchanged_head_skips_the_listing_and_a_new_record_does_not(s3, tmp_path: Path) -> None:
    """A sync when head.json did not move lists nothing; a teammate's new record is still found."""
    calls = {"list": 0}
    real = s3.list_objects_v2

    def counting(**kw):
        calls["list"] += 1
        return real(**kw)

    s3.list_objects_v2 = counting
    mine, mate = Ledger(tmp_path / "mine"), Ledger(tmp_path / "mate")
    mine.append("note", {"i": 1})
    backend = S3Ledger(f"s3://{BUCKET}/q", client=s3)
    backend.sync(mine)
    calls["list"] = 0
    assert backend.sync(mine).pulled == 0 and calls["list"] == 0
    mate.append("attempt", {"summary": "bump the worker memory", "outcome": "failed"})
    S3Ledger(f"s3://{BUCKET}/q", client=s3).sync(mate)
    assert S3Ledger(f"s3://{BUCKET}/q", client=s3).sync(mine).pulled == 1 and calls["list"] >= 1
