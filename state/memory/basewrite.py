"""Writing the memory index's base: the attempts held in memory (the delta) merged with the base on disk
into a new one (standard library only). ``memindex.save`` renames it into place under the anchor's lock,
with the tail that names it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from deploystate.state.ledger.ledger import Ledger
from . import codec, segment
from .memmodel import MemoryIndex
from .segment import Corrupt, Segment


def merge(ledger: Ledger, index: MemoryIndex, dense: int, move: Callable[[int, bytes], bytes] | None = None,
          keep: int = 0) -> tuple[Path, str, Segment]:
    """Write base + delta as a new base under a temporary name (renamed by ``save`` under the anchor's
    lock, with the tail that names it). Term numbers stay those of the old base (new terms after them),
    so its whole pages and untouched lists are copied as they are, checked on the way; ``move`` (a seal's
    ``rekey``) rewrites each of the base's attempts instead of copying its pages, but for the whole pages
    of its first ``keep`` (attempts that hold no position, which a seal cannot move). A posting list of
    more than ``dense`` attempts is stored as a bit set."""
    total = len(index.docs)
    base = index.base
    keys = [e[0] for e in base.entries] if base is not None else []
    number = dict(base.dictionary) if base is not None else {}
    for key in index.delta_post:
        if key not in number:
            number[key] = len(keys)
            keys.append(key)
    tmp = ledger.dir / "cache" / f".memory.{os.getpid()}.seg.tmp"
    w = segment.Writer(str(tmp))
    try:
        for n, key in enumerate(keys):
            if base is not None and n < len(base.entries) and key not in index.delta_post:
                entry, raw = base.raw_term(n)
                w.term(key, entry[1], raw, entry[4], bytes.fromhex(entry[5]))
                continue
            count = index.df(key)
            if count > dense:
                w.term(key, count, index.bitset(key).to_bytes((total + 7) >> 3, "little"), segment.BITS)
            else:
                w.term(key, count, *codec.pack_gaps(index.postings.get(key)))
        if base is not None and move is not None:
            full = min(keep, base.total) // segment.PAGE
            base.copy_pages(w, full)
            for i in range(full * segment.PAGE, base.total):
                w.doc(move(i, base.doc_bytes(i)))
        elif base is not None:
            base.copy_into(w)
        for doc in index.delta:
            inline = None if doc.pos else [doc.ts, doc.outcome, doc.summary, doc.session]
            w.doc(codec.encode_doc(doc.id, [number[k] for k in doc.keys()], doc.pos, inline))
        root = w.finish(dense)
        if w.total != total:
            raise Corrupt("the new base holds another number of attempts than the index")
        return tmp, root, Segment(str(tmp), root)  # the open file stays this one when it is renamed
    except BaseException:
        w.abandon()
        tmp.unlink(missing_ok=True)
        raise


def switch(index: MemoryIndex, name: str, root: str, fresh: Segment) -> None:
    if index.base is not None:
        index.base.close()
    index.base, index.base_file, index.base_root = fresh, name, root
    index.delta, index.delta_post = [], {}
    index.docs._kept.clear()
