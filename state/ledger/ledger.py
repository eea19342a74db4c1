"""The append-only ledger: one JSON Lines file of hash-chained records (standard library only).

Why one file for every kind (deploys, verifications, attempts, sessions,
overrides): a single chain means deleting *any* record breaks a link, one lock
serialises writers, and the projection replays one stream in id order. The
archive written by compaction and the quarantine of torn lines sit beside it.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path

    from .flock import Flock
    from typing import Any

from deploystate.state.tamper import anchor
from . import chain
from deploystate.state.errors import InputError, LedgerError
from .reading import ReadResult, parse_lines
from deploystate.ospath import as_path, exists, join, norm

LEDGER = "ledger.jsonl"
ARCHIVE = "archive.jsonl"
QUARANTINE = "quarantine.jsonl"
LOCK = "ledger.lock"
MAX_LINE_BYTES = 1024 * 1024

KINDS = frozenset({
    "deploy", "rollback", "verification", "mark_deployed", "attempt", "session_start", "session_end",
    "override", "preflight", "note",
})

GITATTRIBUTES = ("# deploystate: records are append-only lines, so merges keep both sides; closed segments\n"
                 "# (archive/*.jsonl.z) are compressed and never change: binary, never merged line by line.\n"
                 "*.jsonl merge=union\n*.jsonl.z binary\n")
GITIGNORE = ("# deploystate: caches and local logs, rebuilt from the ledger.\nprojection.json\n*.lock\naudit.jsonl\n*.tmp\n"
             "chain.verified.json\nappends.log\nsync.json\ns3.json\nanchor.json\nanchor.lock\n")  # hooks' cached chain verdict; per-clone sync status


# This process's last append per ledger file: the ledger's and anchor's stat before the write (under the lock)
# and after it, and the bytes: a reader that verified the file before (server.mcp.trust) tells it from an edit.
APPENDED: dict[str, tuple] = {}


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


# Per state directory, the stats ``Ledger.ensure`` left (``Ledger._ensured``): asked again while they hold,
# it has nothing to do.
_ENSURED: dict[str, tuple | None] = {}  # (bounded by the state directories a process writes)


def _fingerprint(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _path(text: str) -> Path:
    return as_path(text)  # made once per str: these properties are read on every MCP call


class Ledger:
    """Append and read records in ``state_dir``."""

    def __init__(self, state_dir: str | os.PathLike[str], *, anchor_dir: str | os.PathLike[str] | None = None,
                 key: str | None = None) -> None:
        # str paths (``deploystate.ospath``): a hook reads the ledger without importing pathlib; the
        # ``dir``, ``path``, ``archive_path``... properties give callers the same places as Path
        self.dirname = norm(state_dir)
        # where the anchor, chain mark and cache digest live (the git common dir for a project);
        # ``key`` is how the config named the state dir, so a changed state_dir is seen as a move
        self.anchor_dirname = norm(anchor_dir) if anchor_dir is not None else self.dirname
        self.key = key if key is not None else self.dirname
        self.file = join(self.dirname, LEDGER)
        self.archive_file = join(self.dirname, ARCHIVE)
        self.quarantine_file = join(self.dirname, QUARANTINE)
        self.lock_file = join(self.dirname, LOCK)

    @property
    def dir(self) -> Path:
        return _path(self.dirname)

    @property
    def anchor_dir(self) -> Path:
        return _path(self.anchor_dirname)

    @property
    def path(self) -> Path:
        return _path(self.file)

    @property
    def archive_path(self) -> Path:
        return _path(self.archive_file)

    @property
    def quarantine_path(self) -> Path:
        return _path(self.quarantine_file)

    @property
    def lock_path(self) -> Path:
        return _path(self.lock_file)

    # -- setup ---------------------------------------------------------------
    def ensure(self) -> None:
        """Create the state directory with its git attributes and ignore file."""
        now = self._ensured()
        if now is not None and _ENSURED.get(self.dirname) == now:
            return  # every append asks: three stats instead of reading both files again
        self._ensure()
        _ENSURED[self.dirname] = self._ensured()

    def _ensured(self) -> tuple | None:
        """What ``ensure`` left, as stats: a file edited, replaced or removed since then reads otherwise."""
        try:
            return (*(_fingerprint(os.stat(join(self.dirname, name))) for name in (".gitattributes", ".gitignore")),
                    _fingerprint(os.stat(self.file))[2])
        except OSError:
            return None

    def _ensure(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE)):
            p = self.dir / name
            if not p.exists():
                p.write_text(text, encoding="utf-8")
                continue
            # a newer deploystate may ignore more files: add the missing lines, keep the user's
            have = p.read_text(encoding="utf-8").splitlines()
            missing = [line for line in text.splitlines() if line and not line.startswith("#") and line not in have]
            if missing:
                with open(p, "a", encoding="utf-8") as fh:
                    fh.write(("" if not have or have[-1] == "" else "\n") + "\n".join(missing) + "\n")
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))  # not touch(): mtime kept

    def locked(self) -> Flock:
        """``with ledger.locked():`` holds the ledger's write lock (its directory created)."""
        from .flock import Flock  # here: a hook that only reads takes no ledger lock

        return Flock(self.lock_file)

    # -- writing -------------------------------------------------------------
    def append(self, kind: str, payload: dict[str, Any], *, author: dict[str, Any] | None = None,
               commit: str | None = None) -> dict:
        """Append one record (payload redacted), chained to the last one; returns the sealed record."""
        return self.append_many([{"kind": kind, "payload": payload, "author": author, "commit": commit}])[0]

    def append_many(self, items: list[dict[str, Any]]) -> list[dict]:
        """Append records given as {kind, payload, author, commit} (each redacted, as ``append`` does)
        under one lock and one fsync, chained in order; returns the sealed records. Acknowledged
        together: on a failed write none of them is in the file."""
        # Imported here: compiling its patterns costs ~10 ms that readers (the git hooks) never need.
        from .redact import redact_obj
        memo: dict[str, str] = {}  # redaction is pure: a string repeated across the batch is scanned once
        records = []
        for item in items:
            kind = item.get("kind")
            if kind not in KINDS:
                raise InputError(f"unknown record kind {kind!r}", f"use one of: {', '.join(sorted(KINDS))}")
            records.append({"id": "", "ts": "", "kind": kind, "author": redact_obj(item.get("author") or {}, memo),
                            "commit": item.get("commit"), "payload": redact_obj(item.get("payload"), memo)})
        return self.append_sealed(records, reseal=True)

    def append_sealed(self, records: list[dict], *, reseal: bool) -> list[dict]:
        """Append records under one lock. With ``reseal`` each is chained to the current tail;
        without it they are written as they are (records merged in from another clone)."""
        self.ensure()
        out = []
        with self.locked():
            from . import tail as torn  # here: a reader (a hook) never loads the writer's tail handling
            from .ids import id_after, iso, utc_now  # (nor the ids it mints)

            torn.repair(self)
            held = anchor.read(self)
            # On a ledger that no longer matches its anchor the records are still written (nothing is
            # lost) but the anchor stays where it was: an append must never launder the damage.
            trusted = not anchor.problems(self, held)
            tail = torn.last_record(self)
            prev, last_id = (tail["hash"], tail["id"]) if tail else (None, None)
            lines = []
            for rec in records:
                if reseal:
                    # ids are made under the lock so file order and id order agree for local writers
                    last_id = id_after(last_id)
                    rec = chain.seal({**rec, "id": last_id, "ts": rec.get("ts") or iso(utc_now()), "prev": prev})
                    prev = rec["hash"]
                line = chain.canonical(rec) + "\n"
                # a character is at most 4 bytes: only a line that could be too long is encoded to know
                if len(line) * 4 > MAX_LINE_BYTES and len(line.encode("utf-8")) > MAX_LINE_BYTES:
                    raise InputError(f"a {rec.get('kind')} record would be larger than {MAX_LINE_BYTES} bytes",
                                     "shorten the evidence or summary and try again")
                lines.append(line)
                out.append(rec)
            heads: list[dict] = []
            from deploystate.state.tamper import anchorhead  # writers only: a hook's decision never anchors

            def anchor_head(before: int) -> anchorhead.PreparedHead | None:
                # written and fsynced while the records are; put in place only once they are durable
                try:
                    head = anchorhead.head_now(self, held.get("chain"), len(lines), before)
                except OSError:
                    return None  # the records are durable; the anchor lags behind them, which still verifies
                heads.append(head)
                return anchorhead.prepare_head(self, head)

            data = "".join(lines).encode("utf-8")
            APPENDED.pop(self.file, None)  # a failed write leaves no claim behind
            before = (_stat(self.file), _stat(anchor.file_of(self)))
            from .durable import append_whole  # here: a hook that only reads never appends

            append_whole(self.file, data, anchor_head if trusted else None)
            # the chain mark's fast path trusts only growth logged here
            from deploystate.state.tamper.appendlog import record

            record(self.anchor_dirname, before[0], _stat(self.file))
            if len(data) <= 1 << 16:  # a bulk write (a merge, make_ledger) is verified the ordinary way
                APPENDED[self.file] = (*before, _stat(self.file), _stat(anchor.file_of(self)), data)
            if heads and anchor.segments.live_due(heads[0]):
                from . import sealing  # here: only the one append in 65,536 that seals loads it

                sealing.after_append(self)
        return out

    def guard(self) -> dict:
        """Refuse a rewrite (compaction) of a ledger that no longer matches its anchor: it would launder
        the damage into a new anchor. Call with the lock held; returns the anchor read."""
        held = anchor.read(self)
        bad = anchor.problems(self, held)
        if bad:
            from deploystate.state.errors import ChainBroken  # (errors.RARE: loaded when raised)

            raise ChainBroken(bad[0], "run `deploystate doctor`: restore the ledger from a copy (the git ref "
                                      "refs/deploystate/ledger, a backup, the team remote) and nothing is lost")
        return held

    # -- reading -------------------------------------------------------------
    def repair(self) -> chain.Problem | None:
        """Quarantine a torn tail if there is one (takes the lock)."""
        if not exists(self.file):
            return None
        from . import tail as torn

        with self.locked():
            return torn.repair(self)

    def read(self, *, start: int = 0, start_line: int | None = None, include_archive: bool = False) -> ReadResult:
        """Read records from byte offset ``start`` (which is line ``start_line``, counted when not given);
        damaged lines are reported, never dropped silently."""
        full = include_archive and start == 0
        for _ in range(3):
            result = ReadResult()
            if full:
                from . import segments  # here: only full reads (rebuilds, verification) open closed segments

                moved = (segments.count(self), anchor._size(self.archive_file))
                segments.read_into(self, result)
            for path in ([self.archive_file] if full else []) + [self.file]:
                if not exists(path):
                    continue
                live = path == self.file
                self._read_file(path, start if live else 0, start_line if live else 0, result)
            # a seal or compaction moves lines into a segment or the archive before it cuts the live file:
            # read again when either changed meanwhile, so records moving are never missed
            if not full or moved == (segments.count(self), anchor._size(self.archive_file)):
                break
        else:  # still moving after three reads: say so, so no decision passes on a history read part-way
            result.problems.append(chain.Problem(self.file, 0, "", "the ledger was sealed or compacted "
                                                 "three times while it was read: read it again"))
        return result

    def _read_file(self, path: str, start: int, start_line: int | None, result: ReadResult) -> None:
        with open(path, "rb") as fh:
            if start_line is None:
                start_line = fh.read(start).count(b"\n") if start else 0
            fh.seek(start)
            line_no = start_line
            data = fh.read()
        if path == self.file:
            result.size = start + len(data)
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            torn_line = line_no + data.count(b"\n", 0, cut) + 1
            try:
                self.repair()  # None: another process fixed it first
            except (OSError, LedgerError):
                pass  # a full disk cannot take the quarantine line: still readable, the torn line is skipped
            result.problems.append(chain.Problem(path, torn_line, "", f"torn last line moved to {QUARANTINE}"))
            data = data[:cut]
            if path == self.file:
                result.size = start + cut
        line_no = parse_lines(data, path, line_no, result)
        if path == self.file:
            result.line_count = line_no

    def verify(self) -> chain.ChainReport:
        """Verify the archive and the live file together as one DAG."""
        res = self.read(include_archive=True)
        report = chain.verify(res.lines)
        report.problems[:0] = res.problems
        return report
