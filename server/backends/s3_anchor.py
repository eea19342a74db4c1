"""The S3 team ledger as this copy's remote anchor: ``head.json`` also carries the records' digest.

``head.json`` counts the record objects; its ``digest`` (``remote_anchor.add``) sums their
hashes, extended by each writer under the head's If-Match as it adds records. Objects on S3
are never overwritten (If-None-Match), so a copy whose shared records no longer add up to
that digest was edited here: TAMPERED, kept in the local anchor for every decision.
"""

from __future__ import annotations

from typing import Any

from deploystate.state.tamper import remote_anchor
from deploystate.state.ledger.chain import canonical

NAMED_AT_MOST = 300  # GETs spent naming the records that differ (only after the digest disagreed)


def judge(s3: Any, ledger: Any, head: dict[str, Any], listed: set[str] | None) -> list[str] | None:
    """TAMPERED lines for this copy against the S3 anchor; [] when they agree; None when it cannot
    be judged now (a head from before digests, or a writer that moved it while we compared).
    ``listed``: every id on S3 (a full listing), or None (then the whole local ledger is compared)."""
    digest = head.get("digest")
    if not isinstance(digest, str):
        return None
    local = {r["id"]: r for r in ledger.read(include_archive=True).records if isinstance(r.get("id"), str)}
    ids = set(local) if listed is None else listed
    if head.get("count", 0) != len(ids) or not ids <= set(local):
        return None
    if remote_anchor.add(None, (str(local[i].get("hash")) for i in ids)) == digest:
        return []
    differ = _named(s3, local, ids)
    if differ:
        return remote_anchor.findings(s3.url, differ, [])
    return [f"{remote_anchor.anchor.TAMPERED}: the {len(ids)} records this copy shares with {s3.url} do not add "
            "up to the digest of its anchor (head.json): a record was edited or re-hashed here; "
            f"{remote_anchor.NEXT}"]


def _named(s3: Any, local: dict[str, dict], ids: set[str]) -> list[str]:
    """Ids whose S3 object differs from the local record, newest first, within a bounded number of GETs."""
    out = []
    for rid in sorted(ids, reverse=True)[:NAMED_AT_MOST]:
        body = s3._call("get_object", Key=s3._key(f"records/{rid}.json"))["Body"].read()
        if body != canonical(local[rid]).encode():
            out.append(rid)
    return sorted(out)


def head_digest(head: dict[str, Any], hashes: list[str]) -> dict[str, Any]:
    """The ``digest`` field of the next head: extended from the last one; started on an empty bucket;
    left out on a head written before digests (its base is unknown until a full listing rebuilds it)."""
    if isinstance(head.get("digest"), str):
        return {"digest": remote_anchor.add(head["digest"], hashes)}
    if not head.get("count"):
        return {"digest": remote_anchor.add(None, hashes)}
    return {}


def check(s3: Any, ledger: Any) -> str:
    """Doctor's look at the S3 anchor: the head only (plus GETs to name records if the digest disagrees)."""
    from deploystate.state.ledger.ids import iso, utc_now

    head, _ = s3.read_head()
    found = judge(s3, ledger, head, None)
    have = len({r["id"] for r in ledger.read(include_archive=True).records})
    if found is not None:
        remote_anchor.remember(ledger, s3.url, {"records": head.get("count"), "digest": head.get("digest"),
                                                "newest": head.get("last_id")}, found, iso(utc_now()))
    said = f"{s3.url} holds {head.get('count', 0)} records, this copy {have}"
    if found is None:
        said += " (not compared now: run `deploystate sync`, which compares after exchanging records)" \
            if isinstance(head.get("digest"), str) else " (its head was written before digests: nothing to compare with)"
    return said
