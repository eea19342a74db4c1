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

from . import bitrank
from .memdoc import Doc, from_record, loader
from .memrecords import apply_activity, signature_of_verification
from .segment import Segment

MAX_SERVICES_PER_SIGNATURE = 200
DOCS_KEPT = 65536  # attempts of the base kept decoded per process


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
            rid, keys, pos, inline = index.base.doc(i)
            doc = Doc.from_keys(rid, keys, pos, index.load_line)
            if inline is not None:  # an attempt whose ledger line could not be addressed keeps its fields
                doc.fill(*inline)
                doc._load = None
            if len(self._kept) >= DOCS_KEPT:
                self._kept.clear()
            self._kept[i] = doc
        return doc

    def decoded(self, i: int) -> Doc | None:
        """The base's attempt ``i`` if it is already read (a scorer's fast path; else ``self[i]``)."""
        return self._kept.get(i)

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
    paths: tuple = ()  # the ledger files a base attempt's position names (live, archive)
    # the attempts numbered below this hold no ledger position (their lines were sealed): a seal's
    # re-key copies their whole pages as they are (a lower bound: 0 is always right)
    inline_upto: int = 0

    def __post_init__(self) -> None:
        self.docs = Docs(self)
        self.postings = Postings(self)
        self.load_line = loader(self.paths)

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

    def apply(self, rec: dict, pos: tuple[int, int, int] | None = None) -> None:
        """Fold one ledger record into the index (``pos``: where its line is, for an attempt)."""
        kind = rec.get("kind")
        payload = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
        author = rec.get("author") if isinstance(rec.get("author"), dict) else {}
        try:
            if kind == "attempt":
                self._apply_attempt(rec, payload, pos)
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

    def _apply_attempt(self, rec: dict, p: dict, pos: tuple[int, int, int] | None) -> None:
        doc = from_record(rec, pos)
        self.add_doc(doc)
        if doc.signature:
            self._seen(doc.signature, rec, "attempt", str(p.get("summary") or ""), doc.outcome,
                       p.get("services") or [])

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
