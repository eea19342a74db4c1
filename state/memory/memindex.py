"""The memory index on disk: kept beside the ledger, brought up to date incrementally, read only partly.

Why a separate index: the projection keeps only the last 50 attempts, but the
eight-day loop is about attempts from days and sessions ago. Replaying 100k
records per question is too slow, so the index is keyed to the ledger's size
and tail hash like the projection cache: when records were appended only the new
lines are read; anything unexpected (compaction, a merge that brought older
records) rebuilds it.

Two files in ``<state_dir>/cache/`` (derived data, ignored by git): the base,
``memory-<root>.seg`` (``segment``: most attempts as ids, term numbers and ledger
positions, read by query and checked piece by piece; a result's text is read from
its ledger line, checked to be that attempt's, ``memdoc``), and the tail,
``memory.json``: the attempts since the base (at most ``MERGE_AT``; then they are
merged into a new base), signatures, sessions,
where the ledger was read up to, and the base's root digest. The tail's sha256 is
in the anchor (out of the work tree), so an edited, cut or swapped file is never
used: it is rebuilt from the ledger, as is an index of an older version.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, TypeVar

from deploystate.state.tamper import anchor
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.reading import hash_ending_at
from . import basewrite
from .memdoc import positions
from .memmodel import Doc, MemoryIndex  # noqa: F401  (the index's types, named here for callers)
from .basewrite import switch as _switch
from .segment import Corrupt, Segment

# 5: a base of ids, terms and ledger positions (segment version 2); 4: a base holding each attempt's text;
# 3: one JSON file parsed whole. Any other version is rebuilt from the ledger (and its base deleted).
VERSION = 5
INDEX_DIR = "cache"
INDEX_FILE = "memory.json"
SAVE_EVERY = 256  # records applied in memory before the tail is rewritten (it is rebuilt from the ledger anyway)
MERGE_AT = 2048   # attempts in the tail before a save merges them into a new base
DENSE_SHARE, DENSE_MIN = 128, 256  # posting lists longer than this share of the attempts keep a bit set
T = TypeVar("T")


def _cache_dir(ledger: Ledger) -> Path:
    return ledger.dir / INDEX_DIR


def _index_path(ledger: Ledger) -> Path:
    return _cache_dir(ledger) / INDEX_FILE


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _merge(ledger: Ledger, index: MemoryIndex, move: Callable[[int, bytes], bytes] | None = None
           ) -> tuple[Path, str, Segment]:
    """``basewrite.merge`` with this module's bit-set threshold."""
    dense = max(DENSE_MIN, len(index.docs) // DENSE_SHARE)
    return basewrite.merge(ledger, index, dense, move, index.inline_upto)


def _tail_json(index: MemoryIndex) -> dict:
    base = None if index.base is None else {"file": index.base_file, "root": index.base_root,
                                            "docs": index.base.total}
    return {"version": VERSION, "last_id": index.last_id, "live_size": index.live_size, "live_tail": index.live_tail,
            "live_lines": index.live_lines, "archive_size": index.archive_size, "base": base,
            "docs": [d.row() for d in index.delta], "signatures": index.signatures, "sessions": index.sessions,
            "inline_upto": index.inline_upto}


def save(ledger: Ledger, index: MemoryIndex, move: Callable[[int, bytes], bytes] | None = None) -> bool:
    """Write the tail (merging a long one, or every attempt through ``move``, into a new base first) and its
    digest into the anchor, atomically together; False when not written (a read-only state dir or no
    anchor yet just means rebuilding from the ledger next time)."""
    if not ledger.anchor_dir.is_dir():
        return False  # nothing anchored: the index could not be trusted on reading, so it is not written
    path = _index_path(ledger)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    merged = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# deploystate: derived caches, rebuilt from the ledger.\n*\n", encoding="utf-8")
        merged = _merge(ledger, index, move) if move is not None or len(index.delta) > MERGE_AT else None
        if merged is not None:
            _switch(index, f"memory-{merged[1][:16]}.seg", merged[1], merged[2])
        raw = json.dumps(_tail_json(index), separators=(",", ":")).encode("utf-8")
        with anchor._locked(ledger):  # the files and the digest change together
            if merged is not None:
                os.replace(merged[0], _cache_dir(ledger) / index.base_file)
            tmp.write_bytes(raw)
            os.replace(tmp, path)
            anchor.update_locked(ledger, "memory", {"sha256": _digest(raw)}, durable=False)
            # another process's merge is still a .tmp file until it holds this lock: only dead bases go
            _forget_other_bases(ledger, index.base_file)
        index.unsaved = 0
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        if merged is not None:
            merged[0].unlink(missing_ok=True)
    except Corrupt:  # the base was damaged under us: forget it all, the next load rebuilds from the ledger
        tmp.unlink(missing_ok=True)
        drop(ledger)
    return False


def _forget_other_bases(ledger: Ledger, keep: str | None) -> None:
    for path in _cache_dir(ledger).glob("memory-*.seg"):
        if path.name != keep:
            path.unlink(missing_ok=True)
    for path in _cache_dir(ledger).glob(".memory.*.seg.tmp"):  # a merge whose process died long ago
        try:
            if path.stat().st_mtime < time.time() - 3600:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def drop(ledger: Ledger) -> None:
    """Forget the stored and in-process index (after compaction rewrote the ledger, or a damaged base)."""
    old = _LOADED.pop(loaded_key(ledger), None)
    if old is not None and old.base is not None:
        old.base.close()
    try:
        _index_path(ledger).unlink()
    except OSError:
        pass
    _forget_other_bases(ledger, None)


def _recorded(ledger: Ledger) -> str | None:
    section = anchor.read(ledger).get("memory")
    return section.get("sha256") if isinstance(section, dict) else None


def _trusted_bytes(ledger: Ledger) -> bytes | None:
    """The tail, only when its bytes are the ones deploystate wrote (their digest is in the anchor)."""
    path = _index_path(ledger)
    raw = path.read_bytes()
    if _recorded(ledger) == _digest(raw):
        return raw
    with anchor._locked(ledger) if ledger.anchor_dir.is_dir() else nullcontext():
        raw = path.read_bytes()  # a writer may have been between its rename and its digest: judge again
        return raw if _recorded(ledger) == _digest(raw) else None


def _read_file(ledger: Ledger) -> MemoryIndex | None:
    base = None
    try:
        raw = _trusted_bytes(ledger)
        if raw is None:
            return None
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        index = MemoryIndex(signatures=data["signatures"], sessions=data["sessions"], last_id=data["last_id"],
                            live_size=data["live_size"], live_tail=data["live_tail"],
                            archive_size=data["archive_size"], live_lines=data.get("live_lines"),
                            paths=_paths(ledger))
        named = data["base"]
        if named is not None:
            if "/" in named["file"] or not named["file"].startswith("memory-"):
                return None
            base = Segment(str(_cache_dir(ledger) / named["file"]), named["root"])
            if base.total != named["docs"]:
                raise Corrupt("the base holds another number of attempts than the tail says")
            index.base, index.base_file, index.base_root = base, named["file"], named["root"]
        for row in data["docs"]:
            index.add_doc(Doc.from_row(row))
        upto = data.get("inline_upto", 0)
        index.inline_upto = upto if isinstance(upto, int) and 0 <= upto <= len(index.docs) else 0
        index.unsaved = 0
        return index
    except (OSError, ValueError, KeyError, TypeError):  # Corrupt is a ValueError
        if base is not None:
            base.close()
        return None


def _paths(ledger: Ledger) -> tuple[str, str]:
    return ledger.file, ledger.archive_file  # indexed by memdoc.LIVE, memdoc.ARCHIVE


def _rebuild(ledger: Ledger) -> MemoryIndex:
    res = ledger.read(include_archive=True)
    unique = {r["id"]: r for r in res.records if isinstance(r, dict) and isinstance(r.get("id"), str)}
    try:
        where = positions(_paths(ledger), res.lines)
    except (OSError, ValueError):  # (mmap of a file cut meanwhile)
        where = {}  # the attempts keep their fields in the base instead
    index = MemoryIndex(paths=_paths(ledger))
    for rid in sorted(unique):
        index.apply(unique[rid], where.get(rid))
    index.live_size = res.size
    index.live_lines = res.line_count
    index.live_tail = hash_ending_at(ledger.path, res.size) if ledger.path.exists() else None
    index.archive_size = _size(ledger.archive_path)
    index.inline_upto = next((i for i, d in enumerate(index.delta) if d.pos), len(index.delta))
    index.unsaved = SAVE_EVERY  # force a save
    return index


def _size(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# One index per state directory per process: the MCP server answers many questions from memory.
_LOADED: dict[str, MemoryIndex] = {}
# The state directory resolved once per spelling (~90 us inside .git, twice a query). It only finds this
# process's index; whether that fits the ledger there now is judged from its bytes (``_catch_up``).
_RESOLVED: dict[str, str] = {}


def loaded_key(ledger: Ledger) -> str:
    """The key of ``ledger``'s index in ``_LOADED`` (its state directory, symlinks followed)."""
    key = _RESOLVED.get(ledger.dirname)
    if key is None:
        key = _RESOLVED[ledger.dirname] = str(ledger.dir.resolve())
        if len(_RESOLVED) > 1024:  # a process that saw many state directories (a test run) keeps the last
            _RESOLVED.clear()
    return key


def current(ledger: Ledger) -> MemoryIndex | None:
    """The index brought up to date with the ledger's files only by reading what it has not seen (kept
    in this process or the stored one); None when only a rebuild could give it."""
    size = _size(ledger.file)  # (str paths: every query asks this, a Path costs more than the stat)
    index = _LOADED.get(loaded_key(ledger))
    if index is not None and index.live_size <= size:
        got = _catch_up(ledger, index, size)
        if got is not None:
            return got
    index = _read_file(ledger)  # (another process may have moved it on: a seal re-keys it there)
    return _catch_up(ledger, index, size) if index is not None else None


def _catch_up(ledger: Ledger, index: MemoryIndex, size: int) -> MemoryIndex | None:
    fresh = (index is not None and index.archive_size == _size(ledger.archive_file)
             and 0 <= index.live_size <= size and hash_ending_at(ledger.file, index.live_size) == index.live_tail)
    if index is not None and fresh and index.live_size < size:
        res = ledger.read(start=index.live_size, start_line=index.live_lines)
        if res.problems or any(r["id"] <= index.last_id for r in res.records):
            fresh = False  # merged older records or damage: replay everything, in id order
        else:
            try:
                where = positions(_paths(ledger), res.lines, index.live_size, index.live_lines)
            except (OSError, ValueError):
                where = {}
            for rec in res.records:
                index.apply(rec, where.get(rec["id"]))
            index.live_size = res.size
            index.live_lines = res.line_count
            index.live_tail = hash_ending_at(ledger.file, res.size)
    return index if fresh else None


def load(ledger: Ledger, *, write: bool = True) -> MemoryIndex:
    """The index, current with the ledger (incremental when possible, rebuilt otherwise)."""
    index = current(ledger)
    if index is None:
        index = _rebuild(ledger)
    _LOADED[loaded_key(ledger)] = index
    if write and index.unsaved >= SAVE_EVERY and ledger.dir.exists():
        save(ledger, index)
    return index


def guarded(ledger: Ledger, ask: Callable[[MemoryIndex], T]) -> T:
    """``ask(index)``; when the base turns out damaged while being read (edited after it was opened), the
    index is rebuilt from the ledger and asked again: a damaged index never hides an attempt nor crashes."""
    try:
        return ask(load(ledger))
    except Corrupt:
        drop(ledger)
        return ask(load(ledger))
