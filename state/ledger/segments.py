"""Closed segments: the oldest archived records, compressed, never written again (standard library only).

Compaction moves a prefix of the ledger into ``archive.jsonl``; once that file holds ``RECORDS`` lines
or more, its first ``RECORDS`` lines are sealed into ``archive/NNNNNN.jsonl.z`` (zlib level 9 of the very
bytes, so every clone sealing the same records makes the same file) with a sidecar ``NNNNNN.json``:
record count, first and last ``hash``, sha256 and length of the uncompressed bytes, sha256 and length
of the compressed ones. The lines are unchanged, so every record keeps its hash, and the history reads
segments in order, then ``archive.jsonl``, then ``ledger.jsonl``: one chain, verified as before.

Trust: a segment's records are parsed and re-hashed from the bytes compressed, once, when it is sealed.
The anchor holds the number of segments and a digest of their sidecars (``anchored``), so a sidecar
edited, a segment removed or one of another size is TAMPERED at the next decision (``problems``: a
listing and a few stats). Every read of a segment decompresses it and checks it against its sidecar;
bytes that do not match are reported as a problem of the chain (never a pass, never silently skipped).
An anchor that names segments is written as version 2, which an older deploystate cannot read: it
refuses the ledger (TAMPERED, unknown format) instead of reading an archive that seems to start late.
"""

from __future__ import annotations

import os

from deploystate.jsonlite import loads
from deploystate.ospath import is_dir, join, read_text
from . import chain
from .reading import ReadResult, parse_lines

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Iterator

    from .ledger import Ledger

DIR = "archive"
RECORDS = 65536  # records per closed segment: cut at chain positions, so every clone cuts the same records
MARGIN = 16384  # live lines kept beyond a whole segment before one is sealed (``sealing.seal_live``)
LEVEL = 9
FORMAT = 1
TAMPERED = "TAMPERED"


def folder_dir(ledger: "Ledger") -> str:
    """The segments' folder as a str (the hooks read it without pathlib)."""
    return join(ledger.dirname, DIR)


def folder(ledger: "Ledger") -> Path:
    from pathlib import Path

    return Path(folder_dir(ledger))


def present(ledger: "Ledger") -> bool:
    return is_dir(folder_dir(ledger))


def _name(n: int, ext: str) -> str:
    return f"{n:06d}.{ext}"


def count(ledger: "Ledger") -> int:
    """How many segments the folder holds, gaps included. The sidecar, written after its data file, makes
    a segment: a data file alone is what a seal that stopped left, ignored and written again."""
    try:
        names = os.listdir(folder_dir(ledger))
    except OSError:
        return 0
    nums = [int(n[:6]) for n in names if n[:6].isdigit() and n[6:] == ".json"]
    return max(nums) + 1 if nums else 0


def sealed_records(ledger: "Ledger") -> int:
    """Records the sidecars say the segments hold."""
    return sum(int(s.get("records") or 0) for s in sidecars(ledger)[0]) if present(ledger) else 0


# What this process last read of each segments folder, keyed by the stat of every sidecar and data file
# (inode, size, mtime and ctime in ns: an edit, a replacement or a rename into place changes one of them).
# Why: every decision asks ``problems``, and re-reading and re-digesting every sidecar made an append
# grow with the number of segments (x3 per decade of records from 100k to 1M).
_SEEN: dict[str, tuple[tuple, list[dict], list[str], dict[int, str]]] = {}


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _seen(ledger: "Ledger") -> tuple[tuple, list[dict], list[str], dict[int, str]]:
    where, n = folder_dir(ledger), count(ledger)
    key = tuple((_stamp(join(where, _name(i, "json"))), _stamp(join(where, _name(i, "jsonl.z")))) for i in range(n))
    kept = _SEEN.get(where)
    if kept is None or kept[0] != key:
        sides, bad = _read_sidecars(ledger, n)
        kept = _SEEN[where] = (key, sides, bad, {})
    return kept


def sidecars(ledger: "Ledger") -> tuple[list[dict], list[str]]:
    """The sidecars in order, and what is wrong with the folder (a gap, an unreadable sidecar, a data
    file missing or of another length than its sidecar says)."""
    _, sides, bad = _seen(ledger)[:3]
    return [dict(s) for s in sides], list(bad)


def _digest_of(ledger: "Ledger", n: int) -> tuple[list[dict], list[str], str]:
    """``sidecars`` and the digest of the first ``n`` of them, digested once per state of the folder."""
    _, sides, bad, digests = _seen(ledger)
    if n not in digests:
        digests[n] = _digest(sides[:n])
    return [dict(s) for s in sides], list(bad), digests[n]


def _read_sidecars(ledger: "Ledger", count_now: int) -> tuple[list[dict], list[str]]:
    out, bad, where = [], [], folder_dir(ledger)
    for n in range(count_now):
        side = join(where, _name(n, "json"))
        try:
            data = loads(read_text(side))
            if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("segment") != n:
                raise ValueError("not a segment sidecar")
        except (OSError, ValueError) as exc:
            bad.append(f"{TAMPERED}: closed segment {n} of {where} has no readable sidecar ({exc})")
            data = {"segment": n}
        try:
            size = os.stat(join(where, _name(n, "jsonl.z"))).st_size
        except OSError:
            bad.append(f"{TAMPERED}: closed segment {_name(n, 'jsonl.z')} is missing from {where}: "
                       "its records are gone")
        else:
            if "zlength" in data and size != data["zlength"]:
                bad.append(f"{TAMPERED}: closed segment {_name(n, 'jsonl.z')} in {where} is {size} bytes, "
                           f"its sidecar says {data['zlength']}: it was replaced or edited")
        out.append(data)
    return out, bad


