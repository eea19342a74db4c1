"""The ledger on S3: one object per record, never overwritten, and a head object for freshness.

Each record is ``<prefix>/records/<id>.json`` written with ``If-None-Match: *``,
so two writers can never overwrite each other; ``<prefix>/head.json`` holds a
count and the newest id, updated with ``If-Match`` on its ETag so a stale
writer is refused and retries. The local ledger file is the cache that keeps
reads fast, and the same DAG verification applies to what was pulled.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

from deploystate.state.tamper import remote_anchor
from deploystate.state.ledger.chain import canonical
from deploystate.state.errors import ConfigError, PlatformUnreachable
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.merge import missing_records

from . import s3_anchor
from .s3_status import _b32, _distinct, _head_key, _load_status, _ms, _save_status

# The incremental listing starts this far behind the newest pulled id (writers' clocks differ). It is
# only the fast path: a head counting records this copy lacks always triggers the full listing.
SKEW_MS = 10 * 60 * 1000


@dataclass
class S3SyncResult:
    backend: str
    pushed: int = 0
    already_there: int = 0
    pulled: int = 0
    head_retries: int = 0
    head: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    at: str = ""
    full_listing: bool = False   # every record was listed (asked for, or the head disagreed with this copy)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_backend(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigError(f"backend {url!r} is not an s3://bucket/prefix URL",
                          'write it as backend = "s3://my-bucket/deploystate/my-project"')
    return parsed.netloc, parsed.path.strip("/")


class S3Ledger:
    """Push and pull one project's ledger to ``s3://bucket/prefix`` (client passed in, httpx-style)."""

    def __init__(self, url: str, *, client: Any = None, endpoint_url: str | None = None,
                 region: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.bucket, self.prefix = parse_backend(url)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", endpoint_url=endpoint_url or os.environ.get("DEPLOYSTATE_S3_ENDPOINT"),
                                  region_name=region, config=Config(connect_timeout=timeout, read_timeout=timeout,
                                                                    retries={"max_attempts": 3, "mode": "standard"}))
        self.s3 = client
        self.timeout = timeout
        self._cancelled = threading.Event()  # set when sync's deadline passed: the worker stops at its next call
        self._seen: list[Any] = []  # (count, last_id) of head.json as this copy last knew it complete

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, op: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._cancelled.is_set():
            raise PlatformUnreachable(f"S3 sync with {self.url} was stopped at its deadline ({op} not sent)")
        try:
            return getattr(self.s3, op)(Bucket=self.bucket, **kwargs)
        except ClientError:
            raise
        except BotoCoreError as exc:
            raise PlatformUnreachable(f"S3 at {self.s3.meta.endpoint_url} did not answer ({op}): {exc}",
                                      "check network access, region and credentials (the standard AWS chain)") from exc

    # -- head object ---------------------------------------------------------
    def read_head(self) -> tuple[dict[str, Any], str | None]:
        from botocore.exceptions import ClientError

        try:
            obj = self._call("get_object", Key=self._key("head.json"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return {"count": 0, "last_id": ""}, None
            raise
        return json.loads(obj["Body"].read()), obj.get("ETag")

    def bump_head(self, added: int, newest: str, result: S3SyncResult, attempts: int = 10,
                  hashes: list[str] | None = None) -> None:
        """Add ``added`` to the head's count (and their ``hashes`` to its digest: the remote anchor) with
        If-Match; a stale ETag is refused, so re-read and retry."""
        from botocore.exceptions import ClientError

        for _ in range(attempts):
            head, etag = self.read_head()
            new = {"count": head.get("count", 0) + added, "last_id": max(head.get("last_id", ""), newest),
                   "updated": iso(utc_now()), **s3_anchor.head_digest(head, hashes or [])}
            cond = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self._call("put_object", Key=self._key("head.json"), Body=json.dumps(new).encode(), **cond)
                result.head = new
                if self._seen == _head_key(head):  # nobody else wrote since our pull: still current
                    self._seen = _head_key(new)
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict",
                                                                     "412", "409"):
                    raise
                result.head_retries += 1
        result.problems.append("head.json stayed contended; it will be corrected by the next sync")

    # -- records -------------------------------------------------------------
    def push(self, ledger: Ledger, result: S3SyncResult, remote_ids: set[str] = frozenset(),  # type: ignore[assignment]
             everything: bool = False) -> None:
        """Write each local record S3 does not have yet; If-None-Match makes a duplicate write a no-op.
        Every file that holds records is read (closed segments, archive.jsonl, ledger.jsonl: compaction and
        sealing move records out of the live file before they may have been pushed). ``everything``:
        ``remote_ids`` is a full listing, so records older than the ``pushed_upto`` mark are sent too."""
        from botocore.exceptions import ClientError

        status = _load_status(ledger)
        upto = "" if everything else status.get("pushed_upto", "")
        local = {r["id"]: r for r in ledger.read(include_archive=True).records}
        mine = [r for r in local.values() if r["id"] > upto and r["id"] not in remote_ids]
        newest, hashes = status.get("pushed_upto", ""), []
        for rec in sorted(mine, key=lambda r: r["id"]):
            body = canonical(rec).encode()
            try:
                self._call("put_object", Key=self._key(f"records/{rec['id']}.json"), Body=body, IfNoneMatch="*")
                result.pushed += 1
                hashes.append(str(rec.get("hash")))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                    raise
                existing = self._call("get_object", Key=self._key(f"records/{rec['id']}.json"))["Body"].read()
                if existing != body:
                    result.problems.append(f"record {rec['id']} differs between this copy and S3: one was edited")
                result.already_there += 1
            newest = max(newest, rec["id"])
        if result.pushed:
            self.bump_head(result.pushed, newest, result, hashes=hashes)
        status["pushed_upto"] = newest
        _save_status(ledger, status)

    def pull(self, ledger: Ledger, result: S3SyncResult, full: bool = False,
             head: tuple[dict[str, Any], str | None] | None = None) -> set[str]:
        """Fetch records this copy lacks; returns the ids listed on S3 (so push can skip them)."""
        status = _load_status(ledger)
        head, _ = head or self.read_head()
        self._seen = _head_key(head)
        if not full and status.get("seen_head") == self._seen and self._seen != _head_key({}):
            return set()  # head.json is what it was after our last sync: nothing new to list
        local = ledger.read(include_archive=True).records  # records `deploystate compact` archived are present
        have = {r["id"] for r in local}
        start = ""
        if not full and status.get("pulled_upto"):
            behind = max(0, _ms(status["pulled_upto"]) - SKEW_MS)
            start = self._key("records/" + _b32(behind) + ".json")
        incoming, newest, listed = [], status.get("pulled_upto", ""), set()
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Prefix": self._key("records/"), "MaxKeys": 1000}
            if token:
                kwargs["ContinuationToken"] = token
            elif start:
                kwargs["StartAfter"] = start
            page = self._call("list_objects_v2", **kwargs)
            for item in page.get("Contents", []):
                rid = item["Key"].rsplit("/", 1)[-1].removesuffix(".json")
                newest = max(newest, rid)
                listed.add(rid)
                if rid not in have:
                    body = self._call("get_object", Key=item["Key"])["Body"].read()
                    try:
                        incoming.append(json.loads(body))
                    except ValueError:
                        result.problems.append(f"{item['Key']} is not a JSON record")
            if not page.get("IsTruncated"):
                break
            token = page.get("NextContinuationToken")
        new, problems = missing_records(local, incoming)
        result.problems += [str(p) for p in problems]
        if new:
            ledger.append_sealed(new, reseal=False)
        result.pulled = len(new)
        status = _load_status(ledger)
        status["pulled_upto"] = newest
        _save_status(ledger, status)
        return listed

    def sync(self, ledger: Ledger, *, full: bool = False) -> S3SyncResult:
        """Pull, push, and check the head's count against this copy; the whole sync ends within
        ``timeout`` seconds (botocore's own timeouts apply per request and retry, so a server that
        hangs would otherwise hold a sync for several times the timeout)."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["result"] = self._sync(ledger, full)
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="deploystate-s3-sync", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._cancelled.set()
            raise PlatformUnreachable(f"S3 at {self.url} did not finish the sync within {self.timeout:g}s",
                                      "check network access to the bucket; the local ledger is used meanwhile "
                                      "(nothing is lost: the next sync sends and fetches what this one did not)")
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _sync(self, ledger: Ledger, full: bool) -> S3SyncResult:
        result = S3SyncResult(backend=self.url, full_listing=full)
        listed = self.pull(ledger, result, full=full)
        self.push(ledger, result, listed, everything=full)
        head, etag = self.read_head()
        # Every record object on S3 was counted into head.json when it was created, and after the push
        # every local record is on S3. A head counting more records than this copy holds means some
        # were skipped by the incremental listing (a writer that was offline, or a skewed clock): list
        # everything. No time window can hide a record from this check.
        # And a head counting fewer records than this copy holds means some of ours never reached S3 (a
        # copy whose pushed_upto mark passed records that were in archive.jsonl or a closed segment then):
        # list everything and push whatever S3 lacks, whatever its id.
        have = _distinct(ledger)
        if not full and head.get("count", 0) != have:
            result.full_listing = True
            listed = self.pull(ledger, result, full=True, head=(head, etag))
            self.push(ledger, result, listed, everything=True)
            head, etag = self.read_head()
        if result.full_listing and head.get("count", 0) != len(listed) and not result.pushed:
            self._correct_head(head, etag, len(listed), result)
        self._judge(ledger, head, listed if result.full_listing else None, result)
        result.head = head if not result.head or head.get("count", 0) >= result.head.get("count", 0) else result.head
        result.at = iso(utc_now())
        status = _load_status(ledger)
        status.update(last_sync=result.at, head=result.head, seen_head=self._seen)
        _save_status(ledger, status)
        return result

    def _judge(self, ledger: Ledger, head: dict[str, Any], listed: set[str] | None, result: S3SyncResult) -> None:
        """Compare this copy with the S3 anchor; a disagreement seen on a partial view is checked on a full
        listing before it is called TAMPERED. Kept in the local anchor (a clean contact clears it)."""
        found = s3_anchor.judge(self, ledger, head, listed)
        if found and listed is None:
            listed = self.pull(ledger, result, full=True, head=(head, None))
            found = s3_anchor.judge(self, ledger, head, listed)
        if found is not None:
            result.problems += [p for p in found if p not in result.problems]
            remote_anchor.remember(ledger, self.url, {"records": head.get("count"), "digest": head.get("digest"),
                                                      "newest": head.get("last_id")}, found, iso(utc_now()))

    def _correct_head(self, head: dict[str, Any], etag: str | None, listed: int, result: S3SyncResult) -> None:
        """A full listing counted the records: fix a head that drifted (a bump lost to contention).
        If-Match: when another writer moved the head meanwhile, leave it to the next sync."""
        from botocore.exceptions import ClientError

        new = {**head, "count": listed, "updated": iso(utc_now())}
        cond = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self._call("put_object", Key=self._key("head.json"), Body=json.dumps(new).encode(), **cond)
            result.problems.append(f"head.json counted {head.get('count', 0)} records, the listing {listed}: corrected")
            self._seen = _head_key(new)
            result.head = new
        except ClientError:
            pass

    def is_current(self, ledger: Ledger) -> bool:
        """True when the head names no record this copy lacks."""
        head, _ = self.read_head()
        return head.get("last_id", "") <= (_load_status(ledger).get("pulled_upto") or "") or not head.get("last_id")
