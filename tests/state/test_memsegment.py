"""The memory index on disk: a base segment read by query plus an anchored tail; damage means a rebuild."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.memory import codec, memindex, memory, recall, segment, similarity

AUTHOR = {"kind": "agent", "name": "t", "client": None, "session": None}
WORDS = "restart worker celery queue redis pool timeout memory limit deploy rollback config cache".split()
FAILED = "raise the redis pool timeout on the payments worker"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in ("DEPLOYSTATE_SESSION", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(memindex, "MERGE_AT", 50)  # a base after a few dozen attempts, not 2048
    monkeypatch.setattr(memindex, "DENSE_MIN", 8)  # and bit sets kept for the common words
    (tmp_path / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    memindex._LOADED.clear()
    yield Project.discover(tmp_path)
    memindex._LOADED.clear()


def _fill(project: Project, n: int = 300, seed: int = 1) -> None:
    rnd = random.Random(seed)
    items = [{"kind": "attempt", "author": AUTHOR, "commit": None,
              "payload": {"summary": " ".join(rnd.sample(WORDS, 5)), "outcome": "worked", "files": [],
                          "services": []}} for _ in range(n)]
    items.insert(n // 3, {"kind": "attempt", "author": AUTHOR, "commit": None,
                          "payload": {"summary": FAILED, "outcome": "failed", "files": [], "services": []}})
    project.ledger.append_many(items)


def _saved(project: Project) -> memindex.MemoryIndex:
    index = memindex.load(project.ledger)
    memindex.save(project.ledger, index)
    assert index.base is not None and not index.delta, "the attempts were not merged into a base"
    memindex._LOADED.clear()  # a fresh process: only the files and the ledger
    return index


def _seg(project: Project) -> Path:
    (path,) = (project.state_dir / "cache").glob("memory-*.seg")
    return path


def _warned(project: Project) -> bool:
    return memory.check_attempt(project, summary="raising the redis pool timeout for the payments worker")[
        "failed_similar"]


def _answers(index: memindex.MemoryIndex) -> list[list[tuple[float, str, str, str, str]]]:
    queries = [" ".join(random.Random(i).sample(WORDS, 4)) for i in range(15)] + [FAILED]
    return [[(s, d.id, d.summary, d.outcome, d.ts)
             for s, _, d in recall.search(index, tokens=similarity.tokens(q), limit=10, min_score=0.2)]
            for q in queries]


def _failed_page(project: Project, index: memindex.MemoryIndex) -> tuple[int, int]:
    """Where the failed attempt's id lies in the base file, and the file's length."""
    rid = next(d.id for d in index.docs if d.summary == FAILED)
    raw = _seg(project).read_bytes()
    return raw.index(codec.pack_id(rid)), len(raw)


def test_a_cold_base_answers_as_the_index_built_in_memory(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Base + tail read from disk (bit sets, gap lists and pages read per query, the shown fields from the
    ledger lines) answer exactly as the in-memory index, fields included."""
    monkeypatch.setattr(recall, "DENSE_MIN", 8)  # the common words are added as (stored) bit sets
    _fill(project)
    built = memindex._rebuild(project.ledger)  # everything in memory, nothing on disk
    expected = _answers(built)
    _saved(project)
    cold = memindex.load(project.ledger)
    assert cold.base is not None and cold.base.total == len(built.docs) and not cold.delta
    assert [d.id for d in cold.docs] == [d.id for d in built.docs]
    assert {e[4] for e in cold.base.entries} >= {segment.BITS, 1}, "no bit set or no gap list was stored"
    assert _answers(cold) == expected
    _fill(project, 20, seed=2)  # a tail on top of the base
    assert _answers(memindex.load(project.ledger)) == _answers(memindex._rebuild(project.ledger))


def test_the_base_holds_no_text_of_an_attempt(project: Project) -> None:
    """The base keeps ids, terms and ledger positions: no summary, and a few dozen bytes per attempt."""
    _fill(project)
    _saved(project)
    raw = _seg(project).read_bytes()
    assert FAILED.encode() not in raw and b"worked" not in raw
    assert len(raw) < 120 * 301  # the version-1 base held 301 rows of JSON (~190 B each) besides its lists


