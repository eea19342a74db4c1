"""Text and overlap similarity between attempts (pure, standard library only).

Why not embeddings: the point is to catch "the same idea, reworded" across
sessions on a machine with no network and no model. Normalised tokens
(case, punctuation, numbers, hashes, paths, timestamps, stop words, light
stemming, a few domain synonyms) weighted by how rare they are across all
attempts (IDF) catch paraphrases like "restart celery worker to fix event
loop" / "fix: event loop error by restarting the worker", while a shared
common word ("fix") alone does not make two attempts similar.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

# Volatile shapes dropped before tokenising: they differ between two tellings of the same idea.
# Every shape holds a digit, so text without one skips this step (most summaries).
_VOLATILE = re.compile("|".join([
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
    r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b",
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    r"\b0x[0-9a-f]+\b",
    r"\bsha256:[0-9a-f]+\b",
    r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b",  # commit shas, digests
]), re.I)
_DIGIT = re.compile(r"\d")
# A path-like word: keep only its last component without extension ("app/worker/tasks.py" -> "tasks").
_PATH = re.compile(r"(?:[\w.~-]*/)+([\w.-]+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z][a-z0-9]*")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing done down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just let me more most my no nor not now
of off on once only or other our out over own same she should so some such than that the their them then
there these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours try tried trying again maybe still instead via per using use used
""".split())

# Words that name the same action; mapped onto one stem so rewordings meet.
SYNONYMS = {
    "reboot": "restart", "bounce": "restart", "recycle": "restart", "relaunch": "restart", "rerun": "restart",
    "kill": "stop", "terminat": "stop", "increas": "rais", "bump": "rais", "rais": "rais", "decreas": "lower",
    "reduc": "lower", "mem": "memori", "ram": "memori", "oom": "memori", "oomkill": "memori",
    "err": "error", "exception": "error", "crash": "fail", "broken": "fail", "break": "fail",
    "configur": "config", "conf": "config", "cfg": "config", "env": "environ", "variabl": "var",
    "upgrad": "updat", "bumpup": "rais", "db": "databas", "postgr": "postgr", "pg": "postgr",
    "postgresql": "postgr", "k8s": "kubernet", "kube": "kubernet", "pod": "pod", "contain": "container",
    "redeploy": "deploy", "rollout": "deploy", "rebuild": "build", "timedout": "timeout",
}

_SUFFIXES = ("ational", "ization", "ations", "ation", "ments", "ment", "ness", "ings", "ing", "edly", "ies",
             "ied", "ers", "er", "ed", "es", "ly", "s")


@lru_cache(maxsize=1 << 16)  # a project's vocabulary is small; stemming is most of tokenising's cost
def stem(word: str) -> str:
    """A light suffix stripper: 'restarting', 'restarted', 'restarts' -> 'restart'; 'retries' -> 'retri'."""
    if len(word) <= 3 or word.isdigit():
        return SYNONYMS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                base += "i"
            elif suffix == "s" and base.endswith(("s", "u", "i")):  # "process", "status", "analysis"
                base = word
            elif suffix in ("ing", "ed", "er", "ings", "ers") and len(base) > 3 and base[-1] == base[-2] \
                    and base[-1] not in "lsz":
                base = base[:-1]  # "stopping" -> "stop", "restarted" keeps its "t"
            word = base
            break
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"  # "retry" meets "retries"
    elif word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "increase" meets "increased", "close" meets "closed"
    return SYNONYMS.get(word, word)


def tokens(text: str | None) -> list[str]:
    """Normalised, stemmed, de-duplicated content words of ``text`` in first-seen order."""
    if not text:
        return []
    s = str(text)
    if _DIGIT.search(s):
        s = _VOLATILE.sub(" ", s)
    if "/" in s:
        s = _PATH.sub(lambda m: " " + m.group(1).rsplit(".", 1)[0] + " ", s)
    s = _CAMEL.sub(" ", s).lower().replace("_", " ")
    out: dict[str, None] = {}
    for word in _WORD.findall(s):
        if word in STOP_WORDS or len(word) < 2:
            continue
        word = word.rstrip("0123456789") or word  # "worker2" and "worker" are the same worker here
        if len(word) < 2 or word in STOP_WORDS:
            continue
        out.setdefault(stem(word), None)
    return list(out)


def norm_path(path: str) -> str:
    """One spelling per file: forward slashes, no leading './' or '/', no trailing slash."""
    p = str(path).strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")


def norm_files(files: Iterable[str]) -> list[str]:
    return sorted({norm_path(f) for f in files if str(f).strip()})


def norm_services(services: Iterable[str]) -> list[str]:
    return sorted({str(s).strip().lower() for s in services if str(s).strip()})


def jaccard(a: Sequence[str] | set[str], b: Sequence[str] | set[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def idf(df: int, total: int) -> float:
    """Smoothed inverse document frequency: rare words count more, no word counts zero."""
    return math.log(1.0 + (total + 1) / (df + 1))


def text_score(query: Sequence[str], doc: Sequence[str], weight: Mapping[str, float] | None = None) -> float:
    """Weighted Dice overlap of two token sets in 0..1 (unweighted when ``weight`` is None)."""
    q, d = set(query), set(doc)
    if not q or not d:
        return 0.0
    if weight is None:
        return 2.0 * len(q & d) / (len(q) + len(d))
    get = weight.get  # fsum: exact, so the score does not hang on the order a set yields its words in
    fsum = math.fsum  # (an attempt read from the base lists its words in another order than when recorded)
    inter = fsum([get(t, 1.0) for t in q & d])
    return 2.0 * inter / (fsum([get(t, 1.0) for t in q]) + fsum([get(t, 1.0) for t in d]))


# How much each part counts when both sides have it; absent parts are left out, not counted as zero.
TEXT_WEIGHT, FILES_WEIGHT, SERVICES_WEIGHT = 0.6, 0.25, 0.15


def combine(text: float, files: float | None, services: float | None, *, signature_match: bool = False) -> float:
    """One score in 0..1 from text similarity and (when both sides name any) file/service overlap."""
    total, weight = TEXT_WEIGHT * text, TEXT_WEIGHT
    if files is not None:
        total, weight = total + FILES_WEIGHT * files, weight + FILES_WEIGHT
    if services is not None:
        total, weight = total + SERVICES_WEIGHT * services, weight + SERVICES_WEIGHT
    score = total / weight
    if signature_match:
        score = 1.0 - (1.0 - score) * 0.5  # the same failure seen again: halfway to certain
    return round(min(1.0, max(0.0, score)), 4)


def score_pair(q_tokens: Sequence[str], q_files: Sequence[str], q_services: Sequence[str],
               d_tokens: Sequence[str], d_files: Sequence[str], d_services: Sequence[str],
               weight: Mapping[str, float] | None = None, *, signature_match: bool = False) -> float:
    """Similarity of a query and one earlier attempt, all inputs already normalised."""
    files = jaccard(q_files, d_files) if q_files and d_files else None
    services = jaccard(q_services, d_services) if q_services and d_services else None
    return combine(text_score(q_tokens, d_tokens, weight), files, services, signature_match=signature_match)
