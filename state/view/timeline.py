"""The last day per service as a Mermaid gantt block for DEPLOYMENT_STATE.md (pure: same events, same text).

GitHub, GitLab and most Markdown viewers render ```mermaid blocks, so a reader sees restarts, verdicts,
rechecks and overrides on one time axis without reading the tables. Bounded: at most
``MAX_SERVICES`` sections of ``MAX_EVENTS`` milestones each (the newest), labels stripped of the
characters that end a gantt task (``:`` ``;`` ``#``) so a hostile summary cannot break the block.
"""

from __future__ import annotations

from datetime import datetime, timedelta
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterable

MAX_SERVICES = 8
MAX_EVENTS = 6
WINDOW = timedelta(days=1)
_UNSAFE = frozenset(":;#`\n\r\t")  # each run of them becomes one space (str methods: re costs ~25M to import)
_PARSED: dict[str, datetime | None] = {}  # the same recent events are parsed on every render (strptime is slow)
_PARSED_KEPT = 4096


def _safe(text: str) -> str:
    """``re.sub(r"[:;#`\n\r\t]+", " ", text)``."""
    if _UNSAFE.isdisjoint(text):
        return text
    out, run = [], False
    for ch in text:
        if ch in _UNSAFE:
            if not run:
                out.append(" ")
            run = True
        else:
            out.append(ch)
            run = False
    return "".join(out)
# kind/verdict -> (label, mermaid tags); crit marks what needs attention, done what went well
_LOOK = {
    ("deploy", "restarted"): ("restart", ""), ("deploy", "failed"): ("restart failed", "crit, "),
    ("rollback", "restarted"): ("rollback", ""), ("rollback", "failed"): ("rollback failed", "crit, "),
    ("verification", "pass"): ("verify pass", "done, "), ("verification", "fail"): ("verify FAIL", "crit, "),
    ("verification", "inconclusive"): ("verify inconclusive", "active, "),
    ("mark_deployed", ""): ("marked deployed", "done, "), ("override", ""): ("override", "crit, "),
}


def _label(event: dict[str, Any]) -> tuple[str, str] | None:
    kind = event.get("kind", "")
    outcome = event.get("verdict") or event.get("status") or ""
    look = _LOOK.get((kind, outcome)) or _LOOK.get((kind, ""))
    if look is None:
        return None
    label, tags = look
    if kind == "verification" and event.get("recheck"):
        label = "recheck " + label.split(" ", 1)[1]
    return _safe(label).strip(), tags


def _parse(ts: str) -> datetime | None:
    if ts in _PARSED:
        return _PARSED[ts]
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    when = _PARSED[ts] = _parse_new(ts)
    return when


def _parse_new(ts: str) -> datetime | None:
    """``datetime.strptime(ts[:16], "%Y-%m-%dT%H:%M")``, or None where it raises. The shape every record
    has (ASCII digits, zero-padded) is read by hand: strptime imports _strptime, locale and calendar (~9M
    instructions a process); any other text goes to strptime itself."""
    try:
        t = ts[:16]
        if (len(t) == 16 and t.isascii() and t[4] == "-" and t[7] == "-" and t[10] == "T" and t[13] == ":"
                and (t[:4] + t[5:7] + t[8:10] + t[11:13] + t[14:]).isdigit()):
            return datetime(int(t[:4]), int(t[5:7]), int(t[8:10]), int(t[11:13]), int(t[14:]))
        return datetime.strptime(t, "%Y-%m-%dT%H:%M")
    except (TypeError, ValueError):
        return None


def day_rows(events: Iterable[dict[str, Any]], now: datetime,
             collected: list | None = None) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Per service (the newest MAX_SERVICES), its last-day events as (HH:MM, label, level), oldest first;
    level is "bad", "good", "warn" or "" (the terminal's colours; the gantt's crit/done/active)."""
    level = {"crit, ": "bad", "done, ": "good", "active, ": "warn", "": ""}
    return [(name, [(f"{w:%H:%M}", label, level[tags]) for w, label, tags in items])
            for name, items in (collected if collected is not None else _collect(events, now))]


def _collect(events: Iterable[dict[str, Any]], now: datetime) -> list[tuple[str, list[tuple[datetime, str, str]]]]:
    now = now.replace(tzinfo=None, second=0, microsecond=0)
    since = now - WINDOW
    per: dict[str, list[tuple[datetime, str, str]]] = {}
    for ev in events:
        when = _parse(str(ev.get("ts") or ""))
        if when is None or not (since <= when <= now):
            continue
        look = _label(ev)
        if look is None:
            continue
        service = _safe(str(ev.get("service") or "all services")).strip()[:40]
        per.setdefault(service, []).append((when, *look))
    # the services with the newest activity, each with its newest events, shown oldest first
    names = sorted(per, key=lambda n: (max(per[n])[0], n), reverse=True)[:MAX_SERVICES]
    return [(name, sorted(per[name])[-MAX_EVENTS:]) for name in sorted(names)]


def collect(events: Iterable[dict[str, Any]], now: datetime) -> list:
    """The sections ``mermaid`` and ``day_rows`` show, for a caller that wants both from one pass."""
    return _collect(events, now)


def mermaid(events: Iterable[dict[str, Any]], now: datetime, collected: list | None = None) -> list[str]:
    """Lines of a ```mermaid gantt block for the events of the last day, or [] when there are none.

    An event is ``{"ts": ISO, "kind", "service", "verdict"|"status", "recheck"}`` (a projection's
    recent list); ``now`` is naive UTC or aware (its wall time is used)."""
    sections = collected if collected is not None else _collect(events, now)
    if not sections:
        return []
    out = ["```mermaid", "gantt", "    title Last 24 hours (UTC)", "    dateFormat YYYY-MM-DD HH:mm",
           "    axisFormat %H:%M"]
    for name, items in sections:
        out.append(f"    section {name}")
        for when, label, tags in items:
            out.append(f"    {label} :{tags}milestone, {when:%Y-%m-%d %H:%M}, 0m")
    out.append("```")
    return out
