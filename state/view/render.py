"""Render DEPLOYMENT_STATE.md from a view (pure: same view, same text) and write it atomically."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path  # a path is a str or os.PathLike: pathlib costs a process ~17M instructions to import
    from typing import Any

DEFAULT_BUDGET = 12_000


def short(commit: str | None) -> str:
    return commit[:10] if commit else "—"


def day(ts: str | None) -> str:
    return ts[:16].replace("T", " ") + " UTC" if ts else "—"


def _cell(text: Any, limit: int = 120) -> str:
    s = " ".join(str(text or "").split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def observed_as(view: dict[str, Any], verdict: str) -> list[dict[str, Any]]:
    """The configured services whose stored runtime observation has ``verdict`` (broken, not_head, ...)."""
    return [s for s in view["services"] if (s.get("observed") or {}).get("verdict") == verdict]


def _observed_cell(o: dict[str, Any] | None) -> str:
    if not o:
        return "—"
    words = {"broken": "**BROKEN**", "not_head": "committed, not running", "runs_head": "runs HEAD's code",
             "unknown": "UNKNOWN", "stale": "before the last deploy", "never": "never observed"}
    cell = words.get(o.get("verdict"), str(o.get("verdict")))
    if o.get("at"):
        cell += f" ({day(o['at'])})"
    return cell + (" — not answering since" if o.get("error") and o.get("at") else "")


def next_steps(view: dict[str, Any]) -> list[str]:
    """What to do next, most urgent first (pure)."""
    steps = []
    if view["status"] == "DOOM LOOP":
        steps.append("STOP. Read 'What was tried and failed' below, then check your idea with "
                     "`deploystate attempt check --summary \"...\"` before changing anything.")
    for s in observed_as(view, "broken"):
        steps.append(f"`{s['name']}` is not working now, by its runtime: {s['observed']['reason']}. Read its logs, "
                     f"record what you try (`deploystate attempt add`), fix, restart and `deploystate verify "
                     f"{s['name']}`.")
    for name in view["broken"]:
        steps.append(f"`{name}` failed verification: read its evidence (`deploystate state --json`), "
                     "record what you try with `deploystate attempt add`, then restart and `deploystate verify "
                     f"{name}`.")
    pending = {p["service"]: p for p in view.get("pending") or []}
    for name in view["unverified"]:
        if name in pending:
            p = pending[name]
            steps.append(f"`{name}`: pushed {short(p['commit'])} {day(p['ts'])}, CI deploy pending (running "
                         f"{short(p['running']) if p.get('running') else 'an unknown revision'}): wait for it and "
                         f"verify with `deploystate verify --wait {name}` (MCP: verify_deploy with wait_for_ci).")
        else:
            steps.append(f"`{name}` is restarted but unverified: run `deploystate verify {name}`.")
    drifted = [s["name"] for s in view["services"] if s["name"] not in pending and ( (s.get("observed") or {}).get("verdict") == "not_head"
               or (s["drift"]["state"] == "committed, not running"
                   and (s.get("observed") or {}).get("verdict") != "runs_head"))]
    if drifted:
        steps.append("Committed is not running for " + ", ".join(f"`{n}`" for n in drifted)
                     + ": run `deploystate restart --affected`, then `deploystate verify`.")
    overdue = [s["name"] for s in view["services"] if s["recheck_overdue"]]
    if overdue:
        steps.append("Recheck overdue for " + ", ".join(f"`{n}`" for n in overdue)
                     + ": run `deploystate verify --recheck`.")
    if view["problems"]:
        steps.append("The ledger has problems: run `deploystate doctor`.")
    if not steps:
        steps.append("Nothing pending. Before the next deploy: `deploystate affected`, restart, verify, "
                     "then `deploystate mark-deployed`.")
    return steps


def _services(view: dict[str, Any]) -> list[str]:
    out = ["## What is running", ""]
    if not view["services"]:
        return out + ["No services configured. Add `[services.<name>]` tables to deploystate.toml.", ""]
    out += ["| service | running commit | vs HEAD | runtime (observed) | last verdict | last verified | recheck due |",
            "|---|---|---|---|---|---|---|"]
    for s in view["services"]:
        ver = s["verification"]
        verdict = f"{ver['verdict'].upper()} {day(ver['ts'])}" if ver else "never verified"
        verified = f"{short(s['verified']['commit'])} {day(s['verified']['ts'])}" if s["verified"] else "never"
        drift = s["drift"]["state"] + (f" ({s['drift']['count']} files)" if s["drift"]["count"] else "")
        due = day(s["recheck_due"]) + (" **OVERDUE**" if s["recheck_overdue"] else "") if s["recheck_due"] else "—"
        out.append(f"| {s['name']} | {short(s['running_commit'])} | {drift} | {_observed_cell(s.get('observed'))} "
                   f"| {verdict} | {verified} | {due} |")
    out.append("")
    for s in observed_as(view, "not_head"):
        out.append(f"- `{s['name']}` committed, not running (observed {day(s['observed']['at'])}): "
                   f"{_cell(s['observed']['reason'], 300)}")
    for s in view["services"]:
        if s["drift"]["files"]:
            more = s["drift"]["count"] - len(s["drift"]["files"])
            files = ", ".join(f"`{f}`" for f in s["drift"]["files"]) + (f" and {more} more" if more > 0 else "")
            out.append(f"- `{s['name']}` committed, not running: {files}")
    return out + [""] if out[-1] != "" else out


def _problems(view: dict[str, Any]) -> list[str]:
    out = ["## What is broken or unverified", ""]
    by_name = {s["name"]: s for s in view["services"]}
    for s in observed_as(view, "broken"):
        out.append(f"- **BROKEN** `{s['name']}` (its runtime, {day(s['observed']['at'])}): "
                   f"{_cell(s['observed']['reason'], 300)}")
    for name in view["broken"]:
        ver = by_name[name]["verification"] or {}
        dep = by_name[name]["deploy"] or {}
        if ver and ver.get("verdict") == "fail" and (not dep or ver["id"] > dep["id"]):
            out.append(f"- **BROKEN** `{name}` at {short(ver.get('commit'))}: verification failed {day(ver.get('ts'))}"
                       f" — {_cell(ver.get('summary'), 300)}")
            for check in ver.get("failed_checks", [])[:5]:
                out.append(f"  - {_cell(check, 300)}")
        else:
            out.append(f"- **BROKEN** `{name}`: restart failed {day(dep.get('ts'))} — {_cell(dep.get('reason'), 300)}")
    for name in view["unverified"]:
        s = by_name[name]
        ver, dep = s["verification"], s["deploy"]
        if ver and ver["verdict"] == "inconclusive" and (not dep or ver["id"] > dep["id"]):
            out.append(f"- **INCONCLUSIVE** `{name}` at {short(ver['commit'])} {day(ver['ts'])}: "
                       f"{_cell(ver.get('summary'), 300)}")
        else:
            warn = f" (warnings: {_cell('; '.join(dep['warnings']), 200)})" if dep and dep.get("warnings") else ""
            out.append(f"- **UNVERIFIED** `{name}`: restarted at {short(dep['commit'])} {day(dep['ts'])} by "
                       f"{dep.get('author') or 'unknown'} ({dep.get('strategy') or 'restart'}), no verification since"
                       + warn)
    if view["status"] == "DOOM LOOP":
        looping = ", ".join(f"`{n}` {k} failed verifications in a row" for n, k in view["doom"]["looping"].items())
        out.append(f"- **DOOM LOOP**: {looping} (threshold {view['doom_threshold']}):")
        for f in reversed(view["doom"]["failures"][-10:]):
            out.append(f"  - {day(f['ts'])} `{f['service']}` at {short(f['commit'])}: {_cell(f['summary'], 200)}")
    for p in view["problems"][:10]:
        out.append(f"- **LEDGER** {_cell(p, 300)}")
    if len(out) == 2:
        out.append("Nothing known to be broken or unverified.")
    return out + [""]


def _tried(view: dict[str, Any], limit: int) -> list[str]:
    out = ["## What was tried and failed", ""]
    items = view["failed_attempts"]
    for a in items[:limit]:
        where = ", ".join(a.get("services") or []) or ", ".join(a.get("files") or [])[:80]
        out.append(f"- {day(a['ts'])} — {_cell(a['summary'], 200)} → **{a['outcome']}**"
                   + (f" ({_cell(where, 80)})" if where else "") + f" [{a['id']}]")
    older = view["attempts_failed"] - min(limit, len(items))
    if older > 0:
        out.append(f"- {older} older failed attempts in the ledger (`deploystate attempt list`).")
    if not items:
        out.append("No failed attempts recorded. Record each one: `deploystate attempt add --outcome failed ...`.")
    return out + [""]


def _sessions(view: dict[str, Any]) -> list[str]:
    out = ["## Last sessions", ""]
    for s in view["sessions"][:3]:
        head = f"- **{s['session_id']}** {day(s['started'])} ({s['status']}"
        head += f", ended {day(s['ended'])})" if s.get("ended") else ")"
        out.append(head + (f": {_cell(s['goal'], 200)}" if s.get("goal") else ""))
        for key in ("did", "broke", "next", "auto"):
            if s.get(key):
                out.append(f"  - {key}: {_cell(s[key], 300)}")
    if len(out) == 2:
        out.append("No sessions recorded. Agents: `deploystate session start --goal \"...\"`.")
    return out + [""]


def _overrides(view: dict[str, Any]) -> list[str]:
    if not view["overrides"]:
        return []
    out = ["## Overrides", ""]
    for o in view["overrides"][:5]:
        out.append(f"- {day(o['ts'])} {o.get('who') or o.get('author') or 'unknown'} overrode `{o.get('hook')}`: "
                   f"{_cell(o['reason'], 200)} (refs: {_cell(', '.join(o.get('refs') or []), 120)})")
    return out + [""]


def _timeline(view: dict[str, Any], attempts_limit: int) -> list[str]:
    """The last day per service as a Mermaid block (dropped first when the file must shrink)."""
    block = view.get("timeline") or []
    if not block or attempts_limit <= 2:
        return []
    return ["## The last 24 hours", "", "Restarts, verdicts, rechecks and overrides per service (UTC).", "",
            *block, ""]


def render(view: dict[str, Any], budget: int = DEFAULT_BUDGET) -> str:
    """The whole file; shrinks the attempts list until it fits ``budget`` characters."""
    for limit in (15, 10, 5, 2, 0):
        text = _render(view, limit)
        if len(text) <= budget:
            return text
    return text[: budget - 80].rsplit("\n", 1)[0] + "\n\n… cut to fit the size budget: `deploystate state --json`.\n"


def _render(view: dict[str, Any], attempts_limit: int) -> str:
    lines = [
        "<!-- Generated by deploystate. Do not edit: edits are overwritten, and the ledger is the truth. -->",
        f"<!-- Regenerate with: {view['generated_by']} -->",
        "",
        f"# Deployment state: {view['project']}",
        "",
        f"**Status: {view['status']}** — {_cell(view['reason'], 600)}",
        "",
        *[f"> **Warning:** `{n}`'s running revision is not checked (waived: {_cell(w, 200)})."
          for n, w in (view.get("waivers") or {}).items()],
        *([""] if view.get("waivers") else []),
        f"As of {day(view['as_of'])} · HEAD {short(view['head'])} · {view['records']} ledger records. "
        "Committed is not running; \"deployment successful\" is not \"system working\".",
        "",
    ]
    lines += _services(view) + _timeline(view, attempts_limit) + _problems(view) + _tried(view, attempts_limit) \
        + _sessions(view) + _overrides(view)
    lines += ["## Next steps", ""] + [f"{i}. {s}" for i, s in enumerate(next_steps(view), 1)] + [""]
    return "\n".join(lines)


def write_atomic(path: str | Path, text: str, *, durable: bool = True) -> bool:
    """Write via a temp file and rename; return False (and change nothing) when the text is unchanged.
    ``durable=False`` for a derived file that any render rewrites: no fsync (one per record otherwise)."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except OSError:
        pass
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    return True
