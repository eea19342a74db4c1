"""The current state, derived from ledger records (pure, standard library only).

``apply`` folds one record into the state; ``build`` replays records in id
order, so two merged sides give the same state whatever order they arrived in.
Everything kept here is bounded: the projection of 100k records is small.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterable

VERSION = 4  # 3: the timeline of recent events; 4: the doom loop is counted per service
RECENT_ATTEMPTS = 50
RECENT_SESSIONS = 10
RECENT_OVERRIDES = 20
RECENT_FAILURES = 20
OPEN_SESSIONS = 50  # an agent that dies leaves its session open; keep the newest, the rest age out


def empty() -> dict[str, Any]:
    return {"version": VERSION, "records": 0, "last_id": "", "last_ts": "", "services": {},
            "doom": {"streak": 0, "failures": [], "services": {}}, "attempts": {"total": 0, "failed": 0, "recent": []},
            "sessions": {"open": {}, "recent": []}, "overrides": [], "preflight": None, "counts": {},
            "timeline": []}


def _service(state: dict, name: str) -> dict:
    return state["services"].setdefault(name, {
        "running_commit": None, "deploy": None, "verification": None, "verified": None,
        "marked_deployed": None, "fail_streak": 0, "failures": []})


def _brief(rec: dict) -> dict:
    author = rec.get("author") or {}
    return {"id": rec["id"], "ts": rec.get("ts", ""), "commit": rec.get("commit"),
            "session": author.get("session"), "author": author.get("name")}


def _push(items: list, item: Any, limit: int) -> None:
    items.append(item)
    del items[:-limit]


def _on_deploy(state: dict, rec: dict) -> None:
    p = rec["payload"]
    svc = _service(state, p["service"])
    commit = p.get("commit") or rec.get("commit")
    entry = {**_brief(rec), "commit": commit, "kind": rec["kind"], "strategy": p.get("strategy"),
             "status": p.get("status", "restarted"), "platform_ids": p.get("platform_ids") or {},
             "warnings": p.get("warnings") or [], "forced": bool(p.get("forced")), "reason": p.get("reason"),
             "started_at": p.get("started_at")}  # verification reads logs and instance starts since this
    svc["deploy"] = entry
    if entry["status"] not in ("failed", "pending"):  # pending: CI has not rolled it out yet
        svc["running_commit"] = commit


def _on_verification(state: dict, rec: dict) -> None:
    p = rec["payload"]
    svc = _service(state, p["service"])
    verdict = p.get("verdict", "inconclusive")
    entry = {**_brief(rec), "commit": p.get("commit") or rec.get("commit"), "verdict": verdict,
             "summary": p.get("summary", ""), "deploy_id": p.get("deploy_id"), "recheck": bool(p.get("recheck")),
             "recheck_due": p.get("recheck_due"), "failed_checks": (p.get("failed_checks") or [])[:10],
             "signature": p.get("signature")}
    svc["verification"] = entry
    if verdict == "pass":
        svc["verified"] = {"id": rec["id"], "ts": rec.get("ts", ""), "commit": entry["commit"]}
        svc["fail_streak"], svc["failures"] = 0, []
    elif verdict == "fail":
        # Only this service's streak moves: another service's pass or failure says nothing about this one's
        # fixes. An inconclusive verdict (a missing revision label, an unreachable runtime) is not a failed fix.
        svc["fail_streak"] += 1
        _push(svc.setdefault("failures", []), {"id": rec["id"], "ts": rec.get("ts", ""), "service": p["service"],
                                               "commit": entry["commit"], "summary": entry["summary"][:300]},
              RECENT_FAILURES)
    _doom_summary(state)


def _doom_summary(state: dict) -> None:
    """``doom``: the longest per-service streak, every streak, and the failures of the current streaks."""
    streaks = {name: svc.get("fail_streak", 0) for name, svc in state["services"].items() if svc.get("fail_streak")}
    failures = sorted((f for name in streaks for f in state["services"][name].get("failures") or []),
                      key=lambda f: f["id"])
    state["doom"] = {"streak": max(streaks.values(), default=0), "failures": failures[-RECENT_FAILURES:],
                     "services": dict(sorted(streaks.items()))}


def _on_mark_deployed(state: dict, rec: dict) -> None:
    p = rec["payload"]
    _service(state, p["service"])["marked_deployed"] = {**_brief(rec), "commit": p.get("commit"),
                                                        "verification_id": p.get("verification_id"),
                                                        "note": p.get("note", "")}


def _on_attempt(state: dict, rec: dict) -> None:
    p = rec["payload"]
    att = state["attempts"]
    att["total"] += 1
    if p.get("outcome") == "failed":
        att["failed"] += 1
    _push(att["recent"], {**_brief(rec), "summary": str(p.get("summary", ""))[:500],
                          "outcome": p.get("outcome", "unknown"), "files": (p.get("files") or [])[:20],
                          "services": (p.get("services") or [])[:20], "signature": p.get("signature"),
                          "similar_to": p.get("similar_to")}, RECENT_ATTEMPTS)


def _on_session_start(state: dict, rec: dict) -> None:
    p = rec["payload"]
    sid = p["session_id"]
    entry = {"session_id": sid, "started": rec.get("ts", ""), "start_id": rec["id"], "goal": p.get("goal", ""),
             "client": p.get("client"), "status": "open", "ended": None, "did": "", "broke": "", "next": "",
             "auto": ""}
    # ``open`` and ``recent`` hold separate copies: the cache round-trips through JSON.
    opened = state["sessions"]["open"]
    opened[sid] = dict(entry)
    if len(opened) > OPEN_SESSIONS:
        for old in sorted(opened, key=lambda k: opened[k]["start_id"])[: len(opened) - OPEN_SESSIONS]:
            del opened[old]
    _push(state["sessions"]["recent"], entry, RECENT_SESSIONS)


def _on_session_end(state: dict, rec: dict) -> None:
    p = rec["payload"]
    sid = p["session_id"]
    sessions = state["sessions"]
    opened = sessions["open"].pop(sid, None)
    entry = next((s for s in sessions["recent"] if s["session_id"] == sid), None)
    if entry is None:
        entry = opened or {"session_id": sid, "started": "", "start_id": "", "goal": "", "client": None}
        _push(sessions["recent"], entry, RECENT_SESSIONS)
    entry.update(status=p.get("status", "ended"), ended=rec.get("ts", ""), did=p.get("did", ""),
                 broke=p.get("broke", ""), next=p.get("next", ""), auto=p.get("auto", ""))


def _on_override(state: dict, rec: dict) -> None:
    p = rec["payload"]
    _push(state["overrides"], {**_brief(rec), "reason": p.get("reason", ""), "refs": p.get("refs") or [],
                               "hook": p.get("hook"), "who": p.get("who")}, RECENT_OVERRIDES)


def _on_preflight(state: dict, rec: dict) -> None:
    p = rec["payload"]
    state["preflight"] = {**_brief(rec), "result": p.get("result"), "failing": (p.get("failing") or [])[:20]}


_HANDLERS = {
    "deploy": _on_deploy, "rollback": _on_deploy, "verification": _on_verification,
    "mark_deployed": _on_mark_deployed, "attempt": _on_attempt, "session_start": _on_session_start,
    "session_end": _on_session_end, "override": _on_override, "preflight": _on_preflight,
}


TIMELINE_KINDS = frozenset({"deploy", "rollback", "verification", "mark_deployed", "override"})
TIMELINE_KEEP = 200  # newest events kept for the state file's last-day timeline (it shows at most 48)


def _timeline(state: dict, rec: dict) -> None:
    p = rec.get("payload") or {}
    _push(state.setdefault("timeline", []),
          {"ts": rec.get("ts", ""), "kind": rec["kind"], "service": p.get("service"),
           "verdict": p.get("verdict"), "status": p.get("status"), "recheck": bool(p.get("recheck"))},
          TIMELINE_KEEP)


def apply(state: dict, rec: dict) -> None:
    """Fold one record into ``state``; records of unknown kinds are counted and otherwise ignored."""
    kind = rec.get("kind", "")
    handler = _HANDLERS.get(kind)
    try:
        if handler:
            handler(state, rec)
        if kind in TIMELINE_KINDS:
            _timeline(state, rec)
    except (KeyError, TypeError, AttributeError):
        kind = "malformed"  # a record missing fields it should have: counted, never fatal
    state["counts"][kind] = state["counts"].get(kind, 0) + 1
    state["records"] += 1
    if rec.get("id", "") > state["last_id"]:
        state["last_id"], state["last_ts"] = rec["id"], rec.get("ts", "")


def build(records: Iterable[dict]) -> dict[str, Any]:
    """Replay records in id order, each id once."""
    unique = {r["id"]: r for r in records if isinstance(r, dict) and "id" in r}
    state = empty()
    for rid in sorted(unique):
        apply(state, unique[rid])
    return state


# -- derived views (pure) ------------------------------------------------------

def restarted_unverified(state: dict) -> list[str]:
    """Services restarted since their last verification."""
    return [name for name, svc in sorted(state["services"].items())
            if (dep := svc.get("deploy")) and dep["status"] != "failed"
            and (not (ver := svc.get("verification")) or ver["id"] < dep["id"])]


def pending(state: dict) -> list[str]:
    """Services whose latest deploy is a push CI has yet to roll out (verify --wait resolves it)."""
    return [name for name, svc in sorted(state["services"].items())
            if (dep := svc.get("deploy")) and dep["status"] == "pending"
            and (not (ver := svc.get("verification")) or ver["id"] < dep["id"])]


def inconclusive(state: dict) -> list[str]:
    """Services whose latest word is an inconclusive verification (unknown evidence is never a pass), or a
    verdict that is no known word (a hand-written record, another version): unknown is never a pass."""
    return [name for name, svc in sorted(state["services"].items())
            if (ver := svc.get("verification")) and ver["verdict"] not in ("pass", "fail")
            and (not (dep := svc.get("deploy")) or ver["id"] > dep["id"])]


def unverified(state: dict) -> list[str]:
    """Services restarted since their last verification, or whose last verdict was inconclusive."""
    return sorted(restarted_unverified(state) + inconclusive(state))


def failed(state: dict) -> list[str]:
    """Services whose latest verification failed, or whose latest restart failed."""
    out = []
    for name, svc in sorted(state["services"].items()):
        dep, ver = svc.get("deploy"), svc.get("verification")
        if ver and ver["verdict"] == "fail" and (not dep or ver["id"] > dep["id"]):
            out.append(name)
        elif dep and dep["status"] == "failed" and (not ver or dep["id"] > ver["id"]):
            out.append(name)
    return out


def doom_services(state: dict, threshold: int) -> list[str]:
    """Services whose own verifications failed ``threshold`` times in a row (one per verify run)."""
    return sorted(name for name, svc in state["services"].items() if svc.get("fail_streak", 0) >= max(1, threshold))


def doom_failures(state: dict, threshold: int) -> list[dict]:
    """The failed verifications of the services in a doom loop, oldest first."""
    looping = set(doom_services(state, threshold))
    return [f for f in state["doom"]["failures"] if f.get("service") in looping]


def doom_loop(state: dict, threshold: int) -> bool:
    return bool(doom_services(state, threshold))


def status(state: dict, threshold: int, chain_ok: bool = True) -> tuple[str, str]:
    """The one-line status (OK / UNVERIFIED / BROKEN / DOOM LOOP) and its reason."""
    looping = doom_services(state, threshold)
    if looping:
        said = ", ".join(f"{n} ({state['services'][n]['fail_streak']} in a row)" for n in looping)
        return "DOOM LOOP", (f"verification failed again and again with no pass between for {said}; "
                             "stop and read what was tried before changing anything")
    if not chain_ok:
        return "BROKEN", "the ledger's hash chain does not verify: run `deploystate doctor`"
    bad = failed(state)
    if bad:
        return "BROKEN", "verification failed for " + ", ".join(bad)
    waiting = pending(state)
    restarted = [n for n in restarted_unverified(state) if n not in waiting]
    vague = inconclusive(state)
    if restarted or vague or waiting:
        parts = (["CI deploy pending (pushed, not yet seen running): " + ", ".join(waiting)] if waiting else []) + \
                (["restarted but not verified: " + ", ".join(restarted)] if restarted else []) + \
                (["last verification inconclusive: " + ", ".join(vague)] if vague else [])
        return "UNVERIFIED", "; ".join(parts)
    if not any(svc.get("deploy") for svc in state["services"].values()):
        return "OK", "no deploys recorded yet: nothing is known to be broken or unverified"
    return "OK", "every deploy deploystate knows of has a passing verification"
