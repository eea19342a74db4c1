"""Memory that breaks doom loops: the one entry point for attempts, signatures and sessions.

``record_attempt`` and ``check_attempt`` answer "has this been tried, and did
it fail?" from every attempt ever recorded (archive included) and from failure
signatures seen in attempts and failed verifications. Session handoff lives in
``sessions.py`` and is re-exported here. Standard library only.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Iterable

from deploystate.state.view import cache
from . import memindex, recall, similarity
from deploystate.state.ledger import store
from deploystate.state.errors import InputError
from deploystate.state.config.project import Project
from deploystate.state.ledger.redact import redact
from .sessions import end_session, resolve_session, start_session
from .signature import failure_signature

__all__ = ["similar_attempts", "record_attempt", "check_attempt", "signature_seen", "failure_signature",
           "repeated_failures",
           "start_session", "end_session", "resolve_session", "OUTCOMES"]

OUTCOMES = ("tried", "failed", "worked", "unknown")
MAX_SUMMARY = 16 * 1024
MAX_HYPOTHESIS = 16 * 1024
MAX_EVIDENCE = 64 * 1024
MAX_FILES, MAX_PATH = 200, 1024
MAX_SERVICES = 50
NEAR_DUPLICATE = 0.65
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _text(value: Any, what: str, limit: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value)
    size = len(text.encode("utf-8"))
    if size > limit:
        raise InputError(f"{what} is {size} bytes; the limit is {limit}",
                         f"shorten {what}: keep the essentials (put long logs in a file and name it)")
    if "\x00" in text:
        raise InputError(f"{what} contains a NUL byte", f"pass plain text as {what}")
    if required and not text.strip():
        raise InputError(f"{what} is empty", f"say in one line what the {what} is")
    return text.strip()


def _files(files: Iterable[str]) -> list[str]:
    files = list(files or ())
    if len(files) > MAX_FILES:
        raise InputError(f"{len(files)} files given; the limit is {MAX_FILES}", "name the files that matter most")
    for f in files:
        if not isinstance(f, str) or not f.strip() or len(f) > MAX_PATH or "\x00" in f:
            raise InputError(f"bad file path {str(f)[:80]!r}", f"give repository paths of at most {MAX_PATH} chars")
    return similarity.norm_files(files)


def _services(services: Iterable[str]) -> list[str]:
    services = [str(s).strip() for s in services or ()]
    if len(services) > MAX_SERVICES:
        raise InputError(f"{len(services)} services given; the limit is {MAX_SERVICES}", "name fewer services")
    for s in services:
        if not _SERVICE.match(s) or len(s) > 100:
            raise InputError(f"bad service name {s[:80]!r}",
                             "service names are lower case letters, digits, '-' and '_' as in deploystate.toml")
    return sorted(set(services))


def _day(ts: str | None) -> str:
    return ts[:10] if ts else "an unknown date"


def _as_dict(score: float, sig_match: bool, doc: memindex.Doc) -> dict:
    return {"id": doc.id, "ts": doc.ts, "summary": doc.summary, "outcome": doc.outcome, "score": score,
            "files": list(doc.files), "services": list(doc.services), "session": doc.session,
            "signature": doc.signature, "signature_match": sig_match}


def _query(project: Project, summary: str, hypothesis: str, files: list[str], services: list[str],
           signature: str | None, limit: int, min_score: float) -> list[dict]:
    toks = similarity.tokens(summary + "\n" + hypothesis)
    return memindex.guarded(project.ledger, lambda index: [
        _as_dict(*hit) for hit in recall.search(index, tokens=toks, files=files, services=services,
                                                signature=signature, limit=limit, min_score=min_score)])


def similar_attempts(project: Project, *, summary: str, hypothesis: str | None = None, files: Iterable[str] = (),
                     services: Iterable[str] = (), evidence: str | None = None, limit: int = 5,
                     min_score: float = 0.35) -> list[dict]:
    """The earlier attempts most like this one, best first (read-only)."""
    summary = _text(summary, "summary", MAX_SUMMARY, required=True)
    evidence = _text(evidence, "evidence", MAX_EVIDENCE)
    signature = failure_signature(redact(evidence)) if evidence else None
    return _query(project, summary, _text(hypothesis, "hypothesis", MAX_HYPOTHESIS), _files(files),
                  _services(services), signature, max(1, min(int(limit), 50)), float(min_score))


def signature_seen(project: Project, signature: str | None, service: str | None = None) -> dict | None:
    """How often and since when a failure signature was seen in attempts and failed verifications;
    with ``service``, only in that service's own history (its verifications, attempts naming it)."""
    if not signature:
        return None
    entry = memindex.load(project.ledger).signatures.get(signature)
    if entry and service is not None:
        entry = (entry.get("by_service") or {}).get(service)
    if not entry:
        return None
    entry = {k: v for k, v in entry.items() if k != "by_service"}
    text = (f"seen {entry['count']} time{'s' if entry['count'] != 1 else ''} since {_day(entry['first_ts'])}, "
            f"last tried: \"{entry.get('last_summary', '')[:120]}\" ({entry.get('last_kind')}, "
            f"{entry.get('last_outcome')}, {_day(entry.get('last_ts'))})")
    return {"signature": signature, **entry, "text": text}


