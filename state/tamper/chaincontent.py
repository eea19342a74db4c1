"""The content key of the chain mark: what a check re-hashes instead of trusting a stat.

A digest chained over segments of the live file (``ends``), the archive's digest, the hash of the record
at the key's end (``tail``). Only bytes verified in the very check that hashed them ever enter the key, so
a copy of the repository (new inodes, no stat match) or doctor's deep check re-reads at most about one
segment beyond the key. Split from ``chainmark``, which decides when the key is asked.
"""

from __future__ import annotations

from deploystate.jsonlite import loads
from deploystate.ospath import exists
from deploystate.state.ledger import chain, segments
from deploystate.state.ledger.ledger import Ledger

SEGMENT = 1 << 20  # bytes: what a content check re-parses at most beyond the last segment end


def appended(lines: list[tuple[str, int, dict]], tail: str | None) -> tuple[bool, list[str]] | None:
    """Verify records appended after ``tail``; None when they do not simply extend it."""
    known = {tail}
    problems = []
    for file, line, rec in lines:
        stored = rec.get(chain.HASH_FIELD)
        if chain.record_hash(rec) != stored:
            problems.append(f"{file}:{line}: record {rec.get('id', '?')} was changed after it was written "
                            "(its hash does not match its content)")
            continue
        if rec.get("prev") not in known:
            return None  # merged from another clone (a fork): only a full verification can judge it
        known.add(stored)
    return (not problems, problems)


def fold(digest: str, segment: "hashlib._Hash") -> str:
    """The content digest after one more segment: sha256(previous digest + sha256(segment))."""
    import hashlib  # here: only a content check hashes megabytes (a warm hook never loads OpenSSL)

    return hashlib.sha256(bytes.fromhex(digest) + segment.digest()).hexdigest()


START = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b""): no segments


def digests(ledger: Ledger, ends: list[int], deep: bool = False) -> tuple[str, str, bytes] | None:
    """(the chained digest of live's segments ending at ``ends``, sha256 of the archive, live's bytes
    after the last end); None when the file is shorter. Read in 1 MiB pieces into one buffer: the
    verified prefix (most of the file) is never copied whole."""
    import hashlib

    digest = START
    try:
        if not exists(ledger.file):
            return None if ends else (digest, archive_digest_of(ledger, deep), b"")
        with open(ledger.file, "rb") as fh:
            buf = memoryview(bytearray(1 << 20))
            at = 0
            for end in ends:
                h = hashlib.sha256()
                while at < end:
                    got = fh.readinto(buf[: min(end - at, len(buf))])
                    if not got:
                        return None  # shorter than the verified prefix
                    h.update(buf[:got])
                    at += got
                digest = fold(digest, h)
            rest = fh.read()
        return digest, archive_digest_of(ledger, deep), rest
    except OSError:
        return None


def archive_digest_of(ledger: Ledger, deep: bool = False) -> str:
    import hashlib

    if not exists(ledger.archive_file):
        return segments.archive_digest(ledger, hashlib.sha256().hexdigest(), deep)
    with open(ledger.archive_file, "rb") as fh:
        return segments.archive_digest(ledger, hashlib.file_digest(fh, "sha256").hexdigest(), deep)


def ends_of(content: dict) -> list[int] | None:
    ends = content.get("ends")
    if not isinstance(ends, list) or not all(isinstance(e, int) for e in ends) or ends != sorted(set(ends)) \
            or (ends and ends[-1] != content.get("size")) or (not ends and content.get("size")):
        return None
    return ends


def extended(content: dict, raw: bytes) -> dict:
    """``content`` with one more segment: ``raw`` (the bytes right after it, whole lines), parsed and
    verified here as a simple extension of its tail. Unchanged when a line does not parse or verify:
    only bytes verified in this very check ever enter the key."""
    if len(raw) < SEGMENT or not raw.endswith(b"\n"):
        return content
    import hashlib

    parsed = []
    for no, line in enumerate(raw.split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            rec = loads(line)
        except ValueError:
            return content
        if not isinstance(rec, dict) or "id" not in rec:
            return content
        parsed.append(("", no, rec))
    verdict = appended(parsed, content.get("tail"))
    if verdict is None or not verdict[0] or not parsed:
        return content
    return {**content, "size": content["size"] + len(raw), "ends": [*content["ends"], content["size"] + len(raw)],
            "live": fold(content["live"], hashlib.sha256(raw)), "tail": parsed[-1][2].get(chain.HASH_FIELD),
            "lines": int(content.get("lines") or 0) + raw.count(b"\n"),
            "records": int(content.get("records") or 0) + len(parsed)}


def advance(ledger: Ledger, content: dict | None, size: int) -> dict | None:
    """After a check that found the ledger healthy up to ``size``: the content key moved up to it when
    a whole segment has accumulated past the key (its bytes read, parsed and verified again here)."""
    if not isinstance(content, dict) or ends_of(content) is None or size - int(content["size"]) < SEGMENT:
        return content
    try:
        with open(ledger.file, "rb") as fh:
            fh.seek(content["size"])
            raw = fh.read(size - content["size"])
    except OSError:
        return content
    return extended(content, raw[: raw.rfind(b"\n") + 1])
