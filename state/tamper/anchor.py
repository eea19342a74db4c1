"""The ledger's anchor: its head (size, record count, last hash) kept where the work tree cannot reach.

The chain alone cannot tell an honest ledger from one that was emptied, cut at
its tail, or re-hashed from an edit onward: each of those still verifies. The
anchor remembers where the ledger ended the last time deploystate wrote it, so
any of them is seen as TAMPERED: the bytes up to the anchored end must still end
with the anchored record. By default it sits in the git common directory
(``location.anchor_home``), which no git operation on the work tree touches.

One JSON file, sections written by different parts under ``anchor.lock``:
``chain`` (the ledger, on every append, sync merge and compaction), ``mark``
(chainmark's verified verdict), ``cache`` (the projection cache's digest),
``config`` (state_dir / deploy_branches as last acknowledged), ``legacy``
(what was imported from an old in-tree ``.deploystate``). Standard library only.
Lock order: ``ledger.lock`` before ``anchor.lock``, never the other way round.
"""

from __future__ import annotations

import os

from deploystate.jsonlite import loads
from deploystate.ospath import is_dir, join, read_text
from deploystate.state.ledger import segments
from deploystate.state.ledger.reading import hash_ending_at

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path

    from deploystate.state.ledger.flock import Flock
    from typing import Any

    from deploystate.state.ledger.ledger import Ledger

ANCHOR = "anchor.json"
LOCK = "anchor.lock"
VERSION = 1
SEGMENTED = 2  # an anchor naming closed segments: an older deploystate cannot read it, so it refuses
TAMPERED = "TAMPERED"


def file_of(ledger: "Ledger") -> str:
    """The anchor's file (a str: the hooks read it without pathlib)."""
    return join(ledger.anchor_dirname, ANCHOR)


def path_of(ledger: "Ledger") -> Path:
    from deploystate.ospath import as_path

    return as_path(file_of(ledger))


def read(ledger: "Ledger") -> dict[str, Any]:
    """The anchor, {} when there is none. An unreadable anchor is kept as a marker, never ignored."""
    try:
        raw = read_text(file_of(ledger))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        return {"unreadable": str(exc)}
    try:
        data = loads(raw)
    except ValueError:
        return {"unreadable": "not valid JSON"}
    if not isinstance(data, dict) or data.get("version") != _version(data):
        return {"unreadable": "unknown format"}
    return data


def _version(data: dict[str, Any]) -> int:
    head = data.get("chain")
    return SEGMENTED if isinstance(head, dict) and head.get("segments") else VERSION


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _write_tmp(ledger: "Ledger", data: dict[str, Any], durable: bool) -> str:
    """``data`` written to the anchor's temp file (removed again when the write fails)."""
    import json  # writing: the readers use deploystate.jsonlite
    tmp = join(ledger.anchor_dirname, f".{ANCHOR}.{os.getpid()}.tmp")
    body = json.dumps({**data, "version": _version(data)}, sort_keys=True, separators=(",", ":")).encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        _unlink(tmp)
        raise
    return tmp


def _write(ledger: "Ledger", data: dict[str, Any], durable: bool = True) -> None:
    tmp = _write_tmp(ledger, data, durable)
    try:
        os.replace(tmp, file_of(ledger))
    except OSError:
        _unlink(tmp)
        raise


def _locked(ledger: "Ledger") -> Flock:
    """``with _locked(ledger):`` holds ``anchor.lock`` (the anchor's directory created)."""
    from deploystate.state.ledger.flock import Flock  # here: reading the anchor takes no lock (a warm hook never locks)

    return Flock(join(ledger.anchor_dirname, LOCK))


def update_locked(ledger: "Ledger", section: str, value: Any, *, durable: bool = True) -> None:
    """``update`` for a caller that holds ``anchor.lock`` already. ``durable=False`` for a digest of a
    derived cache: losing it in a crash only means the cache is distrusted and rebuilt."""
    data = read(ledger)
    if "unreadable" not in data:
        data[section] = value
        _write(ledger, data, durable)


def update(ledger: "Ledger", section: str, value: Any, *, quiet: bool = True) -> bool:
    """Replace one section. ``quiet``: a read-only or full disk is not an error (caches only).
    Readers never create the anchor's folder: only a write to the ledger does (``set_head``)."""
    if quiet and not is_dir(ledger.anchor_dirname):
        return False
    try:
        with _locked(ledger):
            data = read(ledger)
            if "unreadable" in data:
                return False  # never overwrite evidence: doctor reports it
            data[section] = value
            _write(ledger, data)
        return True
    except OSError:
        if quiet:
            return False
        raise


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _names(ledger: "Ledger", what: str) -> str:
    return f"{os.path.basename(ledger.file if what == 'live' else ledger.archive_file)} in {ledger.dirname}"


def problems(ledger: "Ledger", data: dict[str, Any] | None = None) -> list[str]:
    """What changed under the anchor: a file shorter than anchored, or not ending where it did."""

    data = read(ledger) if data is None else data
    if "unreadable" in data:
        return [f"{TAMPERED}: the ledger's anchor {file_of(ledger)} is unreadable ({data['unreadable']})"]
    head = data.get("chain")
    if not isinstance(head, dict):
        return []
    out = segments.problems(ledger, head.get("segments"))
    if head.get("dir") not in (None, ledger.key):
        out.append(f"{TAMPERED}: the ledger moved: it was anchored at state_dir {head.get('dir')!r}, "
                   f"now {ledger.key!r} is read")
    for what, path in (("live", ledger.file), ("archive", ledger.archive_file)):
        end, tail, count = head.get(f"{what}_size") or 0, head.get(f"{what}_tail"), head.get(f"{what}_lines")
        size = _size(path)
        if not end:
            continue
        if size == 0 and not (what == "archive" and _still_holds(ledger, tail, count)):
            # (a seal from the live file empties archive.jsonl into a segment before the anchor follows)
            out.append(f"{TAMPERED}: {_names(ledger, what)} was emptied or removed: it held {count} records "
                       f"({end} bytes) at its anchor")
        elif size < end and not _still_holds(ledger, tail, count):
            out.append(f"{TAMPERED}: {_names(ledger, what)} is shorter than its anchor: {size} bytes, anchored "
                       f"at {end} bytes ({count} records): records were deleted or its tail was cut")
        elif hash_ending_at(path, end) != tail and not _still_holds(ledger, tail, count):
            out.append(f"{TAMPERED}: {_names(ledger, what)} diverges from its anchor: the record ending at byte "
                       f"{end} (record {count}) is no longer {str(tail)[:12]}: records were edited, re-hashed "
                       "or replaced")
    return out


def _still_holds(ledger: "Ledger", tail: str | None, count: int | None) -> bool:
    """The anchored record is still there, though not at its byte offset (a merge re-ordered lines, a
    restore or compaction rewrote the file), and no fewer lines remain. With a chain that verifies
    (checked by the callers that decide) every ancestor of that record is then present too; a
    re-hash from an edit onward changes the anchored record's hash, so it is never found."""
    if not tail:
        return False
    needle = f'"{_HASH}":"{tail}"'.encode()
    found, lines = False, 0
    for path in (ledger.archive_file, ledger.file):  # compaction moves a prefix into the archive
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        found = found or needle in data
        lines += data.count(b"\n")
    found = found or (segments.present(ledger) and any(needle in data for data in segments.texts(ledger)))
    return found and lines + segments.sealed_records(ledger) >= (count or 0)  # a seal moves archive lines


_HASH = "hash"