def _warning(similar: list[dict], seen: dict | None) -> str | None:
    lines = []
    failed = [s for s in similar if s["outcome"] == "failed"]
    for s in failed[:3]:
        how = "is a near-duplicate of" if s["score"] >= NEAR_DUPLICATE else "resembles"
        lines.append(f"this {how} attempt {s['id']} from {_day(s['ts'])} (similarity {s['score']:.2f}), which "
                     f"FAILED: \"{s['summary'][:160]}\"" + (" [same failure signature]" if s["signature_match"] else ""))
    if seen:
        lines.append(f"the failure \"{seen['signature'][:120]}\" was {seen['text']}")
    if not lines:
        return None
    return "Tried before: " + "; ".join(lines) + ". Say what is different this time before repeating it."


def record_attempt(project: Project, *, summary: str, hypothesis: str | None = None, files: Iterable[str] = (),
                   services: Iterable[str] = (), outcome: str = "tried", evidence: str | None = None,
                   author: dict | None = None, limit: int = 5, min_score: float = 0.35) -> dict:
    """Record an attempt; return it with the similar earlier attempts and a warning when one of them failed."""
    if outcome not in OUTCOMES:
        raise InputError(f"unknown outcome {outcome!r}", f"use one of: {', '.join(OUTCOMES)}")
    summary = _text(summary, "summary", MAX_SUMMARY, required=True)
    hypothesis = _text(hypothesis, "hypothesis", MAX_HYPOTHESIS)
    evidence = _text(evidence, "evidence", MAX_EVIDENCE)
    files_n, services_n = _files(files), _services(services)
    signature = failure_signature(redact(evidence)) if evidence else None
    # Ask before writing so the attempt does not find itself.
    similar = _query(project, summary, hypothesis, files_n, services_n, signature, limit, min_score)
    seen = signature_seen(project, signature)
    payload = {"summary": summary, "hypothesis": hypothesis or None, "files": files_n, "services": services_n,
               "outcome": outcome, "evidence": evidence or None, "signature": signature,
               "similar_to": [s["id"] for s in similar]}
    rec = store.record(project, "attempt", payload, author=author)
    return {"record": rec, "similar": similar, "warning": _warning(similar, seen), "signature_seen": seen}


def check_attempt(project: Project, *, summary: str, files: Iterable[str] = (), evidence: str | None = None,
                  hypothesis: str | None = None, services: Iterable[str] = (), limit: int = 5,
                  min_score: float = 0.35) -> dict:
    """Has this been tried? Similar earlier attempts, whether one failed, and how often the failure was seen."""
    evidence = _text(evidence, "evidence", MAX_EVIDENCE)
    signature = failure_signature(redact(evidence)) if evidence else None
    similar = similar_attempts(project, summary=summary, hypothesis=hypothesis, files=files, services=services,
                               evidence=evidence, limit=limit, min_score=min_score)
    seen = signature_seen(project, signature)
    failed = [s for s in similar if s["outcome"] == "failed"]
    if failed:
        top = failed[0]
        text = (f"Tried before and FAILED: \"{top['summary'][:160]}\" on {_day(top['ts'])} (attempt {top['id']}, "
                f"similarity {top['score']:.2f}). Do not repeat it unless you can say what is different.")
    elif similar:
        top = similar[0]
        text = (f"Something similar was tried: \"{top['summary'][:160]}\" on {_day(top['ts'])} "
                f"(outcome {top['outcome']}, similarity {top['score']:.2f}); none of the similar attempts failed.")
    else:
        text = f"Nothing similar has been tried ({len(memindex.load(project.ledger).docs)} attempts searched)."
    if seen:
        text += f" This failure ({seen['signature'][:120]}) was {seen['text']}."
    return {"similar": similar, "failed_similar": bool(failed), "verdict_text": text, "signature": signature,
            "signature_seen": seen}



def _doc(index: memindex.MemoryIndex, rid: str) -> memindex.Doc | None:
    """Look an attempt up by id (docs are kept in id order: appended in order, rebuilt sorted)."""
    i = bisect.bisect_left(index.docs, rid, key=lambda d: d.id)
    return index.docs[i] if i < len(index.docs) and index.docs[i].id == rid else None


def repeated_failures(project: Project, state: dict | None = None, *, limit: int = 5) -> list[dict]:
    """Recent attempts that repeat an earlier FAILED one (newest first): what ``read_deployment_state`` shows.

    Uses the ``similar_to`` links each attempt recorded when it was written, so
    the answer is what the agent was warned about at the time."""
    state = state if state is not None else cache.load(project.ledger).state
    return memindex.guarded(project.ledger, lambda index: _repeats(index, state, limit))


def _repeats(index: memindex.MemoryIndex, state: dict, limit: int) -> list[dict]:
    out = []
    for att in reversed(state["attempts"]["recent"]):
        repeats = []
        for rid in att.get("similar_to") or []:
            doc = _doc(index, rid)
            if doc is not None and doc.outcome == "failed":
                repeats.append({"id": doc.id, "ts": doc.ts, "summary": doc.summary})
        if repeats:
            first = repeats[0]
            text = (f"attempt {att['id']} ({_day(att.get('ts'))}, {att.get('outcome')}) repeats attempt "
                    f"{first['id']} from {_day(first['ts'])} which FAILED: \"{first['summary'][:120]}\"")
            out.append({"attempt": {k: att.get(k) for k in ("id", "ts", "summary", "outcome", "session")},
                        "repeats": repeats, "text": text})
        if len(out) >= limit:
            break
    return out
