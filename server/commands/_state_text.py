"""The compact terminal rendering of ``deploystate state`` (pure: a view in, text out).

``paint(text, level)`` colours a cell by meaning ("bad", "warn", "good", "head"); the default paints
nothing, so piped output, ``NO_COLOR`` and ``--color=never`` get the same text without escapes.
Columns are padded before colouring, so the escapes never skew the table.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Callable

    Paint = Callable[[str, str], str]

from deploystate.state.view.render import day, next_steps, observed_as, short

ANSI = {"bad": "31;1", "warn": "33", "good": "32", "head": "1"}


def plain(text: str, level: str) -> str:
    return text


def ansi(text: str, level: str) -> str:
    code = ANSI.get(level)
    return f"\033[{code}m{text}\033[0m" if code and text.strip() else text


def level_of(text: str) -> str:
    """The meaning of a status or verdict cell, for its colour (pure)."""
    t = text.upper()
    if any(w in t for w in ("BROKEN", "FAIL", "DOOM", "TAMPERED")):
        return "bad"
    if any(w in t for w in ("UNVERIFIED", "INCONCLUSIVE", "DRIFT", "UNKNOWN", "COMMITTED, NOT RUNNING",
                            "NEVER", "OVERDUE", "PENDING", "STALE")):
        return "warn"
    if t.startswith(("OK", "PASS", "RUNS HEAD", "RUNNING HEAD")):
        return "good"
    return ""


def _table(rows: list[list[str]], paint: Paint = plain, colour_cols: tuple[int, ...] = ()) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        cells = []
        for i, (c, w) in enumerate(zip(r, widths)):
            level = "head" if n == 0 else level_of(c) if i in colour_cols else ""
            cells.append((paint(c, level) if level else c) + " " * (w - len(c)))
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _verdict(s: dict[str, Any]) -> str:
    ver = s["verification"]
    return f"{ver['verdict'].upper()} {day(ver['ts'])}" if ver else "never verified"


def _recheck(s: dict[str, Any]) -> str:
    if not s["recheck_due"]:
        return "—"
    return day(s["recheck_due"]) + (" OVERDUE" if s["recheck_overdue"] else "")


VERDICT_WORDS = {"broken": "BROKEN", "not_head": "committed, not running", "runs_head": "runs HEAD's code",
                 "unknown": "UNKNOWN", "stale": "stale", "never": "never observed"}


def observed_cell(o: dict[str, Any] | None) -> str:
    """One service's runtime answer: the verdict, why, and how old it is when it is not from just now."""
    if not o:
        return ""
    word = VERDICT_WORDS.get(o.get("verdict"), str(o.get("verdict")))
    parts = [word + (f": {o['reason']}" if o.get("reason") and o.get("verdict") != "never" else "")]
    if o.get("verdict") == "never":
        parts = [o.get("reason") or word]
    elif o.get("error"):
        parts.append(f"observed {o.get('age') or '?'} ago; not answering now: {o['error']}")
    if o.get("revision") and o.get("verdict") not in ("never", "not_head"):
        parts.append(f"runtime at {short(o['revision'])}")
    return "; ".join(parts)


def services_lines(view: dict[str, Any], paint: Paint = plain) -> list[str]:
    if not view["services"]:
        return ["  no services configured: add [services.<name>] to deploystate.toml (docs/config.md)"]
    rows = [["SERVICE", "RUNNING (LEDGER)", "VS HEAD", "LAST VERDICT", "RECHECK DUE"]]
    for s in view["services"]:
        drift = s["drift"]["state"] + (f" ({s['drift']['count']} files)" if s["drift"]["count"] else "")
        rows.append([s["name"], short(s["running_commit"]), drift, _verdict(s), _recheck(s)])
    out = _table(rows, paint, (2, 3, 4))
    for s in view["services"]:
        if s["drift"]["files"]:
            more = s["drift"]["count"] - len(s["drift"]["files"])
            out.append(f"  {s['name']} committed, not running: " + ", ".join(s["drift"]["files"])
                       + (f" and {more} more" if more > 0 else ""))
    seen = [s for s in view["services"] if s.get("observed")]
    if seen:
        out += ["", "Runtime (what each runtime says it runs" + (f", asked {day(view['observed_at'])}"
                                                                 if view.get("observed_at") else "") + "):"]
        runtime = _table([["", ""]] + [[s["name"], observed_cell(s["observed"])] for s in seen], paint, (1,))
        out += runtime[1:]  # no header row: the line above says what the column is
    return out


