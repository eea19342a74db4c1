"""Ranked lookup of earlier attempts in the memory index (pure over an in-memory index).

Two steps keep a query over 100k attempts fast: candidates are nominated by
the IDF weight of what they share with the query (words very common across all
attempts are skipped at this step when rarer ones exist); only the best few
hundred are then scored exactly. Nomination costs the same however common the
query's words are: a short posting list is walked in Python, a long one is
added to every attempt's sum at once as a bit set (``bitrank``), so a query of
six words that each name 15% of 100k attempts no longer walks 90k entries.
"""

from __future__ import annotations

import heapq
import math
from itertools import groupby
from typing import Callable, Sequence

from . import bitrank, similarity
from .memindex import Doc, MemoryIndex

CANDIDATES = 300
COMMON_FRACTION = 0.2  # a word in more than this share of attempts does not nominate candidates alone
OVERLAP_BONUS = 1.5    # nomination weight of a shared file / service / signature
SCALE = 1024           # nomination weights in 1024ths: integers add as bit sets; coarser reorders near-ties
# A posting list longer than this share of the attempts is added as a bit set: about the length at which
# walking it in Python costs as much as the ~50 whole-set int operations of adding it.
DENSE_SHARE, DENSE_MIN = 128, 256
BITSETS_KEPT = 256     # bit sets of long lists kept per index (each is attempts/8 bytes)
_REBUILD_AFTER = 64    # attempts added since a kept bit set was made: beyond this it is rebuilt, not patched


def _weights(index: MemoryIndex, keys: Sequence[str]) -> dict[str, float]:
    total = len(index.docs)
    return {k: similarity.idf(index.df(k), total) for k in keys}


def _bitset(index: MemoryIndex, key: str, total: int) -> int:
    """The attempts holding ``key`` as a bit set, kept between queries and patched with what was added since."""
    kept = index.bits.get(key)
    value = None
    if kept is not None:
        value, upto = kept
        added = index.since(key, upto)  # postings are in attempt order: the new ones are at the end
        if len(added) > _REBUILD_AFTER:
            value = None
        else:
            for i in added:
                value |= 1 << i
    if value is None:
        value = index.bitset(key)  # the base's stored bit set when it kept one
        if key not in index.bits and len(index.bits) >= BITSETS_KEPT:
            del index.bits[next(iter(index.bits))]
    index.bits[key] = (value, total)
    return value


