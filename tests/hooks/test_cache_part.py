"""The hooks' part of the projection cache: written with the cache, used only while it is exactly current."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks import snapshot
from deploystate.state.drift import observations
from deploystate.state.tamper import anchor
from deploystate.state.view import cache

from .conftest import AGENT


def _part_path(shop):
    return shop.project.ledger.anchor_dir / cache.PART


def _write_part(shop, data: dict) -> None:
    _part_path(shop).write_text(json.dumps(data, separators=(",", ":")))


def _verified(shop) -> None:
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")


def test_the_names_the_hooks_read_by_are_the_cache_modules():
    """snapshot's copies of the cache's file names and of observations' stored file are the modules' own."""
    assert (snapshot.CACHE, snapshot.PART) == (cache.CACHE, cache.PART)
    assert snapshot.OBSERVED == (observations.DIR, observations.FILE)


def test_the_part_is_written_with_the_cache_and_its_digest_anchored(shop):
    """Every cache write writes the part too: the state's hook keys, and its digest in the anchor."""
    _verified(shop)
    ledger = shop.project.ledger
    state = cache.load(ledger).state
    raw = _part_path(shop).read_bytes()
    data = json.loads(raw)
    assert set(data["state"]) == set(cache.PART_KEYS)
    assert data["state"] == {k: state[k] for k in cache.PART_KEYS}
    assert anchor.read(ledger)["cache"]["part"] == snapshot.sha256_hex(raw)
    assert data["cache_size"] == (ledger.dir / cache.CACHE).stat().st_size


def test_a_current_part_is_what_the_snapshot_judges(shop):
    """While nothing changed since the write, load_part answers the cache's state for the hook keys."""
    _verified(shop)
    ledger = shop.project.ledger
    state = cache.load(ledger).state
    assert snapshot.load_part(ledger) == {k: state[k] for k in cache.PART_KEYS}


@pytest.mark.parametrize("change", ["edited", "no digest", "other version", "cache removed", "cache rewritten",
                                    "ledger grew", "merged in before the last", "last record replaced", "not json"])
def test_a_part_that_is_not_exactly_current_is_not_used(shop, change):
    """An edited part, one without an anchored digest, of another version, whose cache is gone or changed, or
    whose ledger no longer ends where it was written (grown, a line merged in before the last, the last
    record replaced in the same bytes) is never used (the whole cache decides)."""
    _verified(shop)
    ledger = shop.project.ledger
    cache.load(ledger)
    assert snapshot.load_part(ledger) is not None, "the part must be usable before the change"
    data = json.loads(_part_path(shop).read_text())
    if change == "edited":
        data["state"]["records"] += 1
        _write_part(shop, data)
    elif change == "no digest":
        anchor.update(ledger, "cache", {"sha256": anchor.read(ledger)["cache"]["sha256"]})
    elif change == "other version":
        data["version"] += 1
        _write_part(shop, data)
        anchor.update(ledger, "cache", {**anchor.read(ledger)["cache"],
                                        "part": snapshot.sha256_hex(_part_path(shop).read_bytes())})
    elif change == "cache removed":
        (ledger.dir / cache.CACHE).unlink()
    elif change == "cache rewritten":
        with open(ledger.dir / cache.CACHE, "a", encoding="utf-8") as fh:
            fh.write(" ")
    elif change == "ledger grew":
        ledger.append("note", {"text": "after the part"})
    elif change in ("merged in before the last", "last record replaced"):
        lines = ledger.path.read_bytes().splitlines(True)
        if change == "merged in before the last":  # same last record, more bytes before it
            lines.insert(-1, lines[0])
        else:  # same size, another hash at the end
            last = json.loads(lines[-1])
            lines[-1] = lines[-1].replace(last["hash"].encode(), last["hash"][::-1].encode())
        ledger.path.write_bytes(b"".join(lines))
    else:
        _part_path(shop).write_text("{not json")
        anchor.update(ledger, "cache", {**anchor.read(ledger)["cache"],
                                        "part": snapshot.sha256_hex(_part_path(shop).read_bytes())})
    assert snapshot.load_part(ledger) is None


def test_an_edited_part_never_lets_a_refused_push_through(shop):
    """A failed verification in the ledger, a part edited to say it passed: the push is still refused."""
    shop.deploy("api", author=AGENT)
    shop.verify("api", "fail")
    ledger = shop.project.ledger
    cache.load(ledger)
    data = json.loads(_part_path(shop).read_text())
    data["state"]["services"]["api"]["verification"]["verdict"] = "pass"
    data["state"]["services"]["api"]["fail_streak"] = 0
    _write_part(shop, data)
    shop.change("docs/readme.md", "a commit to push\n")  # (docs: api's verdict still covers HEAD)
    res = shop.push()
    assert res.returncode != 0 and "FAILED" in res.stderr


def test_a_part_behind_the_ledger_is_caught_up_by_the_whole_cache(shop):
    """A verification appended after the part was written (the part not rewritten) still decides the push."""
    _verified(shop)
    ledger = shop.project.ledger
    cache.load(ledger)
    part = _part_path(shop).read_bytes()
    digests = anchor.read(ledger)["cache"]
    shop.verify("api", "fail")
    _part_path(shop).write_bytes(part)  # the old part, its digest anchored again: current but for the ledger
    anchor.update(ledger, "cache", {**anchor.read(ledger)["cache"], "part": digests["part"]})
    snap = snapshot.take(shop.path)
    assert snap.state["services"]["api"]["verification"]["verdict"] == "fail"


def _counting_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    real = anchor.read

    def counted(ledger):
        reads.append(anchor.file_of(ledger))
        return real(ledger)
    monkeypatch.setattr(anchor, "read", counted)
    return reads


def test_a_warm_decision_reads_the_anchor_once(shop, monkeypatch):
    """With its hooks part current, the snapshot reads anchor.json once: the integrity check judges that read."""
    _verified(shop)
    cache.load(shop.project.ledger)
    reads = _counting_reads(monkeypatch)
    snap = snapshot.take(shop.path)
    assert snap.chain_ok and snap.state["services"]["api"]["verification"]["verdict"] == "pass"
    assert len(reads) == 1


def test_a_part_not_current_has_the_anchor_read_again_after_the_whole_load(shop, monkeypatch):
    """When the whole cache decides (it may rewrite the anchor), the integrity check is given no earlier read:
    it reads the anchor anew."""
    from deploystate.state.tamper import integrity

    _verified(shop)
    ledger = shop.project.ledger
    cache.load(ledger)
    ledger.append("note", {"text": "after the part"})
    given: list = []
    real = integrity.check

    def spied(project, data=None):
        given.append(data)
        return real(project, data)
    monkeypatch.setattr(integrity, "check", spied)
    assert snapshot.take(shop.path).chain_ok and given == [None]
    given.clear()
    assert snapshot.take(shop.path).chain_ok and len(given) == 1 and given[0]["chain"]  # warm again: one read


def test_an_anchor_edited_before_a_warm_decision_is_still_tampered(shop):
    """The one read feeds the integrity check: an anchor whose chain head was edited refuses the push."""
    _verified(shop)
    ledger = shop.project.ledger
    cache.load(ledger)
    head = anchor.read(ledger)["chain"]
    anchor.update(ledger, "chain", {**head, "live_tail": head["live_tail"][::-1]}, quiet=False)
    snap = snapshot.take(shop.path)
    assert not snap.chain_ok and any("TAMPERED" in p for p in snap.chain_problems)
