"""The live file's end, for writers: its last record (what a new record chains to) and a torn last line
(a writer that died mid-write) moved to the quarantine file, never read as a record."""

from __future__ import annotations

import os

from deploystate.jsonlite import loads
from deploystate.ospath import exists
from deploystate.state.errors import LedgerError
from . import chain
from .ids import iso, utc_now
from .ledger import LEDGER, MAX_LINE_BYTES, QUARANTINE, Ledger  # loaded already: only Ledger imports this

TAIL_WINDOW = 64 * 1024  # bytes read back from the end to find the last line; grown while none is found


def last_record(ledger: Ledger) -> dict | None:
    """The hash and id of the live file's last record, None when it is empty (call with the lock held)."""
    size = os.stat(ledger.file).st_size if exists(ledger.file) else 0
    if size == 0:
        return None
    window = TAIL_WINDOW
    with open(ledger.file, "rb") as fh:
        while True:
            start = max(0, size - window)
            fh.seek(start)
            chunk = fh.read(size - start)
            body = chunk.rstrip(b"\n")
            cut = body.rfind(b"\n")
            if cut >= 0 or start == 0:
                last = body[cut + 1:]
                break
            window *= 4
    try:
        rec = loads(last)
        return {"hash": rec["hash"], "id": rec["id"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise LedgerError(f"the last line of {ledger.file} is not a ledger record",
                          "run `deploystate doctor` to see which line is damaged") from exc


def repair(ledger: Ledger) -> chain.Problem | None:
    """Move a torn last line (no newline: a writer died mid-write) to the quarantine file.

    Call with the lock held."""
    if not exists(ledger.file):
        return None
    size = os.stat(ledger.file).st_size
    if size == 0:
        return None
    with open(ledger.file, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return None
        start = max(0, size - MAX_LINE_BYTES - 1)
        fh.seek(start)
        data = fh.read()
        cut = data.rfind(b"\n")
        keep = start + cut + 1 if cut >= 0 else 0
        torn = data[cut + 1:] if cut >= 0 else data
        line_no = _count_lines(ledger, keep) + 1
        _quarantine(ledger, torn, line_no, "torn last line (a writer stopped mid-write)")
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return chain.Problem(ledger.file, line_no, "", f"torn last line moved to {QUARANTINE}")


def _count_lines(ledger: Ledger, upto: int) -> int:
    with open(ledger.file, "rb") as fh:
        return fh.read(upto).count(b"\n")


def _quarantine(ledger: Ledger, raw: bytes, line: int, why: str) -> None:
    import json  # writing: the readers use deploystate.jsonlite
    entry = {"quarantined_at": iso(utc_now()), "from": LEDGER, "line": line, "why": why,
             "raw": raw.decode("utf-8", "replace")}
    with open(ledger.quarantine_file, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
