"""Sealing closed segments: from ``archive.jsonl`` (compaction) and from the live file by count (every append).

Automatic sealing: when an append leaves ``ledger.jsonl`` holding more than ``segments.RECORDS + MARGIN``
lines (the anchored head counts them, so the test is O(1)), the oldest whole segment is sealed under the
ledger lock: ``archive.jsonl``'s lines (left by a compaction) then the first live lines up to
``RECORDS``, in reading order, so the history reads the same sequence of lines as before. The lines are
unchanged, every record keeps its hash, and readers already read segments first.

Crash safety (each step is an atomic rename of an fsynced file): the data file, then its sidecar (which
names how many bytes came from each file and their sha256), then the live file without those lines,
then an empty ``archive.jsonl``, then the anchor. A crash leaves records twice (never missing), which
every reader de-duplicates by id and the chain counts as duplicates; ``finish`` cuts them at the next
seal, recognising the cut bytes by the sidecar's digests. Only a ledger that matches its anchor is
sealed (sealing re-anchors, so it must never launder damage).
"""

from __future__ import annotations

import json
import sys
import zlib

from deploystate.state.tamper import anchor, anchorhead
from . import chain, segments
from .segments import _atomic

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any

    from .ledger import Ledger


def _prefix(data: bytes, lines: int, start: int = 0) -> int:
    """Where the ``lines`` whole lines of ``data`` from ``start`` end (from 0: the byte length of the first
    ``lines``); 0 when there are fewer."""
    at = start
    for _ in range(lines):
        nl = data.find(b"\n", at)
        if nl < 0:
            return 0
        at = nl + 1
    return at


def due(ledger: "Ledger") -> bool:
    """Does ``archive.jsonl`` hold a whole segment's lines (a seal to make, or one to finish)?"""
    try:
        with open(ledger.archive_path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) >= segments.RECORDS
    except FileNotFoundError:
        return False


def seal(ledger: "Ledger") -> int:
    """Seal whole segments from the head of ``archive.jsonl`` while it holds ``RECORDS`` lines; returns how
    many. Call with the ledger lock held, after the chain was verified. The segment and its sidecar are
    durable before the archive loses those lines: a crash in between leaves them twice (finished here
    next time), never missing."""
    from deploystate.state.errors import LedgerError

    sealed = 0
    while True:
        try:
            data = ledger.archive_path.read_bytes()
        except FileNotFoundError:
            return sealed
        n = segments.count(ledger)
        if n:
            sides, bad = segments.sidecars(ledger)
            if bad:
                raise LedgerError(bad[0], "run `deploystate doctor`: restore the archive folder from a copy")
            last = sides[-1]
            done = _prefix(data, int(last.get("records") or 0))
            if done and done == last.get("length") and chain.sha256_hex(data[:done]) == last.get("sha256"):
                _atomic(ledger.archive_path, data[done:])  # a seal that stopped before the archive was cut
                continue
        end = _prefix(data, segments.RECORDS)
        if not end:
            return sealed
        write(ledger, n, data[:end])
        _atomic(ledger.archive_path, data[end:])
        sealed += 1


