"""The memory index's on-disk base: one immutable file a process reads only partly (standard library only).

Why: parsing the whole index in every process made ``attempt add`` linear in the
ledger (190 MB of JSON at 1M records). This file is read by query instead: the
term dictionary whole (it grows with the vocabulary, not with the records), then
only the posting lists, bit sets and attempts a query touches, each with ``pread``.

Trust: the file is derived and an agent can edit it, so every byte used is
checked before use. The footer's sha256 is the root (kept in the memory index's
tail file, whose own digest is in the anchor); the footer holds the digests of
the dictionary and of the page table; the dictionary holds each posting list's
and bit set's digest; the page table holds the digest of every page of the
attempt index, whose entries hold each attempt's digest. Anything that does not
match (an edit, a cut, another file) raises ``Corrupt`` and the caller rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from array import array

MAGIC = b"DSMEMSG1"
TRAILER = struct.Struct("<Q8s")   # footer length, magic
ENTRY = struct.Struct("<QI16s")   # an attempt's offset in the docs section, its length, its digest
PAGE = 32                         # attempt-index entries per verified page
CHUNK = 1 << 20


class Corrupt(ValueError):
    """The file is not what deploystate wrote (edited, cut, replaced): rebuild from the ledger."""


def digest(raw: bytes | memoryview) -> bytes:
    return hashlib.sha256(raw).digest()[:16]


def _u32(numbers) -> bytes:
    arr = numbers if isinstance(numbers, array) and numbers.typecode == "I" else array("I", numbers)
    if sys.byteorder != "little":
        arr = array("I", arr)
        arr.byteswap()
    return arr.tobytes()


def _from_u32(raw: bytes) -> array:
    arr = array("I")
    arr.frombytes(raw)
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


class Writer:
    """Sections written one after another; ``finish`` adds the footer and returns the root digest."""

    def __init__(self, path: str) -> None:
        self.fh = open(path, "wb")
        self.pos = 0
        self.hash = None  # set while the docs section is written: its digest without reading it back

    def write(self, raw: bytes) -> int:
        at = self.pos
        self.fh.write(raw)
        if self.hash is not None:
            self.hash.update(raw)
        self.pos += len(raw)
        return at

    def finish(self, footer: dict) -> str:
        body = json.dumps({**footer, "length": self.pos}, separators=(",", ":"), sort_keys=True).encode()
        body_len = len(body)
        self.fh.write(body + TRAILER.pack(body_len, MAGIC))
        self.fh.close()
        return hashlib.sha256(body).hexdigest()


def write(path: str, total: int, dense: int, terms, docs_rows, copy_docs=None) -> str:
    """Write a segment: ``terms`` yields (key, postings array, bit-set int or None) in any order,
    ``docs_rows`` the JSON bytes of each attempt after those ``copy_docs`` (a Segment) brings along."""
    w = Writer(path)
    dictionary: dict[str, list] = {}
    for key, numbers, bits in terms:
        raw = _u32(numbers)
        entry = [len(numbers), w.write(raw), digest(raw).hex()]
        if bits is not None:
            braw = bits.to_bytes((total + 7) >> 3, "little")
            entry += [w.write(braw), len(braw), digest(braw).hex()]
        dictionary[key] = entry
    docs_at = w.pos
    w.hash = hashlib.sha256()
    index = bytearray()
    if copy_docs is not None:
        index += copy_docs.copy_docs_into(w)
    rel = w.pos - docs_at
    for row in docs_rows:
        w.write(row)
        index += ENTRY.pack(rel, len(row), digest(row))
        rel += len(row)
    docs_len, docs_sha, w.hash = w.pos - docs_at, w.hash.hexdigest(), None
    if len(index) != total * ENTRY.size:
        w.fh.close()
        raise ValueError("attempt count and attempt index disagree")
    didx_at = w.write(bytes(index))
    page_bytes = PAGE * ENTRY.size
    pages = b"".join(digest(index[i:i + page_bytes]) for i in range(0, len(index), page_bytes))
    pages_at = w.write(pages)
    draw = json.dumps(dictionary, separators=(",", ":")).encode()
    dict_at = w.write(draw)
    return w.finish({"version": 1, "docs": total, "dense": dense, "docs_at": docs_at, "docs_len": docs_len,
                     "docs_sha": docs_sha, "didx_at": didx_at, "pages_at": pages_at,
                     "pages_len": len(pages), "pages_sha": digest(pages).hex(), "dict_at": dict_at,
                     "dict_len": len(draw), "dict_sha": digest(draw).hex()})


class Segment:
    """An open segment; every read is checked against the digests above it."""

    def __init__(self, path: str, root: str) -> None:
        self.fd = -1
        self.fd = os.open(path, os.O_RDONLY)
        try:
            self._open(root)
        except (OSError, ValueError, KeyError, TypeError, struct.error) as exc:
            self.close()
            raise Corrupt(f"memory segment {os.path.basename(path)}: {exc}") from None
        self._verified_pages: dict[int, bytes] = {}

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
            raise Corrupt("not a memory segment")
        body = self._read(size - TRAILER.size - body_len, body_len)
        if hashlib.sha256(body).hexdigest() != root:
            raise Corrupt("the footer is not the one recorded")
        f = self.footer = json.loads(body)
        if f["version"] != 1 or f["length"] != size - TRAILER.size - body_len:
            raise Corrupt("unexpected footer")
        self.total, self.dense = int(f["docs"]), int(f["dense"])
        self.pages = self._checked(f["pages_at"], f["pages_len"], f["pages_sha"])
        if len(self.pages) != 16 * -(-self.total // PAGE):
            raise Corrupt("page table and attempt count disagree")
        self.dictionary = json.loads(self._checked(f["dict_at"], f["dict_len"], f["dict_sha"]))
        if not isinstance(self.dictionary, dict):
            raise Corrupt("dictionary is not a mapping")

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
        entry = self.dictionary.get(key)
        return int(entry[0]) if entry else 0

    def postings(self, key: str) -> array:
        entry = self.dictionary.get(key)
        if not entry:
            return array("I")
        numbers = _from_u32(self._checked(entry[1], 4 * entry[0], entry[2]))
        if numbers and numbers[-1] >= self.total:
            raise Corrupt("a posting list names an attempt the segment does not hold")
        return numbers

    def bits(self, key: str) -> int | None:
        """The stored bit set of a long posting list (attempts 0..total-1), None when none was stored."""
        entry = self.dictionary.get(key)
        if not entry or len(entry) < 6:
            return None
        return int.from_bytes(self._checked(entry[3], entry[4], entry[5]), "little")

    def _entry(self, i: int) -> tuple[int, int, bytes]:
        page = i // PAGE
        raw = self._verified_pages.get(page)
        if raw is None:
            count = min(PAGE, self.total - page * PAGE)
            raw = self._read(self.footer["didx_at"] + page * PAGE * ENTRY.size, count * ENTRY.size)
            if digest(raw) != self.pages[16 * page:16 * page + 16]:
                raise Corrupt("the attempt index of the memory segment was edited")
            if len(self._verified_pages) >= 4096:
                self._verified_pages.clear()
            self._verified_pages[page] = raw
        return ENTRY.unpack_from(raw, (i - page * PAGE) * ENTRY.size)

    def row(self, i: int) -> list:
        """Attempt ``i``'s stored row, checked against its digest."""
        if not 0 <= i < self.total:
            raise IndexError(i)
        rel, length, sha = self._entry(i)
        if rel + length > self.footer["docs_len"]:
            raise Corrupt("an attempt lies outside the docs section")
        raw = self._read(self.footer["docs_at"] + rel, length)
        if digest(raw) != sha:
            raise Corrupt("an attempt in the memory segment was edited")
        row = json.loads(raw)
        if not isinstance(row, list) or len(row) != 9:
            raise Corrupt("a stored attempt is malformed")
        return row

    # -- merging into a new segment ---------------------------------------------
    def copy_docs_into(self, w: Writer) -> bytes:
        """Copy the docs section into ``w`` (verified whole on the way) and return the attempt index."""
        f = self.footer
        at, left = f["docs_at"], f["docs_len"]
        while left:  # w hashes the docs section as it is written: at this point that is the old one's digest
            piece = self._read(at, min(CHUNK, left))
            w.write(piece)
            at, left = at + len(piece), left - len(piece)
        if w.hash is None or w.hash.copy().hexdigest() != f["docs_sha"]:
            raise Corrupt("the docs section of the memory segment was edited")
        index = self._read(f["didx_at"], self.total * ENTRY.size)
        page_bytes = PAGE * ENTRY.size
        for p in range(0, len(index), page_bytes):
            if digest(index[p:p + page_bytes]) != self.pages[16 * (p // page_bytes):16 * (p // page_bytes) + 16]:
                raise Corrupt("the attempt index of the memory segment was edited")
        return index
