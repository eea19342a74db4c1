"""What the memory keeps about sessions and verification failures, from ledger records (pure).

Per session: when it started and last did anything, its goal, and what the
ledger shows it did (restarts, verdicts, attempts), so a session that ends, or
dies and is closed as abandoned, gets an automatic summary beside whatever the
agent wrote.
"""

from __future__ import annotations

from .signature import failure_signature

RECENT = 20          # items kept per list per session
ENDED_KEPT = 50      # ended sessions kept (the projection keeps the last few for the state file)
UNSTARTED_KEPT = 300  # sessions known only from records that name them (no session_start seen), newest kept


def signature_of_verification(payload: dict) -> str | None:
    """The failure signature a verification recorded, or one derived from its failed checks' evidence."""
    sig = payload.get("signature")
    if isinstance(sig, str) and sig:
        return sig
    texts = []
    for check in payload.get("checks") or []:
        if isinstance(check, dict) and check.get("result") == "fail":
            texts.append(str(check.get("evidence") or ""))
    texts += [str(c) for c in payload.get("failed_checks") or []]
    return failure_signature("\n".join(t for t in texts if t)) if texts else None


def _session(sessions: dict, sid: str, ts: str) -> dict:
    entry = sessions.get(sid)
    if entry is None:
        entry = sessions[sid] = {"status": "open", "started": ts, "start_id": None, "goal": "", "client": None,
                                 "last_ts": ts, "records": 0, "restarts": {}, "restart_failures": {},
                                 "verdicts": [], "attempts": [], "attempts_total": 0, "attempts_failed": 0}
    return entry


def _push(items: list, item: list) -> None:
    items.append(item)
    del items[:-RECENT]


def apply_activity(sessions: dict, rec: dict, payload: dict, author: dict) -> None:
    """Fold one record into the per-session activity (session records and anything a session wrote)."""
    kind, ts = rec.get("kind"), rec.get("ts", "")
    if kind == "session_start":
        entry = _session(sessions, str(payload["session_id"]), ts)
        entry.update(started=ts, start_id=rec["id"], goal=str(payload.get("goal") or "")[:300],
                     client=payload.get("client"), author=author.get("name"))
        entry["last_ts"] = max(entry["last_ts"], ts)
        return
    if kind == "session_end":
        sid = str(payload["session_id"])
        entry = _session(sessions, sid, ts)
        entry.update(status=payload.get("status") or "ended", ended=ts, next=str(payload.get("next") or "")[:500])
        _prune(sessions)
        return
    sid = author.get("session")
    if not sid:
        return
    if str(sid) not in sessions and len(sessions) > ENDED_KEPT + 2 * UNSTARTED_KEPT:
        _prune_unstarted(sessions)
    entry = _session(sessions, str(sid), ts)
    entry["records"] += 1
    entry["last_ts"] = max(entry["last_ts"], ts)
    if kind in ("deploy", "rollback"):
        svc = str(payload.get("service"))
        bucket = "restart_failures" if payload.get("status") == "failed" else "restarts"
        entry[bucket][svc] = entry[bucket].get(svc, 0) + 1
    elif kind == "verification":
        _push(entry["verdicts"], [str(payload.get("service")), str(payload.get("verdict")), ts])
    elif kind == "attempt":
        entry["attempts_total"] += 1
        if payload.get("outcome") == "failed":
            entry["attempts_failed"] += 1
        _push(entry["attempts"], [str(payload.get("outcome")), str(payload.get("summary") or "")[:120]])


def _prune(sessions: dict) -> None:
    ended = [sid for sid, s in sessions.items() if s.get("status") != "open"]
    if len(ended) > ENDED_KEPT:
        ended.sort(key=lambda sid: sessions[sid].get("ended") or "")
        for sid in ended[: len(ended) - ENDED_KEPT]:
            del sessions[sid]


def _prune_unstarted(sessions: dict) -> None:
    """Bound memory: sessions nobody started or ended here (ids set by hand, other tools) age out."""
    loose = [sid for sid, s in sessions.items() if s.get("status") == "open" and not s.get("start_id")]
    loose.sort(key=lambda sid: sessions[sid].get("last_ts") or "")
    for sid in loose[: max(0, len(loose) - UNSTARTED_KEPT)]:
        del sessions[sid]


def auto_summary(activity: dict | None) -> str:
    """One line saying what the ledger shows a session did (pure)."""
    if not activity or not (activity.get("records") or activity.get("restarts") or activity.get("attempts_total")):
        return "the ledger shows nothing recorded by this session (no restarts, verifications or attempts)"
    parts = []
    restarts = activity.get("restarts") or {}
    if restarts:
        parts.append("restarted " + ", ".join(f"{s} x{n}" if n > 1 else s for s, n in sorted(restarts.items())))
    failures = activity.get("restart_failures") or {}
    if failures:
        parts.append("restart failed for " + ", ".join(f"{s} x{n}" if n > 1 else s for s, n in sorted(failures.items())))
    verdicts = activity.get("verdicts") or []
    if verdicts:
        last: dict[str, str] = {}
        counts: dict[str, int] = {}
        for svc, verdict, _ts in verdicts:
            last[svc] = verdict
            counts[verdict] = counts.get(verdict, 0) + 1
        tally = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        parts.append(f"verifications: {tally}; last verdict " + ", ".join(f"{s} {v}" for s, v in sorted(last.items())))
    total = activity.get("attempts_total") or 0
    if total:
        failed = activity.get("attempts_failed") or 0
        recent = activity.get("attempts") or []
        tail = f"; last: \"{recent[-1][1][:80]}\" ({recent[-1][0]})" if recent else ""
        parts.append(f"{total} attempt{'s' if total != 1 else ''} ({failed} failed){tail}")
    if not parts:
        parts.append(f"{activity.get('records', 0)} other records")
    return "; ".join(parts)
