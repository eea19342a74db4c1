"""Compaction: keep ledger.jsonl bounded without losing anything that matters (standard library only).

How the chain stays verifiable: ``Ledger.verify`` reads archive.jsonl, then
ledger.jsonl, as one DAG, and a record must come after its parent. So the
archive always receives a *prefix* of the live file (every record older than
the cutoff, in file order). Records in that prefix that still matter (an
unresolved failure, an unverified deploy, an override, an open session, the
latest deploy/verification per service...) are *also* kept in the live file:
the same sealed line twice, which the chain counts as a harmless duplicate and
every reader de-duplicates by id. The live file alone therefore still shows
every open item; the archive alone is a complete, verifiable history prefix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta

from deploystate.state.tamper import anchorhead
from . import chain, sealing, store, tail
from deploystate.state.view import cache, projection
from deploystate.state.memory import memindex
from deploystate.state.errors import InputError, Refused
from .ids import iso, parse_duration, utc_now
from .ledger import Ledger
from deploystate.state.config.project import Project

DEFAULT_OLDER_THAN = "30d"
RECENT_SESSIONS_KEPT = 3
_SERVICE_KINDS = ("deploy", "rollback", "verification", "mark_deployed")


def keep_reasons(records: list[dict]) -> dict[str, str]:
    """Why each record that must stay in the live file stays (pure; ``records`` from archive and live)."""
    ordered = sorted({r["id"]: r for r in records}.values(), key=lambda r: r["id"])
    last: dict[tuple[str, str], str] = {}   # (service, what) -> id
    last_pass: dict[str, str] = {}
    global_pass = ""
    open_sessions: dict[str, list[str]] = {}
    session_order: list[str] = []
    session_records: dict[str, list[str]] = {}
    last_preflight = None
    for rec in ordered:
        kind, p, rid = rec.get("kind"), rec.get("payload") or {}, rec["id"]
        if kind in _SERVICE_KINDS and isinstance(p.get("service"), str):
            svc = p["service"]
            group = "deploy" if kind in ("deploy", "rollback") else kind
            last[(svc, group)] = rid
            if group == "deploy" and p.get("status") != "failed":
                last[(svc, "running")] = rid
            if kind == "verification" and p.get("verdict") == "pass":
                last_pass[svc] = global_pass = rid
        elif kind in ("session_start", "session_end") and isinstance(p.get("session_id"), str):
            sid = p["session_id"]
            session_records.setdefault(sid, []).append(rid)
            if kind == "session_start":
                open_sessions[sid] = session_records[sid]
            else:
                open_sessions.pop(sid, None)
            if kind == "session_start" or sid not in session_order:
                session_order.append(sid)  # as the projection lists them: by start, or by end when unseen
        elif kind == "preflight":
            last_preflight = rid
    reasons: dict[str, str] = {}
    for (svc, group), rid in last.items():
        reasons.setdefault(rid, f"latest {group} of {svc}")
    for svc, rid in last_pass.items():
        reasons.setdefault(rid, f"last passing verification of {svc}")
    for sid, rids in open_sessions.items():
        for rid in rids:
            reasons.setdefault(rid, f"session {sid} is open")
    for sid in dict.fromkeys(session_order[-RECENT_SESSIONS_KEPT:]):
        for rid in session_records.get(sid, []):
            reasons.setdefault(rid, f"one of the last {RECENT_SESSIONS_KEPT} sessions")
    if last_preflight:
        reasons.setdefault(last_preflight, "latest preflight")
    for rec in ordered:
        kind, p, rid = rec.get("kind"), rec.get("payload") or {}, rec["id"]
        if kind == "override":
            reasons.setdefault(rid, "overrides are never archived")
        elif kind in _SERVICE_KINDS and isinstance(p.get("service"), str) and rid > last_pass.get(p["service"], ""):
            reasons.setdefault(rid, f"{p['service']} has not passed verification since (unresolved)")
        elif kind == "attempt" and p.get("outcome") == "failed":
            services = [s for s in p.get("services") or [] if isinstance(s, str)]
            unresolved = any(rid > last_pass.get(s, "") for s in services) if services else rid > global_pass
            if unresolved:
                reasons.setdefault(rid, "failed attempt with no passing verification since (unresolved)")
    return reasons


def open_items(state: dict, doom_threshold: int = 3) -> dict:
    """What must survive compaction unchanged: everything still open or current in a projection (pure)."""
    services = {}
    for name, svc in sorted(state["services"].items()):
        dep, ver = svc.get("deploy") or {}, svc.get("verification") or {}
        services[name] = {"running_commit": svc.get("running_commit"), "deploy": dep.get("id"),
                          "deploy_status": dep.get("status"), "verification": ver.get("id"),
                          "verdict": ver.get("verdict"), "verified": (svc.get("verified") or {}).get("id"),
                          "marked_deployed": (svc.get("marked_deployed") or {}).get("id"),
                          "fail_streak": svc.get("fail_streak")}
    return {"status": projection.status(state, doom_threshold), "failed": projection.failed(state),
            "unverified": projection.unverified(state), "doom_streak": state["doom"]["streak"],
            "doom_failures": [f["id"] for f in state["doom"]["failures"]], "services": services,
            "open_sessions": sorted(state["sessions"]["open"]),
            "last_sessions": [s["session_id"] for s in state["sessions"]["recent"][-RECENT_SESSIONS_KEPT:]],
            "overrides": [o["id"] for o in state["overrides"]],
            "preflight": (state.get("preflight") or {}).get("id")}


@dataclass
class Plan:
    cutoff: str
    to_archive: list[dict] = field(default_factory=list)   # the prefix not yet in the archive, in file order
    live: list[dict] = field(default_factory=list)         # what ledger.jsonl will hold, in file order
    kept: dict[str, str] = field(default_factory=dict)     # id -> reason, for prefix records kept live
    already_archived: int = 0
    sealed: int = 0                                        # closed segments made by this compaction


def plan(live: list[dict], archived_ids: set[str], all_records: list[dict], cutoff: str) -> Plan:
    """Split the live file: the prefix older than ``cutoff`` goes to the archive; what matters stays (pure)."""
    reasons = keep_reasons(all_records)
    out = Plan(cutoff=cutoff)
    prefix_done = False
    for rec in live:
        if not prefix_done and rec.get("ts", "") >= cutoff:
            prefix_done = True  # the archive must stay a prefix: nothing after the first young record moves
        if prefix_done:
            if rec["id"] in archived_ids and rec["id"] not in reasons:
                out.already_archived += 1  # a line a union merge brought back: the archive has it already
            else:
                out.live.append(rec)
            continue
        if rec["id"] in archived_ids:
            out.already_archived += 1
        else:
            out.to_archive.append(rec)
            archived_ids.add(rec["id"])
        if rec["id"] in reasons:
            out.live.append(rec)
            out.kept[rec["id"]] = reasons[rec["id"]]
    return out


def _write_lines(path: str | os.PathLike[str], records: list[dict], mode: str) -> None:
    with open(path, mode, encoding="utf-8") as fh:
        fh.write("".join(chain.canonical(r) + "\n" for r in records))
        fh.flush()
        os.fsync(fh.fileno())


def _repair_archive_tail(ledger: Ledger) -> None:
    """A compaction that died mid-append leaves a torn archive line whose record is still live: set it aside.

    Done here, under the lock, because ``Ledger.read`` would try to take the lock again to repair it."""
    path = ledger.archive_path
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        entry = {"quarantined_at": iso(utc_now()), "from": path.name, "line": data.count(b"\n", 0, keep) + 1,
                 "why": "torn last archive line (compaction stopped mid-write)",
                 "raw": data[keep:].decode("utf-8", "replace")}
        with open(ledger.quarantine_path, "a", encoding="utf-8") as q:
            q.write(json.dumps(entry, sort_keys=True) + "\n")
            q.flush()
            os.fsync(q.fileno())
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())


def _compact_locked(ledger: Ledger, cutoff: str, dry_run: bool) -> tuple[Plan, int, int]:
    tail.repair(ledger)  # we hold the lock: torn tails are quarantined here, not by read()
    _repair_archive_tail(ledger)
    held = ledger.guard()  # never compact (and re-anchor) a ledger that no longer matches its anchor
    report = ledger.verify()
    if not report.ok:
        raise Refused(f"the ledger does not verify ({len(report.problems)} problems): {report.problems[0]}",
                      "run `deploystate doctor` and repair the ledger before compacting it")
    res_all = ledger.read(include_archive=True)
    live = [rec for path, _line, rec in res_all.lines if path == str(ledger.path)]
    archived_ids = {rec["id"] for path, _line, rec in res_all.lines if path != str(ledger.path)}
    result = plan(live, archived_ids, res_all.records, cutoff)
    before = ledger.path.stat().st_size if ledger.path.exists() else 0
    moved = bool(result.to_archive or len(result.live) < len(live))
    if dry_run or not (moved or sealing.due(ledger)):
        return result, before, before
    if result.to_archive:
        _write_lines(ledger.archive_path, result.to_archive, "a")  # first: a crash now leaves duplicates only
    if moved:
        tmp = ledger.path.with_name(f"{ledger.path.name}.{os.getpid()}.tmp")
        _write_lines(tmp, result.live, "w")
        os.replace(tmp, ledger.path)
    result.sealed = sealing.seal(ledger)  # the archive's oldest whole segments, compressed (verified above)
    anchorhead.set_head(ledger, anchorhead.head_now(ledger, held.get("chain")))  # our own rewrite: the new head
    return result, before, ledger.path.stat().st_size


def compact(project: Project, *, older_than: str | float = DEFAULT_OLDER_THAN, dry_run: bool = False) -> dict:
    """Archive old, resolved records; return what moved, what stayed and why. Refuses on a broken chain."""
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise InputError(f"bad age {older_than!r}: {exc}", "use a duration like 30d, 12h or 90m") from exc
    project.require_state()
    ledger = project.ledger
    cutoff = iso(utc_now() - timedelta(seconds=age))
    with ledger.locked():
        result, before, after = _compact_locked(ledger, cutoff, dry_run)
    changed = not dry_run and (before != after or result.sealed > 0)
    if changed:
        (ledger.dir / cache.CACHE).unlink(missing_ok=True)
        memindex.drop(ledger)
        cache.load(ledger)
        store.write_state_file(project)
    reasons: dict[str, int] = {}
    for why in result.kept.values():
        key = why.split(" of ")[0] if why.startswith(("latest", "last passing")) else why.split(" (")[0]
        reasons[key] = reasons.get(key, 0) + 1
    return {"dry_run": dry_run, "cutoff": cutoff, "archived": len(result.to_archive),
            "already_archived": result.already_archived, "kept_in_live": len(result.kept),
            "live_records": len(result.live), "live_bytes_before": before,
            "live_bytes_after": after if not dry_run else None, "kept_reasons": reasons,
            "sealed_segments": result.sealed,
            "kept": [{"id": rid, "reason": why} for rid, why in list(result.kept.items())[:200]],
            "changed": changed}
