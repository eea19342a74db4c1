"""One attempt as the memory index keeps it, and where its ledger line is (standard library only).

An attempt folded in since the base was written holds every field. One read from the base holds only
its id and its terms (what a query scores) and where its ledger line is: its time, outcome, summary
and session are read from that line when first asked for, for the few results a query shows. The
line must still be that attempt's: its id and its terms must be the ones the base holds, or the read
raises ``Corrupt`` (compaction moved it, the ledger was rewritten or edited) and the caller rebuilds.
"""

from __future__ import annotations

import json
import mmap
import os
import sys

from . import similarity
from .codec import unpack_id
from .segment import Corrupt

SUMMARY_CHARS = 240
LIVE, ARCHIVE = 0, 1  # the files a position names: ledger.jsonl, archive.jsonl


class Doc:
    """Tokens, files and services are stored joined in one string each (split only for the few candidates
    a query scores), which keeps 100k of them in memory fast and small."""

    __slots__ = ("_id", "signature", "tokens_text", "files_text", "services_text", "pos", "_ts", "_outcome",
                 "_summary", "_session", "_load", "scored")

    def __init__(self, rid: str, ts: str | None, outcome: str | None, summary: str | None, session: str | None,
                 signature: str | None, tokens_text: str | list, files_text: str | list, services_text: str | list,
                 pos: tuple[int, int, int] | None = None, load=None) -> None:
        self._id, self.signature, self.pos, self._load = rid, signature, pos, load
        self.tokens_text, self.files_text, self.services_text = tokens_text, files_text, services_text
        self._ts, self._outcome, self._summary, self._session = ts, outcome, summary, session
        self.scored = None  # recall's reading of the terms, made when a query first scores this attempt

    @property
    def id(self) -> str:
        rid = self._id
        if rid.__class__ is bytes:  # a ULID read from the base as its 16 bytes
            rid = self._id = unpack_id(rid)
        return rid

    def _full(self) -> "Doc":
        if self._load is not None:
            self._load(self)  # raises Corrupt when the line is not this attempt's any more
            self._load = None
        return self

    ts = property(lambda self: self._full()._ts)
    outcome = property(lambda self: self._full()._outcome)
    summary = property(lambda self: self._full()._summary)
    session = property(lambda self: self._full()._session)

    def fill(self, ts: str, outcome: str, summary: str, session: str | None) -> None:
        self._ts, self._outcome, self._summary, self._session = ts, outcome, summary, session

    # held joined when recorded here (many in memory), as lists when read from the base (few, just decoded)
    @property
    def tokens(self) -> list[str]:
        t = self.tokens_text
        return list(t) if t.__class__ is list else t.split(" ") if t else []

    @property
    def files(self) -> list[str]:
        t = self.files_text
        return list(t) if t.__class__ is list else t.split("\n") if t else []

    @property
    def services(self) -> list[str]:
        t = self.services_text
        return list(t) if t.__class__ is list else t.split(" ") if t else []

    def keys(self) -> list[str]:
        """The inverted-index keys of this attempt: words, f:file, s:service, g:signature."""
        return [*self.tokens, *("f:" + f for f in self.files), *("s:" + s for s in self.services),
                *(("g:" + self.signature,) if self.signature else ())]

    def row(self) -> list:
        return [self.id, self.ts, self.outcome, self.summary, self.session, self.signature, self.tokens_text,
                self.files_text, self.services_text, list(self.pos) if self.pos else None]

    @classmethod
    def from_row(cls, row: list) -> "Doc":
        rid, ts, outcome, summary, session, sig, toks, files, services, pos = row
        for value in (rid, ts, outcome, summary, toks, files, services):
            if not isinstance(value, str):
                raise ValueError("a stored attempt is malformed")
        if pos is not None and not (isinstance(pos, list) and len(pos) == 3
                                    and all(isinstance(n, int) and n >= 0 for n in pos)):
            raise ValueError("a stored attempt's position is malformed")
        intern = sys.intern
        return cls(rid, ts, intern(outcome), summary, intern(session) if isinstance(session, str) else None,
                   sig if isinstance(sig, str) else None, toks, files, services, tuple(pos) if pos else None)

    @classmethod
    def from_keys(cls, rid: str | bytes, keys: list[str], pos, load) -> "Doc":
        """An attempt read from the base: its other fields come from ``load`` (its ledger line)."""
        toks = [k for k in keys if k[1:2] != ":"]  # a word has no ':' (f:, s:, g: name the other keys)
        files, services, sig = [], [], None
        if len(toks) != len(keys):
            for key in keys:
                head = key[:2]
                if head == "f:":
                    files.append(key[2:])
                elif head == "s:":
                    services.append(key[2:])
                elif head == "g:":
                    sig = key[2:]
        return cls(rid, None, None, None, None, sig, toks, sorted(files), sorted(services), pos, load)


