"""Top-k over bit-sliced sums, and the similar-attempt search that uses it for long posting lists."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploystate.state.memory import bitrank, memindex, recall, similarity
from tests.fixtures.ledgers import attempts_index

WORDS = "restart worker celery queue redis timeout memory limit event loop probe rollout cache token".split()


def _brute_top(sums: dict[int, int], k: int) -> set[int]:
    ranked = sorted((kv for kv in sums.items() if kv[1] > 0), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return {i for i, _ in ranked[:k]}


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 300), terms=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2**32 - 1)),
                                                max_size=8),
       extra=st.dictionaries(st.integers(0, 299), st.integers(0, 70), max_size=30), k=st.integers(1, 40))
def test_top_matches_a_brute_force_ranking(size: int, terms: list[tuple[int, int]], extra: dict[int, int],
                                           k: int) -> None:
    """Adding weighted member sets and per-member sums, then taking the top k, equals sorting the sums."""
    rnd = random.Random(size * 7919 + k)
    slices: list[int] = []
    expected: dict[int, int] = {}
    for weight, _seed in terms:
        chosen = sorted(rnd.sample(range(size), rnd.randint(0, size)))
        bitrank.add(slices, bitrank.from_positions(chosen, size), weight)
        for i in chosen:
            expected[i] = expected.get(i, 0) + weight
    extra = {i: v for i, v in extra.items() if i < size}
    bitrank.add_sums(slices, extra, size)
    for i, v in extra.items():
        expected[i] = expected.get(i, 0) + v
    assert sorted(bitrank.top(slices, k)) == sorted(_brute_top(expected, k))


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 600), k=st.integers(1, 80), seed=st.integers(0, 2**16))
def test_top_comes_in_tiers_of_falling_sums(size: int, k: int, seed: int) -> None:
    """The top k come roughly best first: along the answer a sum's highest set bit never rises (recall's
    exact scoring meets its bar early)."""
    rnd = random.Random(seed)
    sums = {i: rnd.randint(1, 5000) for i in rnd.sample(range(size), rnd.randint(1, size))}
    slices: list[int] = []
    bitrank.add_sums(slices, sums, size)
    got = bitrank.top(slices, k)
    assert sorted(got) == sorted(_brute_top(sums, k))
    lengths = [sums[i].bit_length() for i in got]
    assert lengths == sorted(lengths, reverse=True)
    ranked = bitrank.tiers(slices, k)
    for (members, most), (_, next_most) in zip(ranked, ranked[1:] + [([], 0)]):
        # each tier's stated highest sum holds for its members, and all of them exceed the next tier's
        assert all(next_most < sums[i] <= most for i in members)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 700), distinct=st.integers(1, 3 * bitrank.GROUPED_MAX), k=st.integers(1, 60),
       seed=st.integers(0, 2**16))
def test_sums_of_few_or_many_values_add_as_their_planes(size: int, distinct: int, k: int, seed: int) -> None:
    """Per-member sums added by value (few distinct sums) or by bit plane (many) give the slices and the top k
    of adding each member's sum on its own, on top of a weighted set already added."""
    rnd = random.Random(seed)
    values = [rnd.randint(0, 40_000) for _ in range(distinct)]
    sums = {i: rnd.choice(values) for i in rnd.sample(range(size), rnd.randint(1, size))}
    base = bitrank.from_positions(rnd.sample(range(size), rnd.randint(0, size)), size)
    one_by_one: list[int] = []
    bitrank.add(one_by_one, base, 1983)
    for i, v in sums.items():
        bitrank.add(one_by_one, 1 << i, v)
    slices: list[int] = []
    bitrank.add(slices, base, 1983)
    bitrank.add_sums(slices, sums, size)
    width = max(len(slices), len(one_by_one))
    assert slices + [0] * (width - len(slices)) == one_by_one + [0] * (width - len(one_by_one))
    expected = {i: sums.get(i, 0) + (1983 if base >> i & 1 else 0) for i in range(size)}
    assert sorted(bitrank.top(slices, k)) == sorted(_brute_top(expected, k))


def test_members_and_highest_read_set_bits() -> None:
    """Set bits come back ascending (members) or highest first, cut at the count asked (highest)."""
    positions = [0, 3, 8, 9, 700, 701, 4095]
    x = bitrank.from_positions(positions, 4096)
    assert x == sum(1 << p for p in positions)
    assert bitrank.members(x) == positions
    assert bitrank.highest(x, 3) == [4095, 701, 700]
    assert bitrank.highest(x, 99) == positions[::-1]
    assert bitrank.members(0) == [] and bitrank.highest(0, 5) == []


@pytest.fixture
def index(tmp_path: Path) -> memindex.MemoryIndex:
    rnd = random.Random(3)
    return attempts_index(tmp_path, [{"summary": " ".join(rnd.sample(WORDS, rnd.randint(3, 7))),
                                      "files": [f"svc/{rnd.randint(0, 3)}.py"], "services": []}
                                     for _ in range(1500)])


def _answers(index: memindex.MemoryIndex, queries: list[str]) -> list[list[tuple[float, str]]]:
    return [[(score, doc.id) for score, _, doc in recall.search(index, tokens=similarity.tokens(q),
                                                                files=["svc/1.py"], limit=10, min_score=0.2)]
            for q in queries]


def test_bit_sets_answer_as_walking_the_lists_does(index: memindex.MemoryIndex,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every list added as a bit set gives the same answers as every list walked in Python."""
    queries = [" ".join(random.Random(i).sample(WORDS, 6)) for i in range(12)]
    monkeypatch.setattr(recall, "DENSE_MIN", 10**9)
    walked = _answers(index, queries)
    monkeypatch.setattr(recall, "DENSE_MIN", 0)
    monkeypatch.setattr(recall, "DENSE_SHARE", 10**9)
    assert _answers(index, queries) == walked
    assert index.bits, "the bit-set path was not taken"


def test_kept_bit_sets_follow_new_attempts(index: memindex.MemoryIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bit set kept from an earlier query includes attempts added since (patched or rebuilt)."""
    monkeypatch.setattr(recall, "DENSE_MIN", 0)
    query = ["restart worker celery queue"]
    _answers(index, query)
    for n in (3, recall._REBUILD_AFTER + 5):  # patched, then rebuilt
        for j in range(n):
            index.apply({"id": f"z{n:04d}{j:04d}", "ts": "", "kind": "attempt",
                         "payload": {"summary": "restart worker celery queue", "outcome": "failed",
                                     "files": ["svc/1.py"]}})
        added = [f"z{n:04d}{j:04d}" for j in range(n)][::-1][:10]  # exact matches; ties go to the higher id
        assert [doc_id for _, doc_id in _answers(index, query)[0]][: len(added)] == added
        value, upto = index.bits[similarity.tokens("restart")[0]]
        assert upto == len(index.docs) and value >> (len(index.docs) - 1) == 1