def write(ledger: "Ledger", n: int, body: bytes, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seal ``body`` (whole lines) as segment ``n``: every line parsed and re-hashed, compressed, checked by
    decompressing, then the data file and its sidecar (with ``extra``) made durable; returns the sidecar."""
    from deploystate.state.errors import LedgerError

    try:
        recs = [json.loads(line) for line in body.split(b"\n")[:-1]]
    except ValueError as exc:
        raise LedgerError("a line to seal is not a record: not sealed", "run `deploystate doctor`") from exc
    wrong = [r.get("id") if isinstance(r, dict) else "?" for r in recs
             if not isinstance(r, dict) or chain.record_hash(r) != r.get("hash")]
    if wrong:
        raise LedgerError(f"records {wrong[:3]} do not match their hashes: not sealed", "run `deploystate doctor`")
    packed = zlib.compress(body, segments.LEVEL)
    if zlib.decompress(packed) != body:
        raise LedgerError("a closed segment did not decompress to its records: not sealed", "try again")
    side = {"format": segments.FORMAT, "segment": n, "records": len(recs), "first": recs[0].get("hash"),
            "last": recs[-1].get("hash"), "length": len(body), "sha256": chain.sha256_hex(body),
            "zlength": len(packed), "zsha256": chain.sha256_hex(packed), **(extra or {})}
    segments.folder(ledger).mkdir(exist_ok=True)
    _atomic(segments.folder(ledger) / segments._name(n, "jsonl.z"), packed)
    _atomic(segments.folder(ledger) / segments._name(n, "json"), (chain.canonical(side) + "\n").encode("utf-8"))
    return side


def _read(path: Any) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def finish(ledger: "Ledger") -> bool:
    """Cut what a seal from the live file that stopped part-way left twice: the live file's and the
    archive's bytes the last segment's sidecar names, when their sha256 says they are those. Lock held."""
    sides, bad = segments.sidecars(ledger)
    if bad or not sides or "live_sha256" not in sides[-1]:
        return False
    side, cut = sides[-1], False
    for path, length, digest in ((ledger.path, side.get("live_length"), side.get("live_sha256")),
                                 (ledger.archive_path, side.get("archive_length"), side.get("archive_sha256"))):
        data = _read(path)
        if isinstance(length, int) and 0 < length <= len(data) and chain.sha256_hex(data[:length]) == digest:
            _atomic(path, data[length:])
            cut = True
    return cut


def seal_live(ledger: "Ledger") -> int:
    """Seal the oldest whole segment(s) while the live file holds more than ``RECORDS + MARGIN`` lines;
    returns how many were sealed. Call with the ledger lock held; refuses (0) a ledger that does not match
    its anchor, or whose files end in a torn line (the next writer quarantines it first)."""
    held = anchor.read(ledger)
    # (a torn line first: a reader meeting one takes the lock to quarantine it, which we hold)
    if anchor.problems(ledger, held) or any(_torn(p) for p in (ledger.archive_path, ledger.path)):
        return 0
    kept = _before(ledger)
    if kept is None:
        return 0  # a chain that does not verify is left as it is: doctor first
    state, mark, memory = kept
    changed = finish(ledger)
    changed = bool(seal(ledger)) or changed  # whole segments a compaction left in archive.jsonl
    archive, live = _read(ledger.archive_path), _read(ledger.path)
    # Every due segment is written first, then each file is cut once. Each sidecar names the live bytes
    # taken up to its own end, from the live file as it is now (and the whole archive): ``finish`` cuts
    # what the last one names, so a crash between two of them still loses and keeps nothing twice.
    import hashlib

    left, at, sealed, taken = live.count(b"\n"), 0, 0, hashlib.sha256()
    first = archive
    while left > segments.RECORDS + segments.MARGIN:
        want = segments.RECORDS - first.count(b"\n")
        end = _prefix(live, want, at)
        taken.update(memoryview(live)[at:end])
        extra = {"live_length": end, "live_sha256": taken.copy().hexdigest()}
        if archive:
            extra.update(archive_length=len(archive), archive_sha256=chain.sha256_hex(archive))
        write(ledger, segments.count(ledger), first + live[at:end], extra)
        left, at, first, sealed = left - want, end, b"", sealed + 1
    if sealed:
        _atomic(ledger.path, live[at:])
        if archive:
            _atomic(ledger.archive_path, b"")
    if changed or sealed:
        anchorhead.set_head(ledger, anchorhead.head_now(ledger, held.get("chain")))
        # the memory index is re-keyed only from the files exactly as it had seen them: a seal that also
        # finished an earlier one or sealed compaction's archive rebuilds it
        try:
            _after(ledger, state, mark, None if changed else (memory, archive, live, at))
        except Exception:  # noqa: BLE001 - derived files only: forgotten, each is rebuilt by its next reader
            from deploystate.state.memory import memindex
            from deploystate.state.view import cache

            (ledger.dir / cache.CACHE).unlink(missing_ok=True)
            memindex.drop(ledger)
    return sealed


def _torn(path: Any) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            if not fh.tell():
                return False
            fh.seek(-1, 2)
            return fh.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _before(ledger: "Ledger") -> tuple[Any, Any, Any] | None:
    """The projection, the chain mark and the memory index (None when only a rebuild could give it),
    current with the files before the seal (each reads only what it has not seen yet); None when the
    chain fails."""
    from deploystate.state.memory import memindex
    from deploystate.state.view import cache

    from deploystate.state.tamper import chainmark

    status = chainmark.check(ledger)
    if not status.ok:
        return None
    loaded = cache.load(ledger)
    try:
        memory = memindex.current(ledger)
    except Exception:  # noqa: BLE001 - a cache: rebuilt after the seal instead
        memory = None
    return (None if loaded.problems else loaded.state), chainmark._read_mark(ledger), memory


def _rekey_memory(ledger: "Ledger", before: Any) -> bool:
    """Re-key the memory index from the one current just before the seal (``rekey``: one pass over its
    attempts, never the history); False when it cannot be (then it is rebuilt)."""
    from deploystate.state.memory import rekey

    return before is not None and before[0] is not None and rekey.apply(ledger, *before)


def _after(ledger: "Ledger", state: Any, mark: Any, memory: Any = None) -> None:
    """Re-key what a seal moved under: the same records in the same order, so the projection, a verdict
    of the chain that held before and the memory index still hold, their positions moved by the cut;
    a memory index that cannot be re-keyed is rebuilt now, so the appends after this one stay incremental."""
    from deploystate.state.memory import memindex
    from deploystate.state.view import cache

    from deploystate.state.tamper import chaincontent, chainmark
    from .reading import hash_ending_at

    size = anchor._size(ledger.path)
    tail, lines = hash_ending_at(ledger.path, size), anchorhead.count_lines(ledger.path, 0, size)
    if state is not None:
        cache.write_cache(ledger, state, size, tail, lines)
    content = mark.get("content") if isinstance(mark, dict) else None
    got = chaincontent.digests(ledger, [size] if size else []) if isinstance(content, dict) else None
    if got is not None:
        records = segments.sealed_records(ledger) + anchorhead.count_lines(ledger.archive_path, 0,
                                                                   anchor._size(ledger.archive_path)) + lines
        new = {"size": size, "ends": [size] if size else [], "live": got[0], "archive": got[1], "tail": tail,
               "lines": lines, "records": records, "forks": content.get("forks", 0),
               "duplicates": content.get("duplicates", 0)}
        chainmark._write_mark(ledger, chainmark._fingerprint(ledger.path), size,
                              segments.archive_key(ledger, chainmark._fingerprint(ledger.archive_path)), tail,
                              True, [], lines, new)
    if not _rekey_memory(ledger, memory):
        memindex.drop(ledger)
        memindex.load(ledger)


def after_append(ledger: "Ledger") -> int:
    """The append path's seal, once the anchored head says the live file is due (``segments.live_due``).
    A failure is said on stderr and never raised: the records appended are durable; the next append seals."""
    try:
        return seal_live(ledger)
    except Exception as exc:  # noqa: BLE001 - the append was acknowledged: raising now would say it was not
        print(f"deploystate: the ledger's oldest records were not sealed this time ({exc})", file=sys.stderr)
        return 0