def day_lines(view: dict[str, Any], paint: Paint = plain) -> list[str]:
    """The last 24 hours per service, one line each (the state file shows the same as a Mermaid chart)."""
    rows = view.get("day") or []
    if not rows:
        return []
    width = max(len(name) for name, _ in rows)
    out = ["Last 24 hours (UTC):"]
    for name, events in rows:
        out.append(f"  {name.ljust(width)}  " + " · ".join(f"{hhmm} {paint(label, lvl)}" for hhmm, label, lvl in events))
    return out + [""]


def problem_lines(view: dict[str, Any]) -> list[str]:
    out = [f"  BROKEN {s['name']} (its runtime says, {day(s['observed']['at'])}): {s['observed']['reason']}"
           for s in observed_as(view, "broken")]
    out += [f"  DRIFT {s['name']}: committed, not running: {s['observed']['reason']}"
            for s in observed_as(view, "not_head")]
    by_name = {s["name"]: s for s in view["services"]}
    for name in view["broken"]:
        ver, dep = by_name[name]["verification"] or {}, by_name[name]["deploy"] or {}
        if ver.get("verdict") == "fail" and (not dep or ver["id"] > dep["id"]):
            out.append(f"  BROKEN {name} at {short(ver.get('commit'))}: verification failed {day(ver.get('ts'))}: "
                       f"{ver.get('summary', '')}")
            out += [f"    - {c}" for c in ver.get("failed_checks", [])[:5]]
        else:
            out.append(f"  BROKEN {name}: restart failed {day(dep.get('ts'))}: {dep.get('reason') or ''}")
    for name in view["unverified"]:
        ver, dep = by_name[name]["verification"], by_name[name]["deploy"]
        if ver and ver["verdict"] == "inconclusive" and (not dep or ver["id"] > dep["id"]):
            out.append(f"  INCONCLUSIVE {name} at {short(ver['commit'])} {day(ver['ts'])}: {ver.get('summary', '')}")
        else:
            out.append(f"  UNVERIFIED {name}: restarted at {short(dep['commit'])} {day(dep['ts'])}, no verification "
                       "since")
    if view["status"] == "DOOM LOOP":
        looping = ", ".join(f"{n} {k} failed verifications in a row" for n, k in view["doom"]["looping"].items())
        out.append(f"  DOOM LOOP: {looping} (threshold {view['doom_threshold']})")
    out += [f"  LEDGER {p}" for p in view["problems"][:10]]
    return out


def state_text(view: dict[str, Any], notes: list[str] | None = None, paint: Paint = plain) -> str:
    """What is running, what is broken, what was tried, what to do next: one screen."""
    lines = [f"deploystate · {view['project']} · HEAD {short(view['head'])} · {view['records']} ledger records"
             f" · now {day(view['now'])}",
             f"Status: {paint(view['status'], level_of(view['status']))} — {view['reason']}", ""]
    lines += [f"note: {n}" for n in notes or []]
    lines += [f"WARNING: {n}'s running revision is not checked (waived: {w})" for n, w in
              (view.get("waivers") or {}).items()]
    lines += ["Services:"] + services_lines(view, paint) + [""]
    lines += day_lines(view, paint)
    problems = problem_lines(view)
    if problems:
        lines += ["Broken / unverified:"] + problems + [""]
    failed = view["failed_attempts"]
    if failed:
        lines.append(f"Failed attempts ({view['attempts_failed']} of {view['attempts_total']}; newest first):")
        lines += [f"  {day(a['ts'])} {a['summary'][:120]} [{a['id']}]" for a in failed[:5]]
        lines.append("")
    if view["sessions"]:
        lines.append("Sessions (newest first):")
        for s in view["sessions"][:3]:
            lines.append(f"  {s['session_id']} {s['status']} {day(s['started'])}" +
                         (f": {s['goal'][:100]}" if s.get("goal") else ""))
            lines += [f"    {k}: {s[k][:160]}" for k in ("did", "broke", "next") if s.get(k)]
        lines.append("")
    lines.append("Next steps:")
    lines += [f"  {i}. {step.replace('`', '')}" for i, step in enumerate(next_steps(view), 1)]
    return "\n".join(lines) + "\n"
