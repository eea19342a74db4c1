"""The team ledger's anchor on the remote, and what this copy last learnt from it (standard library only).

The local anchor (``anchor.py``) lives in the git common directory: out of the
work tree's reach, but not out of a shell's. The remote is: a copy whose ledger
was edited, re-hashed or cut (with its local anchor deleted too) still meets the
team's copy at the next contact (``deploystate sync``, a hook's ``sync_before``,
``doctor``). What the remote holds is summarised as

  ``{"records": n, "digest": <sum of the record hashes mod 2**256>, "newest": <id>}``

(git: ``anchor.json`` beside ``ledger.jsonl`` in the ledger commit; S3: fields of
``head.json``). The digest is additive so an S3 writer can extend it with the
hashes it adds under the head's If-Match, without listing everything.

A contact that finds this copy diverging from the remote (a record both hold
differs) or missing records it had synced before is TAMPERED until a later contact
finds the two agreeing again; the finding is kept in the local anchor's ``remote``
section, which every decision reads through ``integrity.check``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterable

from . import anchor
from deploystate.state.ledger.chain import canonical

SECTION = "remote"
MOD = 1 << 256
NEXT = "run `deploystate sync` to restore from the team's copy, then `deploystate doctor`"


def add(digest: str | None, hashes: Iterable[str]) -> str:
    """``digest`` extended by ``hashes`` (order-free: a set of records has one digest however it was built)."""
    total = int(digest, 16) if digest else 0
    for h in hashes:
        try:
            total = (total + int(h, 16)) % MOD
        except (TypeError, ValueError):
            continue  # a record without a valid hash is reported by the chain check, not here
    return f"{total:064x}"


def summary(records: Iterable[dict]) -> dict[str, Any]:
    """The anchor of a set of records (each id once)."""
    by_id = {r["id"]: r for r in records if isinstance(r.get("id"), str)}
    return {"records": len(by_id), "digest": add(None, (str(r.get("hash")) for r in by_id.values())),
            "newest": max(by_id, default="")}


def diverging(local: Iterable[dict], remote: Iterable[dict]) -> list[str]:
    """Ids both copies hold with different content (one of them was edited)."""
    have = {r["id"]: canonical(r) for r in local if isinstance(r.get("id"), str)}
    return sorted(r["id"] for r in remote if r.get("id") in have and have[r["id"]] != canonical(r))


def findings(name: str, diverged: list[str], lost: list[str]) -> list[str]:
    """The TAMPERED lines for a contact with remote ``name``."""
    out = []
    if diverged:
        out.append(f"{anchor.TAMPERED}: this ledger diverges from the remote anchor on {name}: "
                   f"{len(diverged)} records differ from the team's copy ({', '.join(diverged[:3])}"
                   f"{'…' if len(diverged) > 3 else ''}): they were edited or re-hashed here")
    if lost:
        out.append(f"{anchor.TAMPERED}: this ledger was shorter than the remote anchor on {name}: {len(lost)} "
                   f"records it had synced before were gone ({', '.join(lost[:3])}{'…' if len(lost) > 3 else ''}); "
                   "they were restored from the team's copy")
    return out


def remember(ledger: Any, name: str, remote: dict[str, Any], problems: list[str], at: str) -> None:
    """Keep what the contact found, for decisions taken offline until the next one."""
    data = anchor.read(ledger)
    if "unreadable" in data:
        return  # never overwrite evidence: integrity.check reports the unreadable anchor
    section = data.get(SECTION) if isinstance(data.get(SECTION), dict) else {}
    section[name] = {**{k: remote.get(k) for k in ("records", "digest", "newest")}, "problems": problems, "at": at}
    if not ledger.anchor_dir.is_dir():
        ledger.anchor_dir.mkdir(parents=True, exist_ok=True)
    anchor.update(ledger, SECTION, section, quiet=False)


def problems(data: dict[str, Any]) -> list[str]:
    """What the last contact with each remote found and nobody has cleared since (a later contact does)."""
    section = data.get(SECTION)
    if not isinstance(section, dict):
        return []
    out: list[str] = []
    for name in sorted(section):
        entry = section[name]
        if isinstance(entry, dict) and isinstance(entry.get("problems"), list):
            out += [str(p) for p in entry["problems"]]
    return out
