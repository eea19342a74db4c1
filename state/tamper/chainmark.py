"""Is the ledger's hash chain intact? Answered fast enough for a git hook at 100k records.

A full verification re-hashes every record (about a second per 100k). Hooks run
on every push, so the verdict is kept in ``chain.verified.json`` beside the
ledger, keyed to the ledger file's size, mtime and inode:

- file unchanged since the last verification: reuse the verdict (one ``stat``);
- file only grew and the record at the old end is the one we verified: check
  just the new records (their hashes, and that each names a parent we know);
- anything else (a merge, a rewrite, an edit, a new archive): full verification.

The key includes the ctime, which ``os.utime`` cannot put back, so an edit that restores size
and mtime is still seen; ``deploystate doctor`` re-hashes the bytes whatever the stat says.

Keyed on content as well (``content``): when the stat fingerprint no longer matches (a
``cp -a`` of the repository gives new inodes) or when doctor asks for a ``deep`` check, the
bytes verified before are hashed again (about 0.1 s for 100k records) and, if they are the
same, only the records after them are verified. The key is a digest chained over segments
(``ends``): a segment of at least ``SEGMENT`` bytes is added, after its records were verified
from those very bytes, whenever the ledger grew that much, so the records a copy or doctor
re-reads are at most about one segment's worth, however long ago the last full check was.
"""

from __future__ import annotations

import os

from deploystate.jsonlite import loads
from deploystate.ospath import is_dir, join, read_text
from deploystate.state.ledger import chain, segments
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.reading import hash_ending_at

MARK = "chain.verified.json"
VERSION = 3  # 2: the stat key holds the ctime; content key. 3: the content key is chained over segments
MAX_PROBLEMS = 5


class ChainStatus:
    def __init__(self, ok: bool, problems: list[str], how: str, records: int = 0, reread: int = 0) -> None:
        self.ok, self.problems, self.how, self.records = ok, problems, how, records
        self.reread = reread  # records parsed and verified by this check
        self.forks = self.duplicates = 0

    def __repr__(self) -> str:
        return f"ChainStatus(ok={self.ok}, how={self.how!r}, problems={self.problems!r})"