def _digest(sides: list[dict]) -> str:
    return chain.sha256_hex("".join(chain.canonical(s) + "\n" for s in sides).encode("utf-8"))


def anchored(ledger: "Ledger") -> dict[str, Any] | None:
    """What the anchor keeps of the segments: their number and the digest of their sidecars."""
    n = count(ledger)
    if not n:
        return None
    sides, _bad = sidecars(ledger)
    return {"count": n, "digest": _digest(sides)}


def problems(ledger: "Ledger", held: Any) -> list[str]:
    """What changed under the anchored segments (``held``, from the anchor's head)."""
    if not held and not present(ledger):
        return []
    if not isinstance(held, dict) or not isinstance(held.get("count"), int):
        bad = sidecars(ledger)[1]
        return bad + ([f"{TAMPERED}: the anchor's record of closed segments is unreadable"] if held else [])
    n = held["count"]
    sides, bad, digest = _digest_of(ledger, n)
    if len(sides) < n:
        bad.append(f"{TAMPERED}: {folder_dir(ledger)} holds {len(sides)} closed segments, {n} were anchored: "
                   "records were deleted")
    elif digest != held.get("digest"):
        bad.append(f"{TAMPERED}: the sidecars of the closed segments in {folder_dir(ledger)} are not the ones "
                   "anchored: a segment or its sidecar was replaced or edited")
    return bad


def _verified(ledger: "Ledger", n: int, side: dict) -> bytes:
    """The uncompressed bytes of segment ``n``, checked against its sidecar; ValueError when they differ."""
    import zlib  # here: a decision reads the sidecars only; decompressing a segment is a full read's work

    try:
        with open(join(folder_dir(ledger), _name(n, "jsonl.z")), "rb") as fh:
            raw = fh.read()
        data = zlib.decompress(raw)
    except (OSError, zlib.error) as exc:
        raise ValueError(f"cannot be read ({exc})") from exc
    if len(data) != side.get("length") or chain.sha256_hex(data) != side.get("sha256"):
        raise ValueError("its bytes are not the ones its sidecar describes (edited or replaced)")
    return data


def texts(ledger: "Ledger") -> Iterator[bytes]:
    """Each segment's uncompressed bytes, oldest first; one that does not verify is left out (the chain
    check reports it, so a decision never rests on it)."""
    sides, _bad = sidecars(ledger)
    for n, side in enumerate(sides):
        try:
            yield _verified(ledger, n, side)
        except ValueError:
            continue


def read_into(ledger: "Ledger", result: ReadResult) -> None:
    """Add every segment's records to ``result``, oldest first; whatever cannot be read or does not match
    its sidecar is a problem of the chain."""
    sides, bad = sidecars(ledger)
    for msg in bad:
        result.problems.append(chain.Problem(folder_dir(ledger), 0, "", msg))
    for n, side in enumerate(sides):
        label = join(folder_dir(ledger), _name(n, "jsonl.z"))
        try:
            data = _verified(ledger, n, side)
        except ValueError as exc:
            result.problems.append(chain.Problem(label, 0, "", f"{TAMPERED}: closed segment {n} {exc}"))
            continue
        parse_lines(data, label, 0, result)


def fingerprint(ledger: "Ledger") -> list[list[Any]] | None:
    """Name, size, mtime, inode and ctime of every file of the folder (the chain mark's key); None when empty."""
    try:
        names = sorted(os.listdir(folder_dir(ledger)))
    except OSError:
        return None
    out = []
    for name in names:
        try:
            st = os.stat(join(folder_dir(ledger), name))
        except OSError:
            continue
        out.append([name, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns])
    return out or None


def archive_key(ledger: "Ledger", plain: list[int] | None) -> list | None:
    """The chain mark's stat key of the archive: ``archive.jsonl``'s (``plain``), with the segments'."""
    sealed = fingerprint(ledger) if present(ledger) else None
    return [plain, sealed] if sealed else plain


def archive_digest(ledger: "Ledger", plain: str, deep: bool) -> str:
    """The chain mark's content key of the archive: ``archive.jsonl``'s sha256 (``plain``), chained with
    the segments' content digest when there are any."""
    sealed = content_digest(ledger, deep=deep) if present(ledger) else None
    return plain if sealed is None else chain.sha256_hex(f"{plain}:{sealed}".encode())


def content_digest(ledger: "Ledger", *, deep: bool = False) -> str | None:
    """sha256 over the sidecars and the compressed bytes (content, not inodes: survives a copy); None
    without segments. ``deep``: each segment is also decompressed and checked against its sidecar
    (a mismatch gives a digest no mark holds, so the chain is verified again in full)."""
    import hashlib

    sides, bad = sidecars(ledger)
    if not sides:
        return None
    h = hashlib.sha256(_digest(sides).encode())
    for n, side in enumerate(sides):
        try:
            with open(join(folder_dir(ledger), _name(n, "jsonl.z")), "rb") as fh:
                h.update(fh.read())
            if deep:
                _verified(ledger, n, side)
        except (OSError, ValueError):
            bad.append(str(n))
    return "unverifiable" if bad else h.hexdigest()


def _atomic(path: str | os.PathLike[str], body: bytes) -> None:
    path = os.fspath(path)
    tmp = join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def live_due(head: dict[str, Any]) -> bool:
    """Does an anchored head count more live lines than a segment and its margin (O(1), every append)?"""
    lines = head.get("live_lines")
    return isinstance(lines, int) and lines > RECORDS + MARGIN
