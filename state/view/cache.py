"""The projection cache: current state kept beside the ledger and brought up to date incrementally.

The cache is keyed to the ledger's size and the hash of its last record, so a
read costs one ``stat`` and one small ``read`` when nothing changed, and only
the new lines when something was appended. Anything unexpected (the file shrank,
its tail changed, a record older than the cache arrived through a merge) means
a full replay: correct first, fast when possible.
"""

from __future__ import annotations

import json
import os
from contextlib import nullcontext

from deploystate.state.ledger import anchor
from . import projection
from deploystate.state.ledger.chain import Problem, sha256_hex
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.reading import hash_ending_at

CACHE = "projection.json"


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


def _recorded(ledger: Ledger) -> str | None:
    section = anchor.read(ledger).get("cache")
    return section.get("sha256") if isinstance(section, dict) else None


def read_cache(ledger: Ledger, problems: list[Problem] | None = None) -> dict | None:
    """The cache, only when its bytes are the ones deploystate wrote (their digest is in the anchor,
    out of the work tree); an edited cache is reported in ``problems`` and not used."""
    path = ledger.dir / CACHE
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    recorded = _recorded(ledger)
    if recorded != _digest(raw):
        try:
            with anchor._locked(ledger) if ledger.anchor_dir.is_dir() else nullcontext():
                # a writer may have been between its two renames: judge again under its lock
                raw = path.read_bytes()
                recorded = _recorded(ledger)
        except OSError:
            return None
        if recorded != _digest(raw):
            if recorded is not None and problems is not None:
                problems.append(Problem(str(path), 0, "", "the projection cache was edited (it is not what "
                                                           "deploystate wrote): rebuilt from the ledger"))
            return None  # no digest at all: never trusted, simply rebuilt
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != projection.VERSION:
        return None
    return data


def write_cache(ledger: Ledger, state: dict, size: int, last_hash: str | None, lines: int) -> None:
    path = ledger.dir / CACHE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    raw = json.dumps({"version": projection.VERSION, "ledger_size": size, "ledger_lines": lines,
                      "last_hash": last_hash, "state": state}, separators=(",", ":")).encode("utf-8")
    try:
        if not ledger.anchor_dir.is_dir():
            return  # nothing anchored yet (a read-only copy such as the example): replayed each time
        with anchor._locked(ledger):  # the file and its digest change together
            tmp.write_bytes(raw)
            os.replace(tmp, path)
            anchor.update_locked(ledger, "cache", {"sha256": _digest(raw)}, durable=False)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only state dir still reads; it just replays each time


def load(ledger: Ledger, *, write: bool = True) -> Loaded:
    """Current state, from the cache when it is fresh, incrementally when it is behind."""
    size = ledger.path.stat().st_size if ledger.path.exists() else 0
    edited: list[Problem] = []
    cached = read_cache(ledger, edited)
    if cached is not None:
        csize, chash = cached.get("ledger_size", -1), cached.get("last_hash")
        if 0 <= csize <= size and hash_ending_at(ledger.path, csize) == chash:
            if csize == size:
                return Loaded(cached["state"])  # (edited is empty: a used cache is an unedited one)
            res = ledger.read(start=csize, start_line=cached.get("ledger_lines"))
            state = cached["state"]
            if all(r["id"] > state["last_id"] for r in res.records) and not res.problems:
                for rec in res.records:
                    projection.apply(state, rec)
                if write:
                    write_cache(ledger, state, res.size, hash_ending_at(ledger.path, res.size), res.line_count)
                return Loaded(state, res.problems, applied=len(res.records))
    res = ledger.read(include_archive=True)
    state = projection.build(res.records)
    if write and ledger.dir.exists():
        write_cache(ledger, state, res.size, hash_ending_at(ledger.path, res.size), res.line_count)
    return Loaded(state, edited + res.problems, rebuilt=True, applied=len(res.records))
