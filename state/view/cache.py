"""The projection cache: current state kept beside the ledger and brought up to date incrementally.

The cache is keyed to the ledger's size and the hash of its last record, so a
read costs one ``stat`` and one small ``read`` when nothing changed, and only
the new lines when something was appended. Anything unexpected (the file shrank,
its tail changed, a record older than the cache arrived through a merge) means
a full replay: correct first, fast when possible.

A process that stays up (the MCP server, ``hold_writes``) also keeps the newest state in memory, keyed
the same way (the ledger's size and the hash of the record ending there, read from the ledger on every
load), and rewrites the file only every ``LAG`` records and at exit (``flush_held``): a file that lags is
caught up by whoever reads it, as any cache behind the ledger is. Each load hands out its own copy.
"""

from __future__ import annotations

import marshal
import os
import _thread

from deploystate.jsonlite import loads
from deploystate.ospath import exists, is_dir, join
from deploystate.state.tamper import anchor
from . import projection
from deploystate.state.ledger.chain import Problem, sha256_hex
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.reading import hash_ending_at

CACHE = "projection.json"
LAG = 64  # records the file of a held cache may lag behind the state kept in memory
# The hooks' part of the cache, beside the anchor: what a push decision reads of the state (``PART_KEYS``),
# ~3.5 kB where the whole cache is ~47 kB at 100k records (attempts, sessions, the timeline). Written with the
# cache, its digest beside the cache's in the anchor; ``hooks.snapshot.load_part`` uses it only while it is
# exactly current (the cache it was cut from in place, the ledger ending where both were written).
PART = "projection.hooks.json"
PART_KEYS = ("version", "records", "last_id", "last_ts", "services", "doom")


