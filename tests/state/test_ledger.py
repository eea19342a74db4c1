"""The ledger: append-only, hash-chained, torn-line tolerant, tamper evident."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploystate.state.ledger import chain
from deploystate.state.errors import InputError
from deploystate.state.ledger.ledger import Ledger


def _lines(ledger: Ledger) -> list[str]:
    return ledger.path.read_text(encoding="utf-8").splitlines(True)


def test_append_chains_each_record_to_the_previous(tmp_path: Path) -> None:
    """Each record names the hash of the one before it, and the first names none."""
    led = Ledger(tmp_path)
    a = led.append("attempt", {"summary": "one", "outcome": "failed"})
    b = led.append("attempt", {"summary": "two", "outcome": "failed"})
    assert a["prev"] is None and b["prev"] == a["hash"]
    assert led.verify().ok


def test_ids_sort_in_append_order_within_one_millisecond(tmp_path: Path) -> None:
    """Ids are made under the lock, so file order and id order agree even for fast writers."""
    led = Ledger(tmp_path)
    ids = [led.append("note", {"i": i})["id"] for i in range(300)]
    assert ids == sorted(ids) and len(set(ids)) == 300


def test_state_dir_gets_union_merge_attributes_and_ignores_caches(tmp_path: Path) -> None:
    """The state directory asks git for union merges of JSONL and ignores the projection cache."""
    Ledger(tmp_path / "s").append("note", {})
    assert "*.jsonl merge=union" in (tmp_path / "s" / ".gitattributes").read_text()
    assert "projection.json" in (tmp_path / "s" / ".gitignore").read_text()


def test_each_append_restores_what_was_edited_or_removed_since_the_last(tmp_path: Path) -> None:
    """Appends after the first skip the state directory's set-up only while its files are as it left them: a
    removed attribute file, an ignore file cut short or a removed ledger file is put back by the next append."""
    led = Ledger(tmp_path / "s")
    led.append("note", {})
    attributes, ignore = tmp_path / "s" / ".gitattributes", tmp_path / "s" / ".gitignore"
    attributes.unlink()
    led.append("note", {})
    assert "*.jsonl merge=union" in attributes.read_text()
    ignore.write_text("projection.json\n")
    led.append("note", {})
    assert "anchor.json" in ignore.read_text()
    led.path.unlink()
    led.ensure()
    assert led.path.exists()


def test_changed_record_is_reported_with_its_line(tmp_path: Path) -> None:
    """Editing a past verdict from fail to pass breaks the chain at that line, once."""
    led = Ledger(tmp_path)
    for i in range(5):
        led.append("verification", {"service": "web", "verdict": "fail", "summary": f"run {i}"})
    lines = _lines(led)
    lines[2] = lines[2].replace('"verdict":"fail"', '"verdict":"pass"')
    led.path.write_text("".join(lines), encoding="utf-8")
    report = led.verify()
    assert [p.line for p in report.problems] == [3]
    assert "changed" in report.problems[0].message


def test_deleted_record_is_reported(tmp_path: Path) -> None:
    """Deleting a record in the middle leaves its child naming a missing parent."""
    led = Ledger(tmp_path)
    for i in range(4):
        led.append("note", {"i": i})
    lines = _lines(led)
    del lines[1]
    led.path.write_text("".join(lines), encoding="utf-8")
    problems = led.verify().problems
    assert len(problems) == 1 and "deleted" in problems[0].message and problems[0].line == 2


def test_reordered_records_are_reported(tmp_path: Path) -> None:
    """Moving a record above its parent is detected as a reorder."""
    led = Ledger(tmp_path)
    for i in range(3):
        led.append("note", {"i": i})
    lines = _lines(led)
    lines[0], lines[1] = lines[1], lines[0]
    led.path.write_text("".join(lines), encoding="utf-8")
    assert any("reordered" in p.message for p in led.verify().problems)


def test_torn_last_line_is_quarantined_not_dropped(tmp_path: Path) -> None:
    """A partial last line is moved to quarantine.jsonl and reported; complete records survive."""
    led = Ledger(tmp_path)
    led.append("note", {"i": 1})
    with open(led.path, "a", encoding="utf-8") as fh:
        fh.write('{"id": "01torn", "kind": "no')
    res = led.read()
    assert len(res.records) == 1
    assert res.problems and "torn" in res.problems[0].message
    quarantined = [json.loads(x) for x in led.quarantine_path.read_text().splitlines()]
    assert quarantined[0]["raw"] == '{"id": "01torn", "kind": "no' and quarantined[0]["line"] == 2
    led.append("note", {"i": 2})
    assert led.verify().ok and len(led.read().records) == 2


def test_corrupt_middle_line_is_reported_and_others_read(tmp_path: Path) -> None:
    """A garbage line in the middle is named by line number; the records around it still read."""
    led = Ledger(tmp_path)
    led.append("note", {"i": 1})
    with open(led.path, "a", encoding="utf-8") as fh:
        fh.write("not json at all\n")
    res = led.read()
    assert len(res.records) == 1 and res.problems[0].line == 2


def test_secrets_in_payload_are_redacted_before_writing(tmp_path: Path) -> None:
    """A token in an attempt's evidence never reaches the ledger file."""
    led = Ledger(tmp_path)
    led.append("attempt", {"summary": "s", "evidence": "DISCORD_BOT_TOKEN=abc123secretvalue"})
    assert "abc123secretvalue" not in led.path.read_text()


