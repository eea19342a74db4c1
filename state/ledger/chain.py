"""Hash chaining of ledger records and its verification (pure, standard library only).

Records form a hash DAG: each names, in ``prev``, the hash of the last record
its writer had seen. Two writers appending at once (two clones, two machines)
produce a fork; a union merge keeps both sides and the DAG still verifies.
What must never verify: a changed record (its hash no longer matches), a
deleted one (a child names a parent nobody has), or one moved above its parent.
"""

from __future__ import annotations

from deploystate.jsonlite import canonical_encoder

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Iterable

try:  # the interpreter's own small sha256 module: hashlib loads OpenSSL, ~2.5 ms of a hook's start
    from _sha2 import sha256 as _builtin_sha256  # 3.12+
except ImportError:
    try:
        from _sha256 import sha256 as _builtin_sha256  # 3.11
    except ImportError:
        _builtin_sha256 = None

HASH_FIELD = "hash"
BULK = 1 << 18  # bytes hashed by the built-in before hashlib takes over (OpenSSL is several times faster)
_hashed = 0
# json.dumps with these arguments builds a new encoder per call; one built once gives the same text (json's
# own C encoder, built without importing json: a hook digests segment sidecars with it)
_ENCODE = canonical_encoder()


def canonical(obj: dict) -> str:
    """The one serialisation used for hashing and for writing lines."""
    return _ENCODE(obj)


def sha256_hex(data: bytes) -> str:
    """sha256 of ``data`` as hex: the built-in module for the little a hook hashes, hashlib (OpenSSL)
    once a process has hashed more than ``BULK`` bytes (a full verification). Same digest either way."""
    global _hashed
    _hashed += len(data)
    if _builtin_sha256 is not None and _hashed <= BULK:
        return _builtin_sha256(data).hexdigest()
    import hashlib

    return hashlib.sha256(data).hexdigest()


def record_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != HASH_FIELD}
    return sha256_hex(canonical(body).encode("utf-8"))


def seal(record: dict) -> dict:
    """Return ``record`` with its ``hash`` field set."""
    sealed = {k: v for k, v in record.items() if k != HASH_FIELD}
    sealed[HASH_FIELD] = record_hash(sealed)
    return sealed


# A plain class, not a dataclass: importing dataclasses (and inspect) costs every hook process ~8 ms.
class Problem:
    """One thing wrong with a ledger file; ``line`` is 1-based, 0 when not tied to a line."""

    def __init__(self, file: str, line: int, record_id: str, message: str) -> None:
        for name, value in (("file", file), ("line", line), ("record_id", record_id), ("message", message)):
            object.__setattr__(self, name, value)  # immutable afterwards, as a frozen dataclass

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Problem is immutable (cannot set {name})")

    def _key(self) -> tuple:
        return (self.file, self.line, self.record_id, self.message)

    def __eq__(self, other: object) -> bool:
        return type(other) is Problem and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Problem(file={!r}, line={!r}, record_id={!r}, message={!r})".format(*self._key())

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ChainReport:
    def __init__(self, records: int = 0, forks: int = 0, duplicates: int = 0,
                 problems: list[Problem] | None = None) -> None:
        self.records = records
        self.forks = forks            # records whose parent already had a child (merged concurrent appends)
        self.duplicates = duplicates  # identical records present twice (harmless after a union merge)
        self.problems: list[Problem] = [] if problems is None else problems

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChainReport) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ChainReport({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(lines: Iterable[tuple[str, int, dict]], known: set[str] | None = None) -> ChainReport:
    """Check records given as ``(file, line, record)`` in file order (archive first, then live).

    ``known`` holds hashes already verified elsewhere (for example an archive read earlier).
    """
    report = ChainReport()
    seen: dict[str, tuple[str, int]] = {}  # hash -> where
    ids: dict[str, str] = {}               # id -> hash
    children: set[str] = set()
    pending: list[tuple[str, int, dict]] = []
    known = set(known or ())
    for file, line, rec in lines:
        report.records += 1
        rid = str(rec.get("id", "?"))
        stored = rec.get(HASH_FIELD)
        actual = record_hash(rec)
        if stored != actual:
            report.problems.append(Problem(file, line, rid, f"record {rid} was changed after it was written "
                                                           "(its hash does not match its content)"))
            seen[stored] = (file, line)  # its children still link to it: report the edit once
            continue
        if rid in ids:
            if ids[rid] == stored:
                report.duplicates += 1
                continue
            report.problems.append(Problem(file, line, rid, f"two different records share the id {rid}"))
            continue
        ids[rid] = stored
        prev = rec.get("prev")
        if prev is not None and prev not in seen and prev not in known:
            pending.append((file, line, rec))
        if prev is not None:
            if prev in children:
                report.forks += 1
            children.add(prev)
        seen[stored] = (file, line)
    for file, line, rec in pending:
        rid = str(rec.get("id", "?"))
        prev = rec["prev"]
        if prev in seen:
            pfile, pline = seen[prev]
            report.problems.append(Problem(file, line, rid, f"record {rid} stands before its parent "
                                                           f"({pfile}:{pline}): records were reordered"))
        else:
            report.problems.append(Problem(file, line, rid, f"record {rid} names parent {prev[:12]} that is "
                                                           "nowhere in the ledger: a record was deleted"))
    return report