# A plain class, not a dataclass: importing dataclasses (and inspect) costs every hook process ~8 ms.
class Loaded:
    def __init__(self, state: dict, problems: list[Problem] | None = None, rebuilt: bool = False,
                 applied: int = 0) -> None:
        self.state = state
        self.problems: list[Problem] = [] if problems is None else problems
        self.rebuilt = rebuilt
        self.applied = applied

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loaded) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Loaded({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


def _digest(raw: bytes) -> str:
    return sha256_hex(raw)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _recorded(ledger: Ledger) -> str | None:
    section = anchor.read(ledger).get("cache")
    return section.get("sha256") if isinstance(section, dict) else None


def read_cache(ledger: Ledger, problems: list[Problem] | None = None) -> dict | None:
    """The cache, only when its bytes are the ones deploystate wrote (their digest is in the anchor,
    out of the work tree); an edited cache is reported in ``problems`` and not used."""
    path = join(ledger.dirname, CACHE)
    try:
        raw = _read_bytes(path)
    except OSError:
        return None
    recorded = _recorded(ledger)
    if recorded != _digest(raw):
        try:
            from deploystate.state.ledger.flock import Flock  # here: a cache whose digest matches needs no lock

            with anchor._locked(ledger) if is_dir(ledger.anchor_dirname) else Flock(None):
                # a writer may have been between its two renames: judge again under its lock
                raw = _read_bytes(path)
                recorded = _recorded(ledger)
        except OSError:
            return None
        if recorded != _digest(raw):
            if recorded is not None and problems is not None:
                problems.append(Problem(path, 0, "", "the projection cache was edited (it is not what "
                                                           "deploystate wrote): rebuilt from the ledger"))
            return None  # no digest at all: never trusted, simply rebuilt
    try:
        data = loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != projection.VERSION:
        return None
    return data


def write_cache(ledger: Ledger, state: dict, size: int, last_hash: str | None, lines: int) -> None:
    import json  # writing: the readers use deploystate.jsonlite
    path, part_path = join(ledger.dirname, CACHE), join(ledger.anchor_dirname, PART)
    tmp = f"{os.path.splitext(path)[0]}.{os.getpid()}.tmp"  # Path.with_suffix's name
    part_tmp = f"{os.path.splitext(part_path)[0]}.{os.getpid()}.tmp"
    head = {"version": projection.VERSION, "ledger_size": size, "ledger_lines": lines, "last_hash": last_hash}
    raw = json.dumps({**head, "state": state}, separators=(",", ":")).encode("utf-8")
    # the part names the cache it was cut from by its size: a cache that was removed (compaction, a failed
    # seal, doctor --fix) takes its part with it
    part = json.dumps({**head, "cache_size": len(raw), "state": {k: state[k] for k in PART_KEYS if k in state}},
                      separators=(",", ":")).encode("utf-8")
    try:
        if not is_dir(ledger.anchor_dirname):
            return  # nothing anchored yet (a read-only copy such as the example): replayed each time
        with anchor._locked(ledger):  # the files and their digests change together
            for name, text, final in ((tmp, raw, path), (part_tmp, part, part_path)):
                with open(name, "wb") as fh:
                    fh.write(text)
                os.replace(name, final)
            anchor.update_locked(ledger, "cache", {"sha256": _digest(raw), "part": _digest(part)}, durable=False)
    except OSError:
        for name in (tmp, part_tmp):
            try:  # a read-only state dir still reads; it just replays each time
                os.unlink(name)
            except FileNotFoundError:
                pass


# The held state per ledger file: (ledger, size, last hash, lines, marshalled state, lines the file was
# written at). marshal, not the object: every load gets a fresh copy, so no caller can change another's.
_HOLD = [False]
_HELD: dict[str, tuple[Ledger, int, str | None, int, bytes, int]] = {}
_HELD_LOCK = _thread.allocate_lock()  # threading.Lock itself, without importing threading (~4M instructions)


def hold_writes(on: bool) -> None:
    """Keep the newest state in memory and write the file every ``LAG`` records (``deploystate serve``)."""
    _HOLD[0] = on
    with _HELD_LOCK:
        _HELD.clear()


def holding() -> bool:
    return _HOLD[0]


def flush_held() -> None:
    """Write every held state the file lags behind (at exit: the next process then starts from it)."""
    with _HELD_LOCK:
        held = list(_HELD.items())
    for key, (ledger, size, last_hash, lines, blob, written) in held:
        if written != lines and hash_ending_at(ledger.file, size) == last_hash:
            write_cache(ledger, marshal.loads(blob), size, last_hash, lines)
            _keep(ledger, blob, size, last_hash, lines, lines)


def _keep(ledger: Ledger, state: dict | bytes, size: int, last_hash: str | None, lines: int, written: int) -> None:
    blob = state if isinstance(state, bytes) else marshal.dumps(state)
    with _HELD_LOCK:
        _HELD[ledger.file] = (ledger, size, last_hash, lines, blob, written)


def _from_held(ledger: Ledger, size: int, write: bool) -> Loaded | None:
    """The held state brought up to ``size``, when the ledger's bytes still end where it was taken."""
    with _HELD_LOCK:
        held = _HELD.pop(ledger.file, None)
    if held is None:
        return None
    _, hsize, hhash, hlines, blob, written = held
    if not (0 <= hsize <= size and hash_ending_at(ledger.file, hsize) == hhash):
        return None  # rewritten, compacted or cut: the file (or a full replay) decides
    state = marshal.loads(blob)
    if hsize == size:
        _keep(ledger, blob, hsize, hhash, hlines, written)
        return Loaded(state)
    res = ledger.read(start=hsize, start_line=hlines)
    if res.problems or not all(r["id"] > state["last_id"] for r in res.records):
        return None
    for rec in res.records:
        projection.apply(state, rec)
    last_hash = hash_ending_at(ledger.file, res.size)
    if write and res.line_count - written >= LAG:
        write_cache(ledger, state, res.size, last_hash, res.line_count)
        written = res.line_count
    _keep(ledger, state, res.size, last_hash, res.line_count, written)
    return Loaded(state, applied=len(res.records))


def load(ledger: Ledger, *, write: bool = True) -> Loaded:
    """Current state, from the cache when it is fresh, incrementally when it is behind."""
    size = os.stat(ledger.file).st_size if exists(ledger.file) else 0
    if _HOLD[0]:
        held = _from_held(ledger, size, write)
        if held is not None:
            return held
    loaded, size, last_hash, lines, written = _load(ledger, size, write)
    if _HOLD[0] and size >= 0 and isinstance(lines, int) and lines >= 0:
        _keep(ledger, loaded.state, size, last_hash, lines, lines if written else -LAG)
    return loaded


def _load(ledger: Ledger, size: int, write: bool) -> tuple[Loaded, int, str | None, int | None, bool]:
    """``load`` from the file: (loaded, the size and last hash it is for, its line count, written)."""
    edited: list[Problem] = []
    cached = read_cache(ledger, edited)
    if cached is not None:
        csize, chash = cached.get("ledger_size", -1), cached.get("last_hash")
        if 0 <= csize <= size and hash_ending_at(ledger.file, csize) == chash:
            if csize == size:  # (edited is empty: a used cache is an unedited one)
                return Loaded(cached["state"]), csize, chash, cached.get("ledger_lines"), True
            res = ledger.read(start=csize, start_line=cached.get("ledger_lines"))
            state = cached["state"]
            if all(r["id"] > state["last_id"] for r in res.records) and not res.problems:
                for rec in res.records:
                    projection.apply(state, rec)
                last_hash = hash_ending_at(ledger.file, res.size)
                if write:
                    write_cache(ledger, state, res.size, last_hash, res.line_count)
                return (Loaded(state, res.problems, applied=len(res.records)), res.size, last_hash,
                        res.line_count, write)
    res = ledger.read(include_archive=True)
    state = projection.build(res.records)
    last_hash = hash_ending_at(ledger.file, res.size)
    written = write and exists(ledger.dirname)
    if written:
        write_cache(ledger, state, res.size, last_hash, res.line_count)
    # a replay that found problems is not held: the next load reports them again
    keep_size = res.size if not (edited or res.problems) else -1
    return (Loaded(state, edited + res.problems, rebuilt=True, applied=len(res.records)), keep_size, last_hash,
            res.line_count, written)
