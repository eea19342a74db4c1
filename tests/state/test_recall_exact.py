"""The exact scoring of nominated candidates (``recall._exact``): the same answers, the same floats, as scoring
every candidate with ``similarity.score_pair``, whatever it skipped on its bound."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from deploystate.state.memory import memindex, recall, similarity
from tests.fixtures.ledgers import attempts_index

WORDS = ("restart recreate worker celery beat queue redis postgres pool timeout memory limit oom event loop closed "
         "fallback model endpoint config image tag digest rollout probe health cron schedule retry").split()


@pytest.fixture
def index(tmp_path: Path) -> memindex.MemoryIndex:
    rnd = random.Random(5)
    return attempts_index(tmp_path, [
        {"summary": " ".join(rnd.sample(WORDS, rnd.randint(2, 9))),
         "files": [f"svc/{rnd.randint(0, 3)}.py"] if rnd.random() < 0.7 else [],
         "services": rnd.sample(["web", "worker", "api"], rnd.randint(0, 2)),
         "signature": "OOMKilled" if rnd.random() < 0.1 else None} for _ in range(1200)])


def _brute(index: memindex.MemoryIndex, best: list[int], tokens: list[str], files: list[str], services: list[str],
           signature: str | None, limit: int, min_score: float) -> list[tuple[float, bool, str]]:
    total = len(index.docs)
    weight = {t: similarity.idf(index.df(t), total) for t in tokens}
    out = []
    for i in best:
        doc = index.docs[i]
        for t in doc.tokens:
            weight.setdefault(t, similarity.idf(index.df(t), total))
        match = bool(signature and doc.signature == signature)
        score = similarity.score_pair(tokens, files, services, doc.tokens, doc.files, doc.services, weight,
                                      signature_match=match)
        if score >= min_score:
            out.append((score, i, match, doc.id))
    out.sort(key=lambda item: item[:2], reverse=True)
    return [(s, m, rid) for s, _, m, rid in out[:limit]]


def _random_query(rnd: random.Random) -> tuple:
    """A query's words (1-8), files, services, signature, limit (1-50) and threshold (0-0.5)."""
    tokens = similarity.tokens(" ".join(rnd.sample(WORDS, rnd.randint(1, 8))))
    files = rnd.choice([[], ["svc/1.py"], ["svc/0.py", "svc/2.py"]])
    services = rnd.choice([[], ["web"], ["worker", "api"]])
    signature = rnd.choice([None, "OOMKilled"])
    return tokens, files, services, signature, rnd.choice([1, 3, 5, 50]), rnd.choice([0.0, 0.2, 0.35, 0.5])


def test_exact_scoring_answers_as_scoring_every_candidate(index: memindex.MemoryIndex) -> None:
    """Over 400 random queries (limits 1-50, thresholds 0-0.5, files, services, signatures) the answer is the
    brute-force one: same attempts, same order, same scores."""
    rnd = random.Random(11)
    for _ in range(400):
        tokens, files, services, signature, limit, min_score = _random_query(rnd)
        best = list(range(len(index.docs)))
        rnd.shuffle(best)  # any order of candidates
        got = [(s, m, d.id) for s, m, d in recall._exact(index, [(best, 0)], tokens, files, services, signature, limit,
                                                          min_score)]
        assert got == _brute(index, best, tokens, files, services, signature, limit, min_score)


def test_stopping_on_the_ceiling_changes_no_answer(index: memindex.MemoryIndex) -> None:
    """Over 400 random queries the search that stops at the first tier its ceiling puts under the bar answers
    as scoring every nominated candidate: same attempts, same order, same scores."""
    rnd = random.Random(13)
    for _ in range(400):
        tokens, files, services, signature, limit, min_score = _random_query(rnd)
        scored: list[list[int]] = []
        real = recall._nominate

        def nominate(ix: memindex.MemoryIndex, nominators: list) -> list:
            scored.append([i for numbers, _ in real(ix, nominators) for i in numbers])
            return real(ix, nominators)

        recall._nominate = nominate
        try:
            got = [(s, m, d.id) for s, m, d in recall.search(index, tokens=tokens, files=files, services=services,
                                                               signature=signature, limit=limit,
                                                               min_score=min_score)]
        finally:
            recall._nominate = real
        want = [(s, m, d.id) for s, m, d in recall._exact(index, [(scored[0], 0)], tokens, files, services,
                                                           signature, limit, min_score)]
        assert got == want
