"""Find one ledger record by id without replaying the ledger (standard library only).

The ledger is canonical JSON (sorted keys, no spaces), so a record's id
appears as the exact bytes ``"id":"<id>"``; a substring search over the file
finds the candidate lines, and each is parsed and checked before it is
trusted. At 100k records this is one read and a fast ``bytes.find``.
"""

from __future__ import annotations

import json
import re

from typing import Iterator

from deploystate.state.ledger import segments
from deploystate.state.ledger.ledger import Ledger

ATTEMPT_ID = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")


def _texts(ledger: Ledger) -> Iterator[bytes]:
    """The live file, the archive, then the closed segments (decompressed only when the first two lack it)."""
    for path in (ledger.path, ledger.archive_path):
        try:
            yield path.read_bytes()
        except FileNotFoundError:
            continue
    if segments.present(ledger):
        yield from segments.texts(ledger)


def find_record(ledger: Ledger, record_id: str, kind: str | None = None) -> dict | None:
    """The record with ``record_id`` (of ``kind`` when given) from the live ledger or its archive."""
    needle = f'"id":"{record_id}"'.encode("utf-8")
    for data in _texts(ledger):
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