def test_unknown_kind_and_oversized_record_are_refused(tmp_path: Path) -> None:
    """Bad input changes nothing: unknown kinds and records over 1 MiB are refused."""
    led = Ledger(tmp_path)
    with pytest.raises(InputError):
        led.append("bogus", {})
    with pytest.raises(InputError):
        led.append("note", {"blob": "x" * (1024 * 1024 + 10)})
    assert led.read().records == []


def test_merged_forks_verify_and_dedupe(tmp_path: Path) -> None:
    """Two clones appending concurrently then union-merged: the DAG verifies, duplicates are harmless."""
    base = Ledger(tmp_path / "a")
    base.append("note", {"i": 0})
    common = _lines(base)
    other = Ledger(tmp_path / "b")
    other.ensure()
    other.path.write_text("".join(common), encoding="utf-8")
    base.append("note", {"side": "a"})
    other.append("note", {"side": "b"})
    merged = Ledger(tmp_path / "m")
    merged.ensure()
    merged.path.write_text("".join(_lines(base) + _lines(other)), encoding="utf-8")
    report = merged.verify()
    assert report.ok and report.forks == 1 and report.duplicates == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=8),
                                st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none()),
                                max_size=4), min_size=1, max_size=8))
def test_round_trip_preserves_payloads(tmp_path_factory: pytest.TempPathFactory, payloads: list[dict]) -> None:
    """Whatever JSON payload goes in comes back out unchanged (modulo redaction) and verifies."""
    led = Ledger(tmp_path_factory.mktemp("l"))
    written = [led.append("note", p) for p in payloads]
    read = led.read().records
    assert read == written and led.verify().ok


def test_chain_verify_is_pure_over_given_lines() -> None:
    """chain.verify works on in-memory records, so sync and compaction can reuse it."""
    a = chain.seal({"id": "1", "prev": None})
    b = chain.seal({"id": "2", "prev": a["hash"]})
    assert chain.verify([("f", 1, a), ("f", 2, b)]).ok
    assert not chain.verify([("f", 1, b)]).ok


def test_ids_minted_after_the_same_record_differ() -> None:
    """Two clones appending after the same record within one millisecond still mint different ids."""
    from deploystate.state.ledger.ids import id_after, new_id

    future = new_id(now_ns=4_000_000_000_000_000_000)  # a previous id from a clock far ahead
    ids = {id_after(future) for _ in range(1000)}
    assert len(ids) == 1000 and all(i > future for i in ids)


@pytest.mark.parametrize("field, edit", [
    ("author", lambda r: r["author"].update(name="Someone Else")),
    ("author.kind", lambda r: r["author"].update(kind="human")),
    ("id", lambda r: r.update(id=r["id"][:-1] + ("0" if r["id"][-1] != "0" else "1"))),
    ("ts", lambda r: r.update(ts="2000-01-01T00:00:00.000000Z")),
    ("kind", lambda r: r.update(kind="note")),
    ("commit", lambda r: r.update(commit="0" * 40)),
    ("payload", lambda r: r["payload"].update(summary="edited")),
    ("prev", lambda r: r.update(prev="0" * 64)),
    ("a new field", lambda r: r.update(approved_by="ops")),
])
def test_an_edit_to_any_field_of_a_record_breaks_the_chain(tmp_path: Path, field: str, edit) -> None:  # noqa: ANN001
    """Not only the verdict: editing who wrote a record, when, its kind, commit, payload or parent is detected."""
    led = Ledger(tmp_path)
    for i in range(3):
        led.append("verification", {"service": "web", "verdict": "fail", "summary": f"run {i}"},
                   author={"kind": "agent", "name": "claude", "client": "cli", "session": "s1"}, commit="a" * 40)
    lines = _lines(led)
    record = json.loads(lines[1])
    edit(record)
    lines[1] = json.dumps(record) + "\n"   # the stored hash kept: a hand edit, not a re-seal
    led.path.write_text("".join(lines), encoding="utf-8")
    problems = led.verify().problems
    assert problems and problems[0].line == 2, (field, [str(p) for p in problems])