def _fingerprint(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime too: os.utime can put an mtime back after an edit, but it moves the ctime
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def _serious(problems: list[chain.Problem]) -> list[str]:
    # A torn last line is already moved to the quarantine by the reader: reported, not a break.
    return [str(p) for p in problems if "torn last line" not in p.message]


# The MCP server holds its newest mark in memory and writes it after its reply (``flush``): a mark that
# lags on disk is keyed to fewer bytes, so whoever reads it verifies the rest.
_HOLD, _HELD = [False], {}  # type: ignore[var-annotated]


def hold_writes(on: bool) -> None:
    _HOLD[0] = on
    _HELD.clear()


def flush(ledger: Ledger) -> None:
    """Write the held mark of ``ledger``, if any."""
    body = _HELD.pop(join(ledger.anchor_dirname, MARK), None)
    if body is not None:
        _store(join(ledger.anchor_dirname, MARK), body)


def _read_mark(ledger: Ledger) -> dict | None:
    held = _HELD.get(join(ledger.anchor_dirname, MARK))
    if held is not None:
        return held
    try:
        data = loads(read_text(join(ledger.anchor_dirname, MARK)))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def _write_mark(ledger: Ledger, live: list[int] | None, size: int, archive: list | None, tail: str | None,
                ok: bool, problems: list[str], lines: int | None = None, content: dict | None = None) -> None:
    if live is None or not is_dir(ledger.anchor_dirname):
        return
    if size != live[0]:
        live = _settled(ledger, live, size)
    path = join(ledger.anchor_dirname, MARK)  # beside the anchor: out of the work tree even for an in-tree state_dir
    body = {"version": VERSION, "live": [size, *live[1:]], "archive": archive, "tail": tail, "ok": ok,
            "problems": problems[:MAX_PROBLEMS], "lines": lines, "content": content}
    if _HOLD[0]:
        _HELD[path] = body
        return
    _store(path, body)


def _settled(ledger: Ledger, live: list[int], size: int) -> list[int]:
    """The stat to key a mark of ``size`` verified bytes with, when the file grew between the stat taken
    before the read (``live``) and the read. Keyed on ``live``'s times, the mark would match no later stat
    and the next check would re-hash the whole ledger; keyed on a stat taken now, it is exact when the file
    ends where the read ended and the appends' own log leads from ``live`` to it (an edit breaks the run).
    Anything else keeps ``live``'s times: a mark no stat matches, so the next check verifies again."""
    now = _fingerprint(ledger.file)
    if now is None or now[0] != size or now[2] != live[2]:
        return live
    from .appendlog import explains

    return now if explains(ledger.anchor_dirname, live, now) else live


def _store(path: str, body: dict) -> None:
    import json  # writing: the readers use deploystate.jsonlite
    tmp = join(os.path.dirname(path), f".{MARK}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(body))
        os.replace(tmp, path)
    except OSError:
        try:  # a read-only state dir still works: it verifies every time
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _by_content(ledger: Ledger, mark: dict, live: list[int] | None, archive: list | None,
                deep: bool = False) -> ChainStatus | None:
    """Reuse a verification whose bytes are still there (survives a copy); None to verify in full."""
    from . import chaincontent as cc

    content = mark.get("content") if mark.get("ok") else None
    if not isinstance(content, dict) or not isinstance(content.get("size"), int):
        return None
    ends = cc.ends_of(content)
    got = cc.digests(ledger, ends, deep) if ends is not None else None
    if got is None or got[0] != content.get("live") or got[1] != content.get("archive"):
        return None
    res = ledger.read(start=content["size"], start_line=content.get("lines"))
    verdict = cc.appended(res.lines, content.get("tail"))
    if verdict is None:
        return None
    ok, problems = verdict
    problems = _serious(res.problems) + problems
    tail = res.records[-1].get("hash") if res.records else content.get("tail")
    records = int(content.get("records") or 0) + len(res.records)
    # the key moves on by whole segments only, from the bytes just hashed
    new = cc.extended(content, got[2][: res.size - content["size"]]) if not problems else content
    _write_mark(ledger, live, res.size, archive, tail, not problems, problems, res.line_count, new)
    status = ChainStatus(not problems, problems, "content", records, len(res.records))
    status.forks, status.duplicates = int(content.get("forks") or 0), int(content.get("duplicates") or 0)
    return status


def _logged_growth(ledger: Ledger, verified: list, live: list[int]) -> bool:
    from .appendlog import explains  # here: an unchanged ledger (a warm push) never reads the log

    return explains(ledger.anchor_dirname, verified, live)


def check(ledger: Ledger, *, deep: bool = False) -> ChainStatus:
    """The chain's verdict, from the mark when the ledger did not change, else verified now.

    ``deep`` (doctor): never trust the stat fingerprint alone; re-hash the verified bytes."""
    live, archive = _fingerprint(ledger.file), segments.archive_key(ledger, _fingerprint(ledger.archive_file))
    if live is None and archive is None:
        return ChainStatus(True, [], "empty")
    mark = _read_mark(ledger)
    if not deep and mark and mark.get("live") == live and mark.get("archive") == archive:
        return ChainStatus(bool(mark.get("ok")), list(mark.get("problems") or []), "unchanged")
    from . import chaincontent as cc  # here: a warm hook (the ledger unchanged) never loads the content key
    if (not deep and mark and mark.get("ok") and live and mark.get("archive") == archive
            and isinstance(mark.get("live"), list)
            and mark["live"][2] == live[2] and mark["live"][0] < live[0]
            and hash_ending_at(ledger.file, mark["live"][0]) == mark.get("tail")
            and _logged_growth(ledger, mark["live"], live)):
        # Only growth takes this path: same size with a new mtime means the bytes were rewritten.
        content = mark.get("content")
        if (isinstance(content, dict) and content.get("size") == mark["live"][0]
                and content.get("tail") == mark.get("tail") and live[0] - mark["live"][0] >= cc.SEGMENT):
            # the key is current and a whole segment was appended (a bulk write): verifying it for the
            # key is verifying the growth, so it is parsed once
            moved = cc.advance(ledger, content, live[0])
            if moved is not content and moved["size"] == live[0]:
                _write_mark(ledger, live, live[0], archive, moved["tail"], True, [], moved["lines"], moved)
                new = int(moved["records"]) - int(content.get("records") or 0)
                return ChainStatus(True, [], "appended", new, new)
        res = ledger.read(start=mark["live"][0], start_line=mark.get("lines"))  # no re-count of a big file
        verdict = cc.appended(res.lines, mark.get("tail"))
        if verdict is not None:
            ok, problems = verdict
            problems = _serious(res.problems) + problems
            tail = res.records[-1].get("hash") if res.records else mark.get("tail")
            # the content key still names the bytes it hashed; once a segment has grown past it, it
            # moves on (those bytes verified again from what is read for the digest)
            content = cc.advance(ledger, mark.get("content"), res.size) if not problems else mark.get("content")
            _write_mark(ledger, live, res.size, archive, tail, not problems, problems, res.line_count, content)
            return ChainStatus(not problems, problems, "appended", len(res.records), len(res.records))
    if mark:
        reused = _by_content(ledger, mark, live, archive, deep)
        if reused is not None:
            return reused
    res = ledger.read(include_archive=True)
    report = chain.verify(res.lines)
    problems = _serious(res.problems) + [str(p) for p in report.problems]
    live_lines = [rec for file, _, rec in res.lines if file == ledger.file]
    tail = live_lines[-1].get("hash") if live_lines else None
    ends = [res.size] if res.size else []
    got = cc.digests(ledger, ends) if not problems else None
    content = {"size": res.size, "ends": ends, "live": got[0], "archive": got[1], "tail": tail,
               "lines": res.line_count, "records": report.records, "forks": report.forks,
               "duplicates": report.duplicates} if got else None
    _write_mark(ledger, live, res.size, archive, tail, not problems, problems, res.line_count, content)
    status = ChainStatus(not problems, problems, "full", report.records, report.records)
    status.forks, status.duplicates = report.forks, report.duplicates
    return status