def _nominate(index: MemoryIndex, nominators: list[tuple[str, float]]) -> list[tuple[list[int], int]]:
    """The numbers of the CANDIDATES attempts with the highest nomination sums (ties: the newer), in tiers
    of strictly falling sums with the highest sum of each (``bitrank.tiers``): exact scoring meets a high
    bar early and stops at the first tier whose sum cannot reach it (``_ceiling``)."""
    total, post = len(index.docs), index.postings
    dense = max(DENSE_MIN, total // DENSE_SHARE)
    df = index.df
    acc: dict[int, int] = {}
    get = acc.get
    slices: list[int] = []
    for key, weight in nominators:
        count = df(key)
        if not count:
            continue
        q = max(1, round(weight * SCALE))
        if count > dense:
            bitrank.add(slices, _bitset(index, key, total), q)
        else:
            for i in post.get(key):
                acc[i] = get(i, 0) + q
    if not slices:
        ranked = heapq.nlargest(CANDIDATES, acc.items(), key=lambda kv: (kv[1], kv[0]))
        return [([i for i, _ in group], most) for most, group in groupby(ranked, key=lambda kv: kv[1])]
    bitrank.add_sums(slices, acc, total)
    return bitrank.tiers(slices, CANDIDATES)


def _ceiling(index: MemoryIndex, qweights: dict[str, float], nominators: list[tuple[str, float]],
             files: Sequence[str], services: Sequence[str], signature: str | None) -> Callable[[int], float]:
    """A nomination sum -> the highest score an attempt nominated with at most that sum can have.

    Its shared nominating words weigh at most ``rate`` times their nomination weights (the largest
    weight / quantised weight of a nominating word), so at most ``rate * sum`` (the sum also holds the
    files' and signature's shares: only more); the query's words that did not nominate add at most their
    own weights. That bounds ``inter``, hence the text score ``2 inter / (w(query) + w(attempt))`` as in
    ``_exact``; a file or service overlap counts as full, a signature as matched."""
    words = {k: w for k, w in nominators if k in qweights}  # (files', services', signature's keys have a ":")
    rate = max((w / max(1, round(w * SCALE)) for w in words.values()), default=0.0)
    df = index.df
    qsum = math.fsum(qweights.values())
    rest = math.fsum(w for t, w in qweights.items() if t not in words and df(t))
    add = (similarity.FILES_WEIGHT if files else 0.0) + (similarity.SERVICES_WEIGHT if services else 0.0)
    div = similarity.TEXT_WEIGHT + add

    def reach(most: int) -> float:
        inter = min(qsum, (rate * most + rest) * (1.0 + 1e-9))  # (the slack: float sums in another order)
        ub = (similarity.TEXT_WEIGHT * (2.0 * inter / (qsum + inter) if inter > 0 else 0.0) + add) / div
        return 1.0 - (1.0 - ub) * 0.5 if signature else ub

    return reach


def search(index: MemoryIndex, *, tokens: Sequence[str], files: Sequence[str] = (), services: Sequence[str] = (),
           signature: str | None = None, limit: int = 5, min_score: float = 0.35) -> list[tuple[float, bool, Doc]]:
    """The best earlier attempts as (score, signature_match, doc), best first, newest first on ties."""
    total = len(index.docs)
    if not total or limit <= 0:
        return []
    df = index.df
    qweights = _weights(index, tokens)
    present = [t for t in tokens if df(t)]
    rare = [t for t in present if df(t) <= COMMON_FRACTION * total]
    nominators = [(t, qweights[t]) for t in (rare or present)]
    # Services do not nominate: a shared service alone scores at most 0.2, below any useful threshold,
    # and "worker" is named by a large share of attempts (its list is the longest to walk).
    nominators += [("f:" + f, OVERLAP_BONUS) for f in files]
    if min_score < 0.2:
        nominators += [("s:" + s, OVERLAP_BONUS) for s in services]
    if signature:
        nominators.append(("g:" + signature, OVERLAP_BONUS * 2))
    ceiling = _ceiling(index, qweights, nominators, files, services, signature)
    return _exact(index, _nominate(index, nominators), tokens, files, services, signature, limit, min_score,
                  ceiling)


def _exact(index: MemoryIndex, tiers: list[tuple[list[int], int]], tokens: Sequence[str], files: Sequence[str],
           services: Sequence[str], signature: str | None, limit: int, min_score: float,
           ceiling: Callable[[int], float] | None = None) -> list[tuple[float, bool, Doc]]:
    """``similarity.score_pair`` of each candidate, the same floats, with what is the same for every candidate
    computed once, and a candidate skipped when even the best score its shared words allow cannot enter the
    answer: ``2 w(shared) / (w(query) + w(shared))`` bounds its text score (its own words weigh at least what
    it shares), every step after it (combine, round) is monotonic, and the bar is the limit-th best score
    found so far (strictly below it can never be shown, ties are kept: the later attempt wins a tie). Candidates
    come in tiers (numbers, highest nomination sum); with ``ceiling`` the scoring stops at the first tier whose
    sum bounds every score of it and of the tiers after it under that bar."""
    total, df, docs, fsum = len(index.docs), index.df, index.docs, math.fsum
    weight = {t: similarity.idf(df(t), total) for t in tokens}
    w = weight.__getitem__  # every word of the query and (once filled) of a scored candidate is in ``weight``
    qset, qfiles, qservices = set(tokens), set(files), set(services)
    qsum = fsum(map(w, qset))
    combine, idf = similarity.combine, similarity.idf
    # (files, services) of a candidate -> its overlaps and its bound's terms, without and with a signature match
    overlap: tuple[dict, dict] = ({}, {})
    kept: list[tuple[float, int]] = []  # min-heap of the best ``limit`` (score, number) so far
    out = []
    base_total, delta = index.base_total, index.delta
    decoded = docs.decoded  # the base's attempts already read: no call through ``Docs.__getitem__``
    for numbers, most in tiers:
        if ceiling is not None and ceiling(most) < (kept[0][0] if len(kept) >= limit else min_score) - 1e-4:
            break  # no attempt of this tier or a later one (lower sums) can enter the answer
        for i in numbers:
            doc = delta[i - base_total] if i >= base_total else decoded(i) or docs[i]
            seen = doc.scored
            if seen is None:
                seen = doc.scored = _terms(doc)
            dset, where = seen
            sig_match = bool(signature and doc.signature == signature)
            known = overlap[sig_match].get(where)
            if known is None:
                d_files, d_services = doc.files, doc.services
                jf = _jaccard(qfiles, d_files) if qfiles and d_files else None
                js = _jaccard(qservices, d_services) if qservices and d_services else None
                known = overlap[sig_match][where] = (jf, js, *_affine(jf, js, sig_match))
            jf, js, add, div, sig_half = known
            shared = qset & dset
            inter = fsum(map(w, shared)) if shared else 0.0
            bar = kept[0][0] if len(kept) >= limit else min_score
            # The unrounded bound; a margin of 1e-4 covers round(., 4) lifting a score up to the bar.
            ub = (similarity.TEXT_WEIGHT * (2.0 * inter / (qsum + inter) if inter else 0.0) + add) / div
            if sig_half:
                ub = 1.0 - (1.0 - ub) * 0.5
            if ub < bar - 1e-4:
                continue
            if qset and dset:
                for t in dset.difference(weight):  # (a set less a dict's keys: the membership tests in C)
                    weight[t] = idf(df(t), total)
                text = 2.0 * inter / (qsum + fsum(map(w, dset)))
            else:
                text = 0.0
            score = combine(text, jf, js, signature_match=sig_match)
            if score >= min_score:
                out.append((score, i, sig_match, doc))
                if len(kept) < limit:
                    heapq.heappush(kept, (score, i))
                elif (score, i) > kept[0]:
                    heapq.heapreplace(kept, (score, i))
    out.sort(key=lambda item: item[:2], reverse=True)  # ties: the later attempt (attempts are in id order)
    return [(score, sig_match, doc) for score, _, sig_match, doc in out[:limit]]


def _terms(doc: Doc) -> tuple[frozenset, tuple]:
    """A candidate's words as a set and its (files, services) as one key: what every query scoring it reads.
    Kept on the attempt (``Doc.scored``): an attempt's record never changes, only the words' weights do."""
    raw, f, s = doc.tokens_text, doc.files_text, doc.services_text
    words = frozenset(raw) if raw.__class__ is list else frozenset(raw.split(" ")) if raw else frozenset()
    return words, (f if f.__class__ is str else tuple(f), s if s.__class__ is str else tuple(s))


def _affine(files: float | None, services: float | None, sig_match: bool) -> tuple[float, float, bool]:
    """``combine``'s score as (TEXT_WEIGHT * text + add) / div, then halfway to 1 on a signature match."""
    add, div = 0.0, similarity.TEXT_WEIGHT
    if files is not None:
        add, div = add + similarity.FILES_WEIGHT * files, div + similarity.FILES_WEIGHT
    if services is not None:
        add, div = add + similarity.SERVICES_WEIGHT * services, div + similarity.SERVICES_WEIGHT
    return add, div, sig_match


def _jaccard(query: set[str], other: list[str]) -> float:
    sb = set(other)
    return len(query & sb) / len(query | sb)