def fields(rec: dict) -> list:
    """What a result shows of an attempt record: [time, outcome, summary, session] (a base attempt whose
    line cannot be addressed keeps them inline; ``rekey`` takes them from the lines a seal moves)."""
    p = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
    author = rec.get("author") if isinstance(rec.get("author"), dict) else {}
    session, ts = author.get("session"), rec.get("ts")
    return [ts if isinstance(ts, str) else "", sys.intern(str(p.get("outcome") or "unknown")),
            str(p.get("summary") or "")[:SUMMARY_CHARS], sys.intern(session) if isinstance(session, str) else None]


def from_record(rec: dict, pos: tuple[int, int, int] | None) -> Doc:
    """The attempt a ledger record holds (``rec['kind']`` is 'attempt')."""
    p = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
    summary = str(p.get("summary") or "")
    hypothesis = str(p.get("hypothesis") or "")
    toks = " ".join(similarity.tokens(summary + "\n" + hypothesis))
    files = "\n".join(f for f in similarity.norm_files(p.get("files") or [])[:50] if "\n" not in f)
    services = " ".join(s for s in similarity.norm_services(p.get("services") or [])[:50] if " " not in s)
    sig = p.get("signature") if isinstance(p.get("signature"), str) else None
    return Doc(rec["id"], *fields(rec), sig, toks, files, services, pos)


def read_line(paths: tuple, pos: tuple[int, int, int]) -> dict:
    """The record at ``pos`` = (file, offset, length) of ``paths`` (live, archive); ``Corrupt`` when it is
    not a whole line holding a JSON record there."""
    code, offset, length = pos
    if code >= len(paths):
        raise Corrupt("an attempt names a ledger file that is not there")
    try:
        fd = os.open(paths[code], os.O_RDONLY)
        try:
            raw = os.pread(fd, length + 2, offset - 1) if offset else b"\n" + os.pread(fd, length + 1, 0)
        finally:
            os.close(fd)
        if len(raw) != length + 2 or raw[0] != 10 or raw[-1] != 10:
            raise ValueError("not a whole line")
        rec = json.loads(raw[1:-1])
        if not isinstance(rec, dict):
            raise ValueError("not a record")
        return rec
    except (OSError, ValueError) as exc:
        raise Corrupt(f"the ledger line of an attempt moved or changed: {exc}") from None


def loader(paths: tuple):
    """What fills a base attempt's fields from its ledger line, after checking the line is that attempt."""
    def load(doc: Doc) -> None:
        if doc.pos is None:
            raise Corrupt("an attempt of the memory segment has neither its fields nor a ledger position")
        rec = read_line(paths, doc.pos)
        if rec.get("id") != doc.id or rec.get("kind") != "attempt":
            raise Corrupt("the ledger line of an attempt holds another record (compacted or rewritten)")
        full = from_record(rec, doc.pos)
        if sorted(full.keys()) != sorted(doc.keys()):
            raise Corrupt("the ledger line of an attempt says other words than the index (edited)")
        doc.fill(full._ts, full._outcome, full._summary, full._session)
    return load


def line_spans(path, start: int, start_line: int, wanted: set[int]) -> dict[int, tuple[int, int]]:
    """For each line number in ``wanted`` (numbered from ``start_line`` + 1 at byte ``start``, as
    ``Ledger.read`` numbers them), its (offset, length without the newline)."""
    out: dict[int, tuple[int, int]] = {}
    if not wanted:
        return out
    last = max(wanted)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= start:
            return out
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            at, line, find = start, start_line, data.find
            while line < last:
                nl = find(b"\n", at)
                if nl < 0:
                    break
                line += 1
                if line in wanted:
                    out[line] = (at, nl - at)
                at = nl + 1
    return out


def positions(paths: tuple[str, str], lines: list, start: int = 0, start_line: int | None = 0) -> dict[str, tuple]:
    """id -> (file, offset, length) of the attempts among ``lines`` (``ReadResult.lines`` of a read from
    byte ``start``, line ``start_line`` of the live file; the last line of an id wins, as in the rebuild);
    a line in a file a position cannot name (a format this module does not read) gets none."""
    codes = {paths[LIVE]: LIVE, paths[ARCHIVE]: ARCHIVE}
    last = {rec["id"]: (path, line) for path, line, rec in lines
            if rec.get("kind") == "attempt" and isinstance(rec.get("id"), str)}
    if start_line is None:
        return {}
    wanted: dict[str, set[int]] = {}
    for path, line in last.values():
        wanted.setdefault(path, set()).add(line)
    spans = {}
    for path, numbers in wanted.items():
        if path in codes:
            live = codes[path] == LIVE
            spans[path] = line_spans(path, start if live else 0, start_line if live else 0, numbers)
    out = {}
    for rid, (path, line) in last.items():
        span = spans.get(path, {}).get(line)
        if span is not None:
            out[rid] = (codes[path], *span)
    return out
