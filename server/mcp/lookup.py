"""Find one ledger record by id without replaying the ledger (standard library only).

The ledger is canonical JSON (sorted keys, no spaces), so a record's id
appears as the exact bytes ``"id":"<id>"``; a substring search over the file
finds the candidate lines, and each is parsed and checked before it is
trusted. At 100k records this is one read and a fast ``bytes.find``.
"""

from __future__ import annotations

import json
import re

from deploystate.state.ledger.ledger import Ledger

ATTEMPT_ID = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")


def find_record(ledger: Ledger, record_id: str, kind: str | None = None) -> dict | None:
    """The record with ``record_id`` (of ``kind`` when given) from the live ledger or its archive."""
    needle = f'"id":"{record_id}"'.encode("utf-8")
    for path in (ledger.path, ledger.archive_path):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        at = data.find(needle)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            try:
                rec = json.loads(data[start:end if end >= 0 else len(data)])
            except ValueError:
                rec = None
            if isinstance(rec, dict) and rec.get("id") == record_id and (kind is None or rec.get("kind") == kind):
                return rec
            at = data.find(needle, at + len(needle))
    return None
