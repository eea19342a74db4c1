"""The S3 backend's per-clone bookkeeping: record-id times, head keys, and ``s3.json`` (what was synced)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from deploystate.state.ledger.ledger import Ledger

STATUS_FILE = "s3.json"
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _ms(record_id: str) -> int:
    value = 0
    for ch in record_id[:10]:
        value = value * 32 + ALPHABET.index(ch)
    return value


def _distinct(ledger: Ledger) -> int:
    return len({r["id"] for r in ledger.read(include_archive=True).records})


def _head_key(head: dict[str, Any]) -> list[Any]:
    return [head.get("count", 0), head.get("last_id", "")]


def _b32(ms: int) -> str:
    out = []
    for _ in range(10):
        ms, rem = divmod(ms, 32)
        out.append(ALPHABET[rem])
    return "".join(reversed(out))


def _load_status(ledger: Ledger) -> dict[str, Any]:
    try:
        return json.loads((ledger.dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_status(ledger: Ledger, status: dict[str, Any]) -> None:
    ledger.dir.mkdir(parents=True, exist_ok=True)
    path: Path = ledger.dir / STATUS_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
