"""Session handoff: what the last session said to do next, and what the ledger shows each one did.

An agent that dies never calls ``end_session``; its session would stay open
forever and its lessons would be lost. The next ``start_session`` therefore
closes sessions left open as "abandoned", with the automatic summary of what
the ledger shows they did, before handing over the previous session's "next".
Standard library only.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from deploystate.state.view import cache
from . import memindex
from deploystate.state.ledger import store
from deploystate.state.git.author import current_author
from deploystate.state.errors import InputError
from deploystate.state.ledger.ids import new_id, parse_iso, utc_now
from .memrecords import auto_summary
from deploystate.state.config.project import Project

MAX_GOAL = 4 * 1024
MAX_NOTE = 16 * 1024  # did / broke / next


def _text(value: Any, what: str, limit: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise InputError(f"{what} contains a NUL byte", f"pass plain text as {what}")
    if len(text.encode("utf-8")) > limit:
        raise InputError(f"{what} is {len(text.encode('utf-8'))} bytes; the limit is {limit}",
                         f"shorten {what}: keep the essentials, put long logs in files and name them")
    if required and not text.strip():
        raise InputError(f"{what} is empty", f"say in one line what {what} is")
    return text.strip()


def _previous(state: dict) -> dict | None:
    """The newest ended session that left a "next", else the newest ended one at all."""
    ended = [s for s in state["sessions"]["recent"] if s.get("ended")]
    ended.sort(key=lambda s: (s.get("ended") or "", s.get("session_id") or ""), reverse=True)
    with_next = [s for s in ended if s.get("next")]
    pick = (with_next or ended or [None])[0]
    if pick is None:
        return None
    return {k: pick.get(k) for k in ("session_id", "goal", "started", "ended", "status", "did", "broke", "next",
                                     "auto")}


def _is_active(activity: dict | None, started: str, within: float | None) -> bool:
    if not within:
        return False
    last = (activity or {}).get("last_ts") or started
    try:
        return bool(last) and parse_iso(last) >= utc_now() - timedelta(seconds=within)
    except ValueError:
        return False


def start_session(project: Project, *, goal: str, client: str | None = None, author: dict | None = None,
                  keep_active_within: float | None = None) -> dict:
    """Close abandoned sessions, record a new one, and hand over what the previous session said to do next.

    ``keep_active_within`` (seconds): leave open sessions that recorded anything
    that recently (parallel agents); by default every open session is abandoned."""
    goal = _text(goal, "goal", MAX_GOAL, required=True)
    client = _text(client, "client", 200) or None
    ledger = project.ledger
    state = cache.load(ledger).state
    index = memindex.load(ledger)
    abandoned, kept = [], []
    for sid, info in sorted(state["sessions"]["open"].items()):
        activity = index.sessions.get(sid)
        if _is_active(activity, info.get("started", ""), keep_active_within):
            kept.append(sid)
            continue
        summary = auto_summary(activity)
        store.record(project, "session_end", {
            "session_id": sid, "did": "", "broke": "", "next": "", "status": "abandoned",
            "auto": f"abandoned (never ended; closed when a new session started): {summary}"},
            author=current_author(client=client) if author is None else author)
        abandoned.append({"session_id": sid, "goal": info.get("goal", ""), "started": info.get("started", ""),
                          "auto": summary})
    state = cache.load(ledger).state
    previous = _previous(state)
    session_id = new_id()
    who = dict(author) if author else current_author(client=client, session=session_id)
    who["session"] = session_id
    rec = store.record(project, "session_start", {"session_id": session_id, "goal": goal, "client": client},
                       author=who)
    recent_failed = [{"id": a["id"], "ts": a["ts"], "summary": a["summary"], "outcome": a["outcome"]}
                     for a in reversed(state["attempts"]["recent"]) if a.get("outcome") == "failed"][:5]
    return {"session_id": session_id, "previous_next": (previous.get("next") or None) if previous else None,
            "previous": previous, "abandoned": abandoned, "kept_open": kept, "recent_failed_attempts": recent_failed,
            "record": rec, "export": f"export DEPLOYSTATE_SESSION={session_id}"}


def resolve_session(project: Project, session_id: str | None) -> str:
    """The session to end: the one named, else $DEPLOYSTATE_SESSION, else the only open one."""
    sid = session_id or os.environ.get("DEPLOYSTATE_SESSION")
    if sid:
        return _text(sid, "session id", 200, required=True)
    open_ids = sorted(cache.load(project.ledger).state["sessions"]["open"])
    if len(open_ids) == 1:
        return open_ids[0]
    if not open_ids:
        raise InputError("no session is open", "start one with `deploystate session start --goal \"...\"`")
    raise InputError(f"{len(open_ids)} sessions are open: {', '.join(open_ids[:10])}",
                     "name one with --session ID (or set DEPLOYSTATE_SESSION)")


def end_session(project: Project, *, session_id: str | None, did: str, broke: str, next: str,
                author: dict | None = None) -> dict:
    """Record the end of a session: what the agent wrote plus what the ledger shows it did."""
    did = _text(did, "did", MAX_NOTE)
    broke = _text(broke, "broke", MAX_NOTE)
    nxt = _text(next, "next", MAX_NOTE)
    if not (did or broke or nxt):
        raise InputError("did, broke and next are all empty",
                         "say what this session did, what it broke (or 'nothing') and what to do next")
    sid = resolve_session(project, session_id)
    state = cache.load(project.ledger).state
    if sid not in state["sessions"]["open"]:
        known = [s for s in state["sessions"]["recent"] if s["session_id"] == sid]
        if known:
            raise InputError(f"session {sid} is already {known[0].get('status', 'ended')}",
                             "start a new session with `deploystate session start --goal \"...\"`")
        open_ids = sorted(state["sessions"]["open"])
        raise InputError(f"no open session {sid}", "open sessions: " + (", ".join(open_ids) or "none; start one "
                                                                        "with `deploystate session start`"))
    activity = memindex.load(project.ledger).sessions.get(sid)
    auto = auto_summary(activity)
    who = dict(author) if author else current_author(session=sid)
    who["session"] = sid
    rec = store.record(project, "session_end", {"session_id": sid, "did": did, "broke": broke, "next": nxt,
                                                "auto": auto, "status": "ended"}, author=who)
    return {"session_id": sid, "status": "ended", "auto": auto, "record": rec}
