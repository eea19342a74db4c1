"""The memory index: every attempt ever recorded (archive included), failure signatures and session
activity, kept beside the ledger and brought up to date incrementally (standard library only).

Why a separate index: the projection keeps only the last 50 attempts, but the
eight-day loop is about attempts from days and sessions ago. Replaying 100k
records per question is too slow, so the index is keyed to the ledger's size
and tail hash like ``cache.py``: when nothing changed a read is one ``stat``;
when records were appended only the new lines are read; anything unexpected
(compaction, a merge that brought older records, a damaged file) rebuilds it.
The inverted token index is rebuilt in memory on load rather than stored, which
keeps the file small; the file itself lives in ``<state_dir>/cache/`` with a
``.gitignore`` of its own because it is derived data.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from . import similarity
from deploystate.state.ledger.ledger import Ledger, hash_ending_at
from .memrecords import apply_activity, signature_of_verification

MAX_SERVICES_PER_SIGNATURE = 200
VERSION = 3  # 3: signatures keep a per-service history (a service's output speaks only of its own)
INDEX_DIR = "cache"
INDEX_FILE = "memory.json"
SAVE_EVERY = 256  # records applied in memory before the file is rewritten (it is rebuilt from the ledger anyway)
SUMMARY_CHARS = 240


@dataclass(slots=True)
class Doc:
    """One attempt as the index keeps it. Tokens, files and services are stored joined in one string each
    (split only for the few candidates a query scores), which keeps loading 100k of them fast and small."""

    id: str
    ts: str
    outcome: str
    summary: str
    session: str | None
    signature: str | None
    tokens_text: str    # space-separated
    files_text: str     # newline-separated
    services_text: str  # space-separated

    @property
    def tokens(self) -> list[str]:
        return self.tokens_text.split(" ") if self.tokens_text else []

    @property
    def files(self) -> list[str]:
        return self.files_text.split("\n") if self.files_text else []

    @property
    def services(self) -> list[str]:
        return self.services_text.split(" ") if self.services_text else []

    def keys(self) -> list[str]:
        """The inverted-index keys of this attempt: words, f:file, s:service, g:signature."""
        return [*self.tokens, *("f:" + f for f in self.files), *("s:" + s for s in self.services),
                *(("g:" + self.signature,) if self.signature else ())]

    def row(self) -> list:
        return [self.id, self.ts, self.outcome, self.summary, self.session, self.signature, self.tokens_text,
                self.files_text, self.services_text]


@dataclass
class MemoryIndex:
    docs: list[Doc] = field(default_factory=list)
    postings: dict[str, array] = field(default_factory=dict)  # key -> doc numbers; arrays: 4 bytes an entry
    signatures: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    last_id: str = ""
    live_size: int = 0
    live_tail: str | None = None
    live_lines: int | None = None  # lines up to live_size: spares re-counting a large ledger on each read
    archive_size: int = 0
    unsaved: int = 0
    bits: dict = field(default_factory=dict, repr=False, compare=False)  # recall's bit sets of long lists

    # -- building ------------------------------------------------------------
    def add_doc(self, doc: Doc) -> None:
        idx = len(self.docs)
        self.docs.append(doc)
        post = self.postings
        for key in doc.keys():
            bucket = post.get(key)
            if bucket is None:
                post[sys.intern(key)] = array("I", (idx,))
            else:
                bucket.append(idx)

    def apply(self, rec: dict) -> None:
        """Fold one ledger record into the index."""
        kind = rec.get("kind")
        payload = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
        author = rec.get("author") if isinstance(rec.get("author"), dict) else {}
        try:
            if kind == "attempt":
                self._apply_attempt(rec, payload, author)
            elif kind == "verification" and payload.get("verdict") == "fail":
                sig = signature_of_verification(payload)
                if sig:
                    self._seen(sig, rec, "verification", f"{payload.get('service')}: {payload.get('summary', '')}",
                               "fail", [payload.get("service")])
            apply_activity(self.sessions, rec, payload, author)
        except (TypeError, AttributeError, ValueError):
            pass  # a malformed record is counted by the projection; it must not break memory
        if rec.get("id", "") > self.last_id:
            self.last_id = rec["id"]
        self.unsaved += 1

    def _apply_attempt(self, rec: dict, p: dict, author: dict) -> None:
        summary = str(p.get("summary") or "")
        hypothesis = str(p.get("hypothesis") or "")
        toks = " ".join(similarity.tokens(summary + "\n" + hypothesis))
        files = "\n".join(f for f in similarity.norm_files(p.get("files") or [])[:50] if "\n" not in f)
        services = " ".join(s for s in similarity.norm_services(p.get("services") or [])[:50] if " " not in s)
        sig = p.get("signature") if isinstance(p.get("signature"), str) else None
        outcome = sys.intern(str(p.get("outcome") or "unknown"))
        session = author.get("session")
        self.add_doc(Doc(rec["id"], rec.get("ts", ""), outcome, summary[:SUMMARY_CHARS],
                         sys.intern(session) if isinstance(session, str) else None, sig, toks, files, services))
        if sig:
            self._seen(sig, rec, "attempt", summary, outcome, p.get("services") or [])

    def _seen(self, sig: str, rec: dict, kind: str, summary: str, outcome: str, services: list) -> None:
        entry = self.signatures.get(sig)
        if entry is None:
            entry = self.signatures[sig] = {"count": 0, "first_ts": rec.get("ts", ""), "first_id": rec["id"],
                                            "attempts": 0, "verifications": 0}
        self._count(entry, rec, kind, summary, outcome)
        per = entry.setdefault("by_service", {})
        for name in dict.fromkeys(s for s in services[:50] if isinstance(s, str) and s):
            if name not in per and len(per) >= MAX_SERVICES_PER_SIGNATURE:
                continue
            self._count(per.setdefault(name, {"count": 0, "first_ts": rec.get("ts", ""), "first_id": rec["id"],
                                              "attempts": 0, "verifications": 0}), rec, kind, summary, outcome)

    @staticmethod
    def _count(entry: dict, rec: dict, kind: str, summary: str, outcome: str) -> None:
        entry["count"] += 1
        entry["attempts" if kind == "attempt" else "verifications"] += 1
        if rec.get("ts", "") < entry["first_ts"]:
            entry["first_ts"], entry["first_id"] = rec.get("ts", ""), rec["id"]
        if rec["id"] >= entry.get("last_id", ""):
            entry.update(last_id=rec["id"], last_ts=rec.get("ts", ""), last_kind=kind,
                         last_summary=summary[:200], last_outcome=outcome)

    # -- persistence ---------------------------------------------------------
    def to_json(self) -> dict:
        return {"version": VERSION, "last_id": self.last_id, "live_size": self.live_size, "live_tail": self.live_tail,
                "live_lines": self.live_lines, "archive_size": self.archive_size, "docs": [d.row() for d in self.docs],
                "postings": {k: v.tolist() for k, v in self.postings.items()},
                "signatures": self.signatures, "sessions": self.sessions}

    @classmethod
    def from_json(cls, data: dict) -> "MemoryIndex":
        """Load a stored index; raises ValueError when it is inconsistent (then it is rebuilt)."""
        index = cls(signatures=data["signatures"], sessions=data["sessions"], last_id=data["last_id"],
                    live_size=data["live_size"], live_tail=data["live_tail"], archive_size=data["archive_size"],
                    live_lines=data.get("live_lines"))
        intern = sys.intern
        index.docs = [Doc(rid, ts, intern(outcome), summary, intern(session) if session else None, sig, toks, files,
                          services)
                      for rid, ts, outcome, summary, session, sig, toks, files, services in data["docs"]]
        total = len(index.docs)
        for key, numbers in data["postings"].items():
            bucket = array("I", numbers)
            if bucket and max(bucket) >= total:
                raise ValueError("the stored index names an attempt it does not hold")
            index.postings[intern(key)] = bucket
        return index


def _index_path(ledger: Ledger) -> Path:
    return ledger.dir / INDEX_DIR / INDEX_FILE


def save(ledger: Ledger, index: MemoryIndex) -> None:
    """Write the index atomically; a read-only state dir just means rebuilding from the ledger next time."""
    path = _index_path(ledger)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# deploystate: derived caches, rebuilt from the ledger.\n*\n", encoding="utf-8")
        tmp.write_text(json.dumps(index.to_json(), separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
        index.unsaved = 0
    except OSError:
        tmp.unlink(missing_ok=True)


def drop(ledger: Ledger) -> None:
    """Forget the stored and in-process index (after compaction rewrote the ledger)."""
    _LOADED.pop(str(ledger.dir.resolve()), None)
    try:
        _index_path(ledger).unlink()
    except OSError:
        pass


def _read_file(ledger: Ledger) -> MemoryIndex | None:
    try:
        data = json.loads(_index_path(ledger).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        return MemoryIndex.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _rebuild(ledger: Ledger) -> MemoryIndex:
    res = ledger.read(include_archive=True)
    unique = {r["id"]: r for r in res.records if isinstance(r, dict) and isinstance(r.get("id"), str)}
    index = MemoryIndex()
    for rid in sorted(unique):
        index.apply(unique[rid])
    index.live_size = res.size
    index.live_lines = res.line_count
    index.live_tail = hash_ending_at(ledger.path, res.size) if ledger.path.exists() else None
    index.archive_size = _size(ledger.archive_path)
    index.unsaved = SAVE_EVERY  # force a save
    return index


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# One index per state directory per process: the MCP server answers many questions from memory.
_LOADED: dict[str, MemoryIndex] = {}


def load(ledger: Ledger, *, write: bool = True) -> MemoryIndex:
    """The index, current with the ledger (incremental when possible, rebuilt otherwise)."""
    key = str(ledger.dir.resolve())
    size = _size(ledger.path)
    index = _LOADED.get(key)
    if index is None or index.live_size > size:
        index = _read_file(ledger)
    fresh = (index is not None and index.archive_size == _size(ledger.archive_path)
             and 0 <= index.live_size <= size and hash_ending_at(ledger.path, index.live_size) == index.live_tail)
    if index is not None and fresh and index.live_size < size:
        res = ledger.read(start=index.live_size, start_line=index.live_lines)
        if res.problems or any(r["id"] <= index.last_id for r in res.records):
            fresh = False  # merged older records or damage: replay everything, in id order
        else:
            for rec in res.records:
                index.apply(rec)
            index.live_size = res.size
            index.live_lines = res.line_count
            index.live_tail = hash_ending_at(ledger.path, res.size)
    if index is None or not fresh:
        index = _rebuild(ledger)
    _LOADED[key] = index
    if write and index.unsaved >= SAVE_EVERY and ledger.dir.exists():
        save(ledger, index)
    return index
