"""The hash chain's rules on in-memory records (state/ledger/chain.py): what each field, each count and each message
of a ChainReport means. Written to kill the mutants tools/mutation_score.py found surviving."""

from __future__ import annotations

import json

from deploystate.state.ledger import chain


def _records(n: int) -> list[dict]:
    out, prev = [], None
    for i in range(n):
        rec = chain.seal({"id": f"{i:04d}", "kind": "note", "payload": {"i": i}, "prev": prev})
        out.append(rec)
        prev = rec["hash"]
    return out


def _lines(records: list[dict]) -> list[tuple[str, int, dict]]:
    return [("ledger.jsonl", i + 1, r) for i, r in enumerate(records)]


def test_the_hash_ignores_key_order_and_the_stored_hash() -> None:
    """The same record with its keys in another order, or a stale hash field, hashes the same."""
    rec = {"id": "1", "kind": "note", "payload": {"b": 1, "a": 2}, "prev": None}
    shuffled = {"prev": None, "payload": {"a": 2, "b": 1}, "kind": "note", "id": "1"}
    assert chain.record_hash(rec) == chain.record_hash(shuffled) == chain.record_hash({**rec, "hash": "stale"})
    assert chain.canonical({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_a_record_read_back_from_json_seals_to_the_same_hash() -> None:
    """Sealing a record parsed from a ledger line (keys are fresh strings, not literals) gives its own hash."""
    rec = _records(1)[0]
    again = chain.seal(json.loads(json.dumps(rec)))
    assert again["hash"] == rec["hash"] and chain.verify(_lines([again])).ok


def test_every_record_is_counted() -> None:
    """records counts every line given, good or bad."""
    recs = _records(5)
    assert chain.verify(_lines(recs)).records == 5
    recs[2] = {**recs[2], "payload": {"i": 99}}
    assert chain.verify(_lines(recs)).records == 5


def test_every_edited_record_is_reported_not_only_the_first() -> None:
    """Two hand edits in one file: both lines are named, and the records after them still verify."""
    recs = _records(6)
    recs[1] = {**recs[1], "payload": {"i": "edited"}}
    recs[3] = {**recs[3], "payload": {"i": "edited too"}}
    report = chain.verify(_lines(recs))
    assert [p.line for p in report.problems] == [2, 4]
    assert all("changed after it was written" in p.message for p in report.problems)


def test_three_clones_appending_at_once_are_two_forks() -> None:
    """Three records naming the same parent (three clones merged) count as two forks, and verify."""
    root = _records(1)[0]
    children = [chain.seal({"id": f"c{i}", "kind": "note", "payload": {"side": i}, "prev": root["hash"]})
                for i in range(3)]
    report = chain.verify(_lines([root, *children]))
    assert report.ok and report.forks == 2 and report.duplicates == 0


def test_two_different_records_with_one_id_are_refused_in_either_order() -> None:
    """The same id on two different records is a problem whichever of them sorts first by hash."""
    a = chain.seal({"id": "same", "kind": "note", "payload": {"v": 1}, "prev": None})
    b = chain.seal({"id": "same", "kind": "note", "payload": {"v": 2}, "prev": None})
    for first, second in ((a, b), (b, a)):
        report = chain.verify(_lines([first, second]))
        assert report.duplicates == 0 and len(report.problems) == 1
        assert "two different records share the id same" in report.problems[0].message
    twice = chain.verify(_lines([a, a]))
    assert twice.ok and twice.duplicates == 1


def test_a_problem_names_its_file_and_line() -> None:
    """A problem prints as file:line: message, or file: message when it is not tied to a line."""
    assert str(chain.Problem("ledger.jsonl", 3, "r1", "record r1 was changed")) == "ledger.jsonl:3: record r1 was changed"
    assert str(chain.Problem("ledger.jsonl", 0, "r1", "fork")) == "ledger.jsonl: fork"


def test_known_parents_from_an_archive_are_not_missing() -> None:
    """A record whose parent was verified elsewhere (the archive) is fine; without it, a deletion."""
    recs = _records(3)
    assert chain.verify(_lines(recs[1:]), known={recs[0]["hash"]}).ok
    problems = chain.verify(_lines(recs[1:])).problems
    assert len(problems) == 1 and "a record was deleted" in problems[0].message


def test_the_canonical_form_is_stable_across_versions() -> None:
    """The hash of a fixed record is pinned: ledgers written by earlier versions must still verify
    (sorted keys, compact separators, UTF-8 kept as is)."""
    rec = {"id": "1", "kind": "note", "payload": {"city": "Zürich", "b": 1, "a": 2}, "prev": None}
    assert chain.canonical(rec["payload"]) == '{"a":2,"b":1,"city":"Zürich"}'
    assert chain.record_hash(rec) == "26178ca9fe0365e0404a171434e9a8d0b9a74f6c82f449edfee7a7869d13a3a6"


def test_a_duplicate_does_not_stop_the_check_of_later_records() -> None:
    """After a harmless duplicate, an edited record further down is still found."""
    recs = _records(4)
    edited = {**recs[3], "payload": {"i": "edited"}}
    report = chain.verify(_lines([recs[0], recs[1], recs[1], recs[2], edited]))
    assert report.duplicates == 1 and [p.line for p in report.problems] == [5]


def test_an_id_clash_does_not_stop_the_check_of_later_records() -> None:
    """After two different records sharing an id, an edited record further down is still found."""
    recs = _records(3)
    clash = chain.seal({**recs[1], "payload": {"i": "other"}})
    edited = {**recs[2], "payload": {"i": "edited"}}
    report = chain.verify(_lines([recs[0], recs[1], clash, edited]))
    assert [p.line for p in report.problems] == [3, 4] and report.records == 4
    assert "share the id" in report.problems[0].message and "was changed" in report.problems[1].message


def test_a_missing_parent_is_named_by_its_first_twelve_hex_digits() -> None:
    """The deletion message names the missing parent's hash prefix of exactly 12 characters."""
    recs = _records(3)
    problem = chain.verify(_lines([recs[0], recs[2]])).problems[0]
    assert f"names parent {recs[1]['hash'][:12]} that is nowhere" in problem.message


def test_problems_are_frozen_values() -> None:
    """A Problem cannot be changed after the check made it (reports are shared between readers)."""
    import pytest

    problem = chain.Problem("f", 1, "r", "m")
    with pytest.raises(AttributeError):
        problem.line = 2  # type: ignore[misc]
    assert problem == chain.Problem("f", 1, "r", "m") and len({problem, chain.Problem("f", 1, "r", "m")}) == 1
    assert chain.ChainReport().records == 0 and chain.ChainReport().problems == []


def test_problems_are_equal_only_when_every_field_is() -> None:
    """Two Problems are equal exactly when file, line, record id and message all agree, whichever is compared
    first; a Problem never equals another kind of object (a tuple of the same fields, a string)."""
    problem = chain.Problem("ledger.jsonl", 2, "r2", "record r2 was changed")
    others = [chain.Problem("archive.jsonl", 2, "r2", "record r2 was changed"),
              chain.Problem("ledger.jsonl", 1, "r2", "record r2 was changed"),
              chain.Problem("ledger.jsonl", 3, "r2", "record r2 was changed"),
              chain.Problem("ledger.jsonl", 2, "r1", "record r2 was changed"),
              chain.Problem("ledger.jsonl", 2, "r2", "record r2 was deleted")]
    for other in others:
        assert problem != other and other != problem, other
    assert problem == chain.Problem("ledger.jsonl", 2, "r2", "record r2 was changed")
    assert problem != ("ledger.jsonl", 2, "r2", "record r2 was changed") and problem != str(problem)
    assert len({problem, *others}) == 6


def test_chain_reports_are_equal_only_when_every_count_and_problem_is() -> None:
    """The same ledger checked twice gives equal reports; a report differing in its record, fork or duplicate
    count, or in its problems, is not equal (either way round), and a report never equals another object."""
    recs = _records(3)
    recs[1] = {**recs[1], "payload": {"i": "edited"}}
    report = chain.verify(_lines(recs))
    assert report == chain.verify(_lines(recs)) and not report.ok
    assert report == chain.ChainReport(3, 0, 0, list(report.problems))
    others = [chain.ChainReport(2, 0, 0, list(report.problems)), chain.ChainReport(4, 0, 0, list(report.problems)),
              chain.ChainReport(3, 1, 0, list(report.problems)), chain.ChainReport(3, 0, 1, list(report.problems)),
              chain.ChainReport(3, 0, 0, []),
              chain.ChainReport(3, 0, 0, [*report.problems, chain.Problem("ledger.jsonl", 0, "", "extra")])]
    for other in others:
        assert report != other and other != report, other
    assert report != vars(report) and chain.ChainReport() != None  # noqa: E711 - the comparison is the test


def test_sha256_hex_is_sha256_below_and_past_the_bulk_threshold(monkeypatch) -> None:
    """sha256_hex gives hashlib's digest for small inputs (built-in module), across BULK and past it (hashlib)."""
    import hashlib

    monkeypatch.setattr(chain, "_hashed", 0)
    seen = []
    for size in (0, 1, 63, 64, 65, 1000, chain.BULK - 2000, 5000, chain.BULK + 1, 10):
        data = bytes((i * 7 + size) % 251 for i in range(size))
        assert chain.sha256_hex(data) == hashlib.sha256(data).hexdigest(), size
        seen.append(chain._hashed)
    assert seen[0] == 0 and seen[6] == 1 + 63 + 64 + 65 + 1000 + chain.BULK - 2000 <= chain.BULK
    assert seen[-1] > chain.BULK  # every byte asked for is counted: past BULK, hashlib hashes the rest


def test_sha256_hex_uses_the_small_module_first_and_hashlib_past_bulk(monkeypatch) -> None:
    """The small module hashes until BULK bytes were asked for, hashlib after (never the other way round)."""
    calls = []

    def small(data: bytes):  # noqa: ANN202
        calls.append(len(data))
        import hashlib
        return hashlib.sha256(data)

    monkeypatch.setattr(chain, "_hashed", 0)
    monkeypatch.setattr(chain, "_builtin_sha256", small)
    chain.sha256_hex(b"x" * 100)
    chain.sha256_hex(b"x" * chain.BULK)
    chain.sha256_hex(b"x" * 10)
    assert calls == [100]
