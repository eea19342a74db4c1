"""The similar-attempt search as it was before issue 13 (verbatim, for bench_similarity.py's before/after).

Two steps keep a query over 100k attempts fast: candidates are gathered from
the inverted index, each scored by the IDF weight of what it shares with the
query (words very common across all attempts are skipped at this step when
rarer ones exist); only the best few hundred are then scored exactly.
"""

from __future__ import annotations

import heapq
from typing import Sequence

from deploystate.state.memory import similarity
from deploystate.state.memory.memindex import Doc, MemoryIndex

CANDIDATES = 300
COMMON_FRACTION = 0.2  # a word in more than this share of attempts does not nominate candidates alone
OVERLAP_BONUS = 1.5    # nomination weight of a shared file / service / signature


def _weights(index: MemoryIndex, keys: Sequence[str]) -> dict[str, float]:
    total = len(index.docs)
    return {k: similarity.idf(len(index.postings.get(k, ())), total) for k in keys}


def search(index: MemoryIndex, *, tokens: Sequence[str], files: Sequence[str] = (), services: Sequence[str] = (),
           signature: str | None = None, limit: int = 5, min_score: float = 0.35) -> list[tuple[float, bool, Doc]]:
    """The best earlier attempts as (score, signature_match, doc), best first, newest first on ties."""
    total = len(index.docs)
    if not total or limit <= 0:
        return []
    post = index.postings
    qweights = _weights(index, tokens)
    present = [t for t in tokens if t in post]
    rare = [t for t in present if index.df(t) <= COMMON_FRACTION * total]  # df: as long as its list
    nominators = [(t, qweights[t]) for t in (rare or present)]
    # Services do not nominate: a shared service alone scores at most 0.2, below any useful threshold,
    # and "worker" is named by a large share of attempts (its list is the longest to walk).
    nominators += [("f:" + f, OVERLAP_BONUS) for f in files]
    if min_score < 0.2:
        nominators += [("s:" + s, OVERLAP_BONUS) for s in services]
    if signature:
        nominators.append(("g:" + signature, OVERLAP_BONUS * 2))
    acc: dict[int, float] = {}
    get = acc.get
    for key, weight in nominators:
        for i in post.get(key, ()):
            acc[i] = get(i, 0.0) + weight
    if not acc:
        return []
    best = heapq.nlargest(CANDIDATES, acc.items(), key=lambda kv: (kv[1], kv[0])) if len(acc) > CANDIDATES \
        else list(acc.items())
    weight_cache = dict(qweights)
    out = []
    for i, _ in best:
        doc = index.docs[i]
        d_tokens = doc.tokens
        for t in d_tokens:
            if t not in weight_cache:
                weight_cache[t] = similarity.idf(index.df(t), total)
        sig_match = bool(signature and doc.signature == signature)
        score = similarity.score_pair(tokens, files, services, d_tokens, doc.files, doc.services, weight_cache,
                                      signature_match=sig_match)
        if score >= min_score:
            out.append((score, sig_match, doc))
    out.sort(key=lambda item: (item[0], item[2].id), reverse=True)
    return out[:limit]
