"""The memory index's on-disk base: one immutable file a process reads only partly (standard library only).

Read by query, never parsed whole: the term dictionary (it grows with the vocabulary, not the records)
and the page table, then only the lists and pages of attempts a query touches, each with ``pread``.
Version 2 holds no text of an attempt, only its id, terms and ledger position (``codec``): ~30 B per
ledger record instead of 192. Layout: the terms' lists (gaps or bit sets), pages of ``PAGE`` attempts
(a width byte, where each attempt ends, the attempts), the page table (each page's length and digest),
the dictionary (JSON: per term number its key, count, place, encoding and digest), footer, trailer.

Trust: the file is derived and an agent can edit it, so every byte used is checked before use. The
footer's sha256 is the root (kept in the tail, whose digest is in the anchor); the footer holds the
digests of the dictionary and the page table, which hold those of each list and page. Anything that
does not match (an edit, a cut, another file, an older version) raises ``Corrupt``: the caller rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from array import array
from itertools import accumulate

from . import bitrank, codec

MAGIC = b"DSMEMSG2"
TRAILER = struct.Struct("<Q8s")   # footer length, magic
PAGE_ENTRY = struct.Struct("<I16s")  # a page's length, its digest
PAGE = 64                         # attempts per verified page
BITS = 0                          # a term's encoding: a bit set (else the gap width, 1, 2 or 4)
CHUNK = 1 << 20
KEPT_PAGES = 4096


class Corrupt(ValueError):
    """The file is not what deploystate wrote (edited, cut, replaced): rebuild from the ledger."""


def digest(raw: bytes | memoryview) -> bytes:
    return hashlib.sha256(raw).digest()[:16]


def page_blob(docs: list[bytes]) -> bytes:
    """A page: its header's width (2 or 4 bytes), where each attempt ends (from the header's end), the attempts."""
    ends = list(accumulate(len(d) for d in docs))
    width = 2 if not ends or ends[-1] <= 0xFFFF else 4
    return bytes((width,)) + codec._le(array("H" if width == 2 else "I", ends)) + b"".join(docs)


def page_doc(raw: bytes, count: int, j: int) -> bytes:
    """Attempt ``j`` of a page of ``count``."""
    width = raw[0]
    if width not in (2, 4) or not 0 <= j < count:
        raise Corrupt("a page of attempts has an unknown header")
    fmt, head = ("<H" if width == 2 else "<I"), 1 + width * count
    end = struct.unpack_from(fmt, raw, 1 + width * j)[0]
    start = struct.unpack_from(fmt, raw, 1 + width * (j - 1))[0] if j else 0
    if j == count - 1 and head + end != len(raw) or start > end:
        raise Corrupt("a page of attempts has another length than its header says")
    return raw[head + start:head + end]


class Writer:
    """Terms first (in term-number order), then attempts (whole pages copied, or one by one)."""

    def __init__(self, path: str) -> None:
        self.fh = open(path, "wb")
        self.pos = 0
        self.dictionary: list[list] = []
        self.table = bytearray()
        self.pending: list[bytes] = []
        self.total = 0
        self.docs_at: int | None = None

    def _write(self, raw: bytes) -> int:
        at = self.pos
        self.fh.write(raw)
        self.pos += len(raw)
        return at

    def term(self, key: str, count: int, raw: bytes, enc: int, sha: bytes | None = None) -> None:
        """A term's list: ``raw`` as ``codec.pack_gaps`` (``enc`` its width) or a bit set (``enc`` BITS)."""
        self.dictionary.append([key, count, self._write(raw), len(raw), enc, (sha or digest(raw)).hex()])

    def page(self, raw: bytes, sha: bytes) -> None:
        """A whole page (``PAGE`` attempts) copied from another segment, already checked against ``sha``."""
        if self.pending:
            raise ValueError("a whole page after single attempts")
        if self.docs_at is None:
            self.docs_at = self.pos
        self._write(raw)
        self.table += PAGE_ENTRY.pack(len(raw), sha)
        self.total += PAGE

    def doc(self, raw: bytes) -> None:
        self.pending.append(raw)
        if len(self.pending) == PAGE:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            blob = page_blob(self.pending)
            if self.docs_at is None:
                self.docs_at = self.pos
            self._write(blob)
            self.table += PAGE_ENTRY.pack(len(blob), digest(blob))
            self.total += len(self.pending)
            self.pending = []

    def finish(self, dense: int) -> str:
        """The footer, and the root digest (the footer's sha256)."""
        self._flush()
        docs_at = self.pos if self.docs_at is None else self.docs_at
        pages_at = self._write(bytes(self.table))
        draw = json.dumps(self.dictionary, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        dict_at = self._write(draw)
        body = json.dumps({"version": 2, "docs": self.total, "dense": dense, "docs_at": docs_at,
                           "pages_at": pages_at, "pages_len": len(self.table), "pages_sha": digest(self.table).hex(),
                           "dict_at": dict_at, "dict_len": len(draw), "dict_sha": digest(draw).hex(),
                           "length": self.pos}, separators=(",", ":"), sort_keys=True).encode()
        self.fh.write(body + TRAILER.pack(len(body), MAGIC))
        self.fh.close()
        return hashlib.sha256(body).hexdigest()

    def abandon(self) -> None:
        self.fh.close()


class Segment:
    """An open segment; every read is checked against the digests above it."""

    def __init__(self, path: str, root: str) -> None:
        self.fd = -1
        self.fd = os.open(path, os.O_RDONLY)
        self._pages: dict[int, bytes] = {}
        try:
            self._open(root)
        except (OSError, ValueError, KeyError, TypeError, IndexError, struct.error) as exc:
            self.close()
            raise Corrupt(f"memory segment {os.path.basename(path)}: {exc}") from None

    def _read(self, at: int, length: int) -> bytes:
        try:
            raw = os.pread(self.fd, length, at)
        except OSError as exc:
            raise Corrupt(f"the memory segment cannot be read: {exc}") from None
        if len(raw) != length:
            raise Corrupt("the memory segment is shorter than its footer says (cut)")
        return raw

    def _open(self, root: str) -> None:
        size = os.fstat(self.fd).st_size
        body_len, magic = TRAILER.unpack(self._read(size - TRAILER.size, TRAILER.size))
        if magic != MAGIC or body_len > size:
            raise Corrupt("not a memory segment of this version")
        body = self._read(size - TRAILER.size - body_len, body_len)
        if hashlib.sha256(body).hexdigest() != root:
            raise Corrupt("the footer is not the one recorded")
        f = self.footer = json.loads(body)
        if f["version"] != 2 or f["length"] != size - TRAILER.size - body_len:
            raise Corrupt("unexpected footer")
        self.total, self.dense = int(f["docs"]), int(f["dense"])
        table = self._checked(f["pages_at"], f["pages_len"], f["pages_sha"])
        if len(table) != PAGE_ENTRY.size * -(-self.total // PAGE):
            raise Corrupt("page table and attempt count disagree")
        self.page_table = [PAGE_ENTRY.unpack_from(table, i) for i in range(0, len(table), PAGE_ENTRY.size)]
        self.page_at = list(accumulate((n for n, _ in self.page_table), initial=int(f["docs_at"])))
        if self.page_at[-1] != f["pages_at"]:
            raise Corrupt("the pages do not end where the page table starts")
        self.entries = json.loads(self._checked(f["dict_at"], f["dict_len"], f["dict_sha"]))
        if not isinstance(self.entries, list):
            raise Corrupt("dictionary is not a list")
        self.dictionary = {e[0]: n for n, e in enumerate(self.entries)}  # key -> term number
        if len(self.dictionary) != len(self.entries):
            raise Corrupt("a term is in the dictionary twice")

    def _checked(self, at: int, length: int, sha: str) -> bytes:
        raw = self._read(at, length)
        if digest(raw).hex() != sha:
            raise Corrupt("a section of the memory segment was edited")
        return raw

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        if getattr(self, "fd", -1) >= 0:
            self.close()

    # -- per query --------------------------------------------------------------
    def df(self, key: str) -> int:
        n = self.dictionary.get(key)
        return int(self.entries[n][1]) if n is not None else 0

    def _list(self, key: str) -> tuple[list, bytes] | None:
        n = self.dictionary.get(key)
        if n is None:
            return None
        entry = self.entries[n]
        return entry, self._checked(entry[2], entry[3], entry[5])

    def postings(self, key: str) -> array:
        found = self._list(key)
        if found is None:
            return array("I")
        entry, raw = found
        try:
            if entry[4] == BITS:
                numbers = array("I", bitrank.members(int.from_bytes(raw, "little")))
            else:
                numbers = codec.unpack_gaps(raw, entry[1], entry[4])
        except (ValueError, KeyError, OverflowError) as exc:
            raise Corrupt(f"a posting list of the memory segment is malformed: {exc}") from None
        if len(numbers) != entry[1] or (numbers and numbers[-1] >= self.total):
            raise Corrupt("a posting list names an attempt the segment does not hold")
        return numbers

    def bits(self, key: str) -> int | None:
        """The stored bit set of a common term (attempts 0..total-1), None when its list is gaps."""
        n = self.dictionary.get(key)
        if n is None or self.entries[n][4] != BITS:
            return None
        value = int.from_bytes(self._list(key)[1], "little")
        if value.bit_length() > self.total or value.bit_count() != self.entries[n][1]:
            raise Corrupt("a bit set of the memory segment does not match its entry")
        return value

    def _page(self, page: int) -> bytes:
        raw = self._pages.get(page)
        if raw is None:
            length, sha = self.page_table[page]
            raw = self._read(self.page_at[page], length)
            if digest(raw) != sha:
                raise Corrupt("a page of attempts in the memory segment was edited")
            if len(self._pages) >= KEPT_PAGES:
                self._pages.clear()
            self._pages[page] = raw
        return raw

    def doc_bytes(self, i: int) -> bytes:
        """Attempt ``i`` as ``codec.encode_doc`` wrote it, from its checked page."""
        if not 0 <= i < self.total:
            raise IndexError(i)
        page = i // PAGE
        return page_doc(self._page(page), min(PAGE, self.total - page * PAGE), i - page * PAGE)

    def doc(self, i: int) -> tuple[str, list[str], tuple[int, int, int] | None, list | None]:
        """Attempt ``i`` as (id, term keys, ledger position, inline fields)."""
        try:
            rid, terms, pos, inline = codec.decode_doc(self.doc_bytes(i))
            if inline is not None and not (isinstance(inline, list) and len(inline) == 4 and all(
                    isinstance(v, str) or (v is None and n == 3) for n, v in enumerate(inline))):
                raise ValueError("an attempt's own fields are malformed")
            entries = self.entries
            return rid, [entries[t][0] for t in terms], pos, inline
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise Corrupt(f"an attempt of the memory segment is malformed: {exc}") from None

    # -- merging into a new segment ---------------------------------------------
    def raw_term(self, n: int) -> tuple[list, bytes]:
        entry = self.entries[n]
        return entry, self._checked(entry[2], entry[3], entry[5])

    def copy_into(self, w: Writer) -> None:
        """Copy the whole pages into ``w`` (each checked on the way) and the last, partial one's attempts."""
        full = self.total // PAGE
        self.copy_pages(w, full)
        for i in range(full * PAGE, self.total):
            w.doc(self.doc_bytes(i))

    def copy_pages(self, w: Writer, full: int) -> None:
        """Copy the first ``full`` whole pages into ``w`` as they are, each checked on the way."""
        at = 0
        while at < full:
            upto = min(full, at + max(1, CHUNK // max(1, self.page_table[at][0])))
            data = self._read(self.page_at[at], self.page_at[upto] - self.page_at[at])
            base = self.page_at[at]
            for p in range(at, upto):
                raw = data[self.page_at[p] - base:self.page_at[p + 1] - base]
                if digest(raw) != self.page_table[p][1]:
                    raise Corrupt("a page of attempts in the memory segment was edited")
                w.page(raw, self.page_table[p][1])
            at = upto