def test_an_edited_attempt_in_the_base_is_rebuilt_not_believed(project: Project) -> None:
    """Changing the failed attempt's entry inside the base file is detected (its page's digest); the
    warning stays and the rebuilt base is the one written before the edit."""
    _fill(project)
    index = _saved(project)
    at, _ = _failed_page(project, index)
    path = _seg(project)
    raw = path.read_bytes()
    path.write_bytes(raw[:at + 20] + bytes([raw[at + 20] ^ 1]) + raw[at + 21:])  # its terms or position
    assert _warned(project)
    assert _seg(project).read_bytes() == raw  # rebuilt from the ledger, the same bytes: not the edit


def test_a_base_edited_after_it_was_opened_is_rebuilt_mid_query(project: Project) -> None:
    """An edit made while a process holds the base open is caught when the attempt is read, then rebuilt."""
    _fill(project)
    index = _saved(project)
    memindex.load(project.ledger)  # opened: footer, dictionary and page table checked
    at, _ = _failed_page(project, index)
    with open(_seg(project), "r+b") as fh:  # the same file, changed in place: the failed attempt's id
        fh.seek(at)
        fh.write(bytes(16))
    assert _warned(project)


@pytest.mark.parametrize("cut", [1, 17, 4096])
def test_a_truncated_base_is_rebuilt(project: Project, cut: int) -> None:
    """A base cut short (at its footer or inside it) is never read as an index of fewer attempts."""
    _fill(project)
    _saved(project)
    path = _seg(project)
    raw = path.read_bytes()
    path.write_bytes(raw[:-cut])
    index = memindex.load(project.ledger)
    assert len(index.docs) == 301 and _warned(project)


def test_a_base_that_is_not_the_recorded_one_is_rebuilt(project: Project) -> None:
    """Another (self-consistent) segment put in the base's place does not match the root in the tail."""
    _fill(project)
    _saved(project)
    path = _seg(project)
    other = segment.Writer(str(path) + ".x").finish(8)  # an empty one, well formed
    Path(str(path) + ".x").replace(path)
    assert other
    assert len(memindex.load(project.ledger).docs) == 301 and _warned(project)


