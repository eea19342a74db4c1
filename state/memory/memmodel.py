"""The memory index in a process: every attempt ever recorded (archive included), failure signatures and
session activity, folded in from ledger records (standard library only).

The attempts are in two parts: a base held on disk (``segment``: read by query, never parsed whole)
and the attempts folded in since it was written, held here (``delta``). ``docs`` and ``postings``
present the two as one; ``memindex`` decides when the delta is merged into a new base.
"""

from __future__ import annotations

import sys
import bisect
from array import array
from dataclasses import dataclass, field
from typing import Iterator

from . import bitrank, similarity
from .memrecords import apply_activity, signature_of_verification
from .segment import Segment

MAX_SERVICES_PER_SIGNATURE = 200
SUMMARY_CHARS = 240
DOCS_KEPT = 65536  # attempts of the base kept decoded per process


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

    @classmethod
    def from_row(cls, row: list) -> "Doc":
        rid, ts, outcome, summary, session, sig, toks, files, services = row
        for value in (rid, ts, outcome, summary, toks, files, services):
            if not isinstance(value, str):
                raise ValueError("a stored attempt is malformed")
        intern = sys.intern
        return cls(rid, ts, intern(outcome), summary, intern(session) if isinstance(session, str) else None,
                   sig if isinstance(sig, str) else None, toks, files, services)


class Docs:
    """The base's attempts (read and checked one by one when asked) followed by the delta's."""

    def __init__(self, index: "MemoryIndex") -> None:
        self._index = index
        self._kept: dict[int, Doc] = {}

    def __len__(self) -> int:
        return self._index.base_total + len(self._index.delta)

    def __getitem__(self, i: int) -> Doc:
        index = self._index
        n = index.base_total
        if i < 0:
            i += len(self)
        if i >= n:
            return index.delta[i - n]
        if i < 0:
            raise IndexError(i)
        doc = self._kept.get(i)
        if doc is None:
            doc = Doc.from_row(index.base.row(i))
            if len(self._kept) >= DOCS_KEPT:
                self._kept.clear()
            self._kept[i] = doc
        return doc

    def __iter__(self) -> Iterator[Doc]:
        for i in range(len(self)):
            yield self[i]


class Postings:
    """key -> the numbers of the attempts holding it (base's list, then the delta's), as ``array('I')``."""

    def __init__(self, index: "MemoryIndex") -> None:
        self._index = index

    def get(self, key: str, default=None):
        index = self._index
        delta = index.delta_post.get(key)
        if index.base is None or key not in index.base.dictionary:
            return delta if delta is not None else default
        base = index.base.postings(key)
        return base + delta if delta else base

    def __getitem__(self, key: str) -> array:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        index = self._index
        return key in index.delta_post or (index.base is not None and key in index.base.dictionary)


@dataclass(eq=False)
class MemoryIndex:
    base: Segment | None = None
    base_file: str | None = None
    base_root: str | None = None
    delta: list[Doc] = field(default_factory=list)
    delta_post: dict[str, array] = field(default_factory=dict)  # key -> attempt numbers (after the base's)
    signatures: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    last_id: str = ""
    live_size: int = 0
    live_tail: str | None = None
    live_lines: int | None = None  # lines up to live_size: spares re-counting a large ledger on each read
    archive_size: int = 0
    unsaved: int = 0
    bits: dict = field(default_factory=dict, repr=False, compare=False)  # recall's bit sets of long lists

    def __post_init__(self) -> None:
        self.docs = Docs(self)
        self.postings = Postings(self)

    @property
    def base_total(self) -> int:
        return self.base.total if self.base is not None else 0

    # -- what a query asks -----------------------------------------------------
    def df(self, key: str) -> int:
        """How many attempts hold ``key``."""
        delta = self.delta_post.get(key)
        return (self.base.df(key) if self.base is not None else 0) + (len(delta) if delta else 0)

    def since(self, key: str, upto: int) -> list[int]:
        """The attempts holding ``key`` numbered ``upto`` or higher."""
        if upto >= self.base_total:
            delta = self.delta_post.get(key) or ()
            return list(delta[bisect.bisect_left(delta, upto):])
        bucket = self.postings.get(key) or ()
        return list(bucket[bisect.bisect_left(bucket, upto):])

    def bitset(self, key: str) -> int:
        """The attempts holding ``key`` as a bit set: the base's stored one (when it kept one) and the delta's."""
        stored = self.base.bits(key) if self.base is not None else None
        if stored is None:
            return bitrank.from_positions(self.postings.get(key) or (), len(self.docs))
        n = self.base_total
        delta = self.delta_post.get(key)
        if delta:
            stored |= bitrank.from_positions([i - n for i in delta], len(self.delta)) << n
        return stored

    # -- building ------------------------------------------------------------
    def add_doc(self, doc: Doc) -> None:
        idx = len(self.docs)
        self.delta.append(doc)
        post = self.delta_post
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
