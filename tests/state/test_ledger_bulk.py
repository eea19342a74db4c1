"""Bulk appends (``Ledger.append_many``, ``store.record_many``): one lock and one fsync for many records,
each record redacted and chained exactly as a single append would make it; ids minted fast and unchanged."""

from __future__ import annotations

import errno
import os
import random
import subprocess
from pathlib import Path

import pytest

from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger import chain, durable, ids
from deploystate.state.errors import InputError, LedgerError
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.config.project import Project
from deploystate.state.ledger.store import record_many

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _b32_by_digit(value: int, length: int) -> str:
    """The id encoding as it was first written: one digit at a time (the reference)."""
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_CROCKFORD[rem])
    return "".join(reversed(out))


def test_id_digits_are_the_reference_encoding_for_any_value_and_length() -> None:
    """The pair-table encoder gives the digit-by-digit result, high bits beyond the length dropped."""
    rnd = random.Random(5)
    for _ in range(20_000):
        length = rnd.choice([0, 1, 2, 5, 9, 10, 16, 26, 27])
        value = rnd.getrandbits(rnd.choice([1, 7, 48, 80, 130, 160]))
        assert ids._b32(value, length) == _b32_by_digit(value, length)


def test_an_id_minted_after_another_is_its_value_plus_a_step() -> None:
    """id_after reads an id's digits back to the number they spell (a golden pair), and refuses a non-id."""
    assert ids._b32(int("01m8t2sm23z6eaha2k21d6qpzy".translate(ids._TO_INT32), 32), 26) == "01m8t2sm23z6eaha2k21d6qpzy"
    ahead = "zzzzzzzzzz" + "0" * 16  # far in the future: the step path is taken
    after = ids.id_after(ahead)
    assert after > ahead and after[:10] == "zzzzzzzzzz"
    step = int(after.translate(ids._TO_INT32), 32) - int(ahead.translate(ids._TO_INT32), 32)
    assert 1 <= step <= 2 ** 40
    with pytest.raises(ValueError):
        ids.id_after("zzzzzzzzzzILOU0000000000")


def test_bulk_records_chain_in_order_and_verify(tmp_path: Path) -> None:
    """Many records in one call: each names the previous one's hash, ids ascend, the chain verifies."""
    led = Ledger(tmp_path)
    first = led.append("note", {"text": "before"})
    recs = led.append_many([{"kind": "attempt", "payload": {"summary": f"try {i}", "outcome": "failed"},
                             "author": {"kind": "agent", "name": "a"}, "commit": "c" * 40} for i in range(500)])
    assert recs[0]["prev"] == first["hash"]
    assert all(b["prev"] == a["hash"] for a, b in zip(recs, recs[1:]))
    assert [r["id"] for r in recs] == sorted(r["id"] for r in recs) and len({r["id"] for r in recs}) == 500
    assert led.verify().ok
    lines = led.path.read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [chain.canonical(r) for r in recs]  # what was returned is what is on disk


def test_bulk_records_are_redacted_like_single_ones(tmp_path: Path) -> None:
    """A secret in any record of a batch (payload or author) is masked, repeated strings included."""
    led = Ledger(tmp_path)
    secret = "DB_PASSWORD=hunter2hunter2"
    recs = led.append_many([{"kind": "note", "payload": {"text": secret, "i": i},
                             "author": {"name": "x", "token": "ghp_" + "a" * 36}} for i in range(3)])
    raw = led.path.read_text(encoding="utf-8")
    assert "hunter2" not in raw and "ghp_" not in raw
    single = Ledger(tmp_path / "one").append("note", {"text": secret, "i": 0})
    assert recs[0]["payload"] == single["payload"]


def test_a_bad_item_refuses_the_whole_batch(tmp_path: Path) -> None:
    """An unknown kind or an oversized record anywhere in a batch: nothing of the batch is written."""
    led = Ledger(tmp_path)
    led.append("note", {})
    size = led.path.stat().st_size
    with pytest.raises(InputError):
        led.append_many([{"kind": "note", "payload": {}}, {"kind": "nonsense", "payload": {}}])
    with pytest.raises(InputError):
        led.append_many([{"kind": "note", "payload": {}}, {"kind": "note", "payload": {"t": "x" * (1 << 20)}}])
    assert led.path.stat().st_size == size


def test_a_failed_bulk_write_acknowledges_none_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC in the middle of a batch: LedgerError, the file back to its old size, the anchor unmoved."""
    led = Ledger(tmp_path)
    led.append("note", {})
    size, head = led.path.stat().st_size, anchor.read(led)["chain"]
    real, calls = os.write, []

    def flaky(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, bytes(data[:100]))

    monkeypatch.setattr(durable.os, "write", flaky)
    with pytest.raises(LedgerError):
        led.append_many([{"kind": "note", "payload": {"i": i}} for i in range(50)])
    assert led.path.stat().st_size == size and anchor.read(led)["chain"] == head


def test_a_bulk_append_moves_the_anchor_to_its_last_record(tmp_path: Path) -> None:
    """After a batch the anchor names the new end and line count, so a cut of the batch is TAMPERED."""
    led = Ledger(tmp_path)
    recs = led.append_many([{"kind": "note", "payload": {"i": i}} for i in range(40)])
    head = anchor.read(led)["chain"]
    assert head["live_tail"] == recs[-1]["hash"] and head["live_lines"] == 40
    lines = led.path.read_bytes().splitlines(True)
    led.path.write_bytes(b"".join(lines[:-3]))
    assert any("shorter than its anchor" in p for p in anchor.problems(led))


def test_record_many_fills_commit_and_author_and_refreshes_once(tmp_path: Path) -> None:
    """store.record_many: HEAD as the default commit, the current author, the chain mark still judges."""
    root = tmp_path / "repo"
    root.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)
    (root / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()
    project = Project.discover(root)
    recs = record_many(project, [{"kind": "note", "payload": {"i": i}} for i in range(5)]
                       + [{"kind": "note", "payload": {}, "commit": "d" * 40}])
    assert [r["commit"] for r in recs] == [head] * 5 + ["d" * 40]
    assert all(r["author"] for r in recs)
    assert project.state_file.is_file()
    assert chainmark.check(project.ledger).ok
    assert "config" in anchor.read(project.ledger)