def test_an_edited_tail_is_rebuilt(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tail's digest is in the anchor: a tail that drops the failed attempt is not believed."""
    monkeypatch.setattr(memindex, "MERGE_AT", 10_000)  # everything stays in the tail
    _fill(project)
    index = memindex.load(project.ledger)
    memindex.save(project.ledger, index)
    assert index.base is None
    memindex._LOADED.clear()
    tail = project.state_dir / "cache" / "memory.json"
    data = json.loads(tail.read_text(encoding="utf-8"))
    data["docs"] = [row for row in data["docs"] if row[3] != FAILED]
    assert len(data["docs"]) == 300
    tail.write_text(json.dumps(data), encoding="utf-8")
    assert len(memindex.load(project.ledger).docs) == 301 and _warned(project)


def test_an_old_json_index_migrates_by_a_rebuild(project: Project) -> None:
    """A version-3 memory.json (one file parsed whole) is replaced by a rebuild holding every attempt."""
    _fill(project)
    ledger = project.ledger
    built = memindex._rebuild(ledger)
    rows = [d.row() for d in built.docs if d.summary != FAILED]  # an old file that misses the failed attempt
    old = {"version": 3, "last_id": built.last_id, "live_size": built.live_size, "live_tail": built.live_tail,
           "live_lines": built.live_lines, "archive_size": 0, "docs": rows, "postings": {},
           "signatures": {}, "sessions": {}}
    (ledger.dir / "cache").mkdir(parents=True, exist_ok=True)
    (ledger.dir / "cache" / "memory.json").write_text(json.dumps(old), encoding="utf-8")
    index = memindex.load(ledger)
    assert len(index.docs) == 301 and _warned(project)
    assert json.loads((ledger.dir / "cache" / "memory.json").read_text(encoding="utf-8"))["version"] == 5


def test_a_tail_without_a_digest_in_the_anchor_is_not_trusted(project: Project) -> None:
    """No memory digest in the anchor (written by hand, or by another tool) means a rebuild."""
    _fill(project)
    _saved(project)
    from deploystate.state.tamper import anchor
    data = anchor.read(project.ledger)
    data.pop("memory")
    anchor._write(project.ledger, data)
    assert memindex._read_file(project.ledger) is None
    assert _warned(project)


def test_a_merge_leaves_only_the_base_the_tail_names(project: Project) -> None:
    """Older bases go when a new one is named; another process's merge in progress (a .tmp) stays."""
    _fill(project)
    _saved(project)
    old = _seg(project)
    other = project.state_dir / "cache" / ".memory.99999.seg.tmp"
    other.write_bytes(b"a merge still being written")
    _fill(project, 80, seed=3)  # more than MERGE_AT again: the next save writes a new base
    index = memindex.load(project.ledger)
    memindex.save(project.ledger, index)
    tail = json.loads((project.state_dir / "cache" / "memory.json").read_text(encoding="utf-8"))
    assert _seg(project).name == tail["base"]["file"] != old.name and not old.exists()
    assert other.exists() and not list((project.state_dir / "cache").glob("memory.json.*.tmp"))
    memindex._LOADED.clear()
    assert len(memindex.load(project.ledger).docs) == 382 and _warned(project)


def test_a_version_4_index_migrates_and_its_base_goes(project: Project) -> None:
    """Today's earlier format (tail version 4 naming a base that holds each attempt's text), even when its
    digest is the anchored one, is rebuilt into version 5; the old base file is deleted on the next save."""
    import hashlib

    from deploystate.state.tamper import anchor
    _fill(project)
    ledger = project.ledger
    cache_dir = ledger.dir / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    old_base = cache_dir / "memory-0123456789abcdef.seg"
    old_base.write_bytes(b"[]" + (17).to_bytes(8, "little") + b"DSMEMSG1")
    built = memindex._rebuild(ledger)
    tail = {"version": 4, "last_id": built.last_id, "live_size": built.live_size, "live_tail": built.live_tail,
            "live_lines": built.live_lines, "archive_size": 0, "signatures": {}, "sessions": {}, "docs": [],
            "base": {"file": old_base.name, "root": "0" * 64, "docs": 301}}
    raw = json.dumps(tail).encode()
    (cache_dir / "memory.json").write_bytes(raw)
    with anchor._locked(ledger):
        anchor.update_locked(ledger, "memory", {"sha256": hashlib.sha256(raw).hexdigest()}, durable=False)
    memindex._LOADED.clear()
    assert memindex._read_file(ledger) is None  # trusted bytes, but not this version: not read
    index = memindex.load(ledger)
    assert len(index.docs) == 301 and _warned(project)
    assert json.loads((cache_dir / "memory.json").read_bytes())["version"] == memindex.VERSION == 5
    assert not old_base.exists() and _seg(project).read_bytes().endswith(segment.MAGIC)


def test_a_page_edited_in_place_fails_its_digest(project: Project) -> None:
    """A byte of a page changed under an open base is refused when the page is read (not decoded into
    other terms or another position), before any ledger line is consulted."""
    _fill(project)
    index = _saved(project)
    at, _ = _failed_page(project, index)
    opened = memindex.load(project.ledger).base
    rid = next(d.id for d in index.docs if d.summary == FAILED)
    i = next(i for i in range(opened.total) if opened.doc(i)[0] == codec.pack_id(rid))
    opened._pages.clear()
    with open(_seg(project), "r+b") as fh:
        fh.seek(at + 18)  # inside its position's offset
        byte = fh.read(1)[0]
        fh.seek(at + 18)
        fh.write(bytes([byte ^ 0x40]))
    with pytest.raises(segment.Corrupt, match="page of attempts .* edited"):
        opened.doc(i)
