"""Is the ledger's hash chain intact? Answered fast enough for a git hook at 100k records.

A full verification re-hashes every record (about a second per 100k). Hooks run
on every push, so the verdict is kept in ``chain.verified.json`` beside the
ledger, keyed to the ledger file's size, mtime and inode:

- file unchanged since the last verification: reuse the verdict (one ``stat``);
- file only grew and the record at the old end is the one we verified: check
  just the new records (their hashes, and that each names a parent we know);
- anything else (a merge, a rewrite, an edit, a new archive): full verification.

What this cannot see, and ``deploystate doctor`` can: an edit made without
changing the file's size or mtime (someone restoring the mtime on purpose).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import chain
from .ledger import Ledger, hash_ending_at

MARK = "chain.verified.json"
VERSION = 1
MAX_PROBLEMS = 5


class ChainStatus:
    def __init__(self, ok: bool, problems: list[str], how: str, records: int = 0) -> None:
        self.ok, self.problems, self.how, self.records = ok, problems, how, records

    def __repr__(self) -> str:
        return f"ChainStatus(ok={self.ok}, how={self.how!r}, problems={self.problems!r})"


def _fingerprint(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _serious(problems: list[chain.Problem]) -> list[str]:
    # A torn last line is already moved to the quarantine by the reader: reported, not a break.
    return [str(p) for p in problems if "torn last line" not in p.message]


def _read_mark(ledger: Ledger) -> dict | None:
    try:
        data = json.loads((ledger.anchor_dir / MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def _write_mark(ledger: Ledger, live: list[int] | None, size: int, archive: list[int] | None, tail: str | None,
                ok: bool, problems: list[str], lines: int | None = None) -> None:
    if live is None or not ledger.anchor_dir.is_dir():
        return
    path = ledger.anchor_dir / MARK  # beside the anchor: out of the work tree even for an in-tree state_dir
    tmp = path.with_name(f".{MARK}.{os.getpid()}.tmp")
    body = {"version": VERSION, "live": [size, live[1], live[2]], "archive": archive, "tail": tail, "ok": ok,
            "problems": problems[:MAX_PROBLEMS], "lines": lines}
    try:
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only state dir still works: it verifies every time


def _appended(lines: list[tuple[str, int, dict]], tail: str | None) -> tuple[bool, list[str]] | None:
    """Verify records appended after ``tail``; None when they do not simply extend it."""
    known = {tail}
    problems = []
    for file, line, rec in lines:
        stored = rec.get(chain.HASH_FIELD)
        if chain.record_hash(rec) != stored:
            problems.append(f"{file}:{line}: record {rec.get('id', '?')} was changed after it was written "
                            "(its hash does not match its content)")
            continue
        if rec.get("prev") not in known:
            return None  # merged from another clone (a fork): only a full verification can judge it
        known.add(stored)
    return (not problems, problems)


def check(ledger: Ledger) -> ChainStatus:
    """The chain's verdict, from the mark when the ledger did not change, else verified now."""
    live, archive = _fingerprint(ledger.path), _fingerprint(ledger.archive_path)
    if live is None and archive is None:
        return ChainStatus(True, [], "empty")
    mark = _read_mark(ledger)
    if mark and mark.get("live") == live and mark.get("archive") == archive:
        return ChainStatus(bool(mark.get("ok")), list(mark.get("problems") or []), "unchanged")
    if (mark and mark.get("ok") and live and mark.get("archive") == archive and isinstance(mark.get("live"), list)
            and mark["live"][2] == live[2] and mark["live"][0] < live[0]
            and hash_ending_at(ledger.path, mark["live"][0]) == mark.get("tail")):
        # Only growth takes this path: same size with a new mtime means the bytes were rewritten.
        res = ledger.read(start=mark["live"][0], start_line=mark.get("lines"))  # no re-count of a big file
        verdict = _appended(res.lines, mark.get("tail"))
        if verdict is not None:
            ok, problems = verdict
            problems = _serious(res.problems) + problems
            tail = res.records[-1].get("hash") if res.records else mark.get("tail")
            _write_mark(ledger, live, res.size, archive, tail, not problems, problems, res.line_count)
            return ChainStatus(not problems, problems, "appended", len(res.records))
    res = ledger.read(include_archive=True)
    report = chain.verify(res.lines)
    problems = _serious(res.problems) + [str(p) for p in report.problems]
    live_lines = [rec for file, _, rec in res.lines if file == str(ledger.path)]
    tail = live_lines[-1].get("hash") if live_lines else None
    _write_mark(ledger, live, res.size, archive, tail, not problems, problems, res.line_count)
    return ChainStatus(not problems, problems, "full", report.records)
