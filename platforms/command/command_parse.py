"""Pure helpers for the command platform: read what ``observe_cmd`` prints, filter log lines by time.

``observe_cmd`` may print a JSON object or ``key=value`` lines (``systemctl show``
output works as is). Log lines that start with an ISO-8601 timestamp are kept when
that time is at or after ``since``; a line without one (a traceback, a wrapped
message) follows the decision made for the line before it.
"""

from __future__ import annotations

from deploystate.jsonlite import loads

# re and datetime are imported where a time is read: `deploystate state` imports this module for every
# command service and reads no time unless observe_cmd prints started_at (re + enum ~15M, datetime ~5M
# instructions of a process whose floor is ~38M); json's package is jsonlite's C scanner (tests/state/test_jsonlite.py)
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any, Iterable, Iterator

STATES = ("running", "degraded", "stopped", "missing", "progressing", "unknown")
_STATE_WORDS = {
    "running": "running", "active": "running", "up": "running", "ok": "running", "started": "running",
    "activating": "progressing", "starting": "progressing", "reloading": "progressing", "deploying": "progressing",
    "stopped": "stopped", "inactive": "stopped", "dead": "stopped", "exited": "stopped", "deactivating": "stopped",
    "failed": "stopped", "fatal": "stopped", "backoff": "degraded", "degraded": "degraded", "unhealthy": "degraded",
    "missing": "missing", "not-found": "missing", "unknown": "unknown",
}
# Our key -> the names commands commonly print it under (systemd's ``systemctl show`` included).
_ALIASES = {
    "state": ("state", "status", "activestate"),
    "revision": ("revision", "commit", "git_sha", "version"),
    "started_at": ("started_at", "startedat", "started", "execmainstarttimestamp"),
    "pid": ("pid", "mainpid"),
    "healthy": ("healthy", "health"),
    "restart_count": ("restart_count", "restarts", "nrestarts"),
    "exit_code": ("exit_code", "execmainstatus"),
    "oom_killed": ("oom_killed", "oom"),
}
_ts_match = None
_TS = r"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}| ?UTC)?)"


def parse_output(text: str) -> dict[str, Any]:
    """A JSON object, or ``key=value`` lines (blank and ``#`` lines ignored); keys lower-cased."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return {str(k).lower(): v for k, v in data.items()}
    out: dict[str, Any] = {}
    for line in stripped.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            out[key.strip().lower()] = value.strip()
    return out


def pick(data: dict[str, Any], field: str, extra: tuple[str, ...] = ()) -> Any:
    if not data:  # no observe_cmd (or it printed nothing): every read of every such service asks ~9 fields
        return None
    for name in extra + _ALIASES[field]:
        if name.lower() in data and data[name.lower()] not in (None, ""):
            return data[name.lower()]
    return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "healthy", "ok", "pass", "up"):
        return True
    if text in ("0", "false", "no", "unhealthy", "fail", "down"):
        return False
    return None


def as_int(value: Any) -> int | None:
    if value is None:  # the usual absent field, without raising and catching int("None")'s ValueError
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def as_state(value: Any) -> str | None:
    if value is None:
        return None
    return _STATE_WORDS.get(str(value).strip().lower().split()[0] if str(value).strip() else "", "unknown")


def parse_time(text: str) -> datetime | None:
    """An ISO-8601-ish timestamp (``2024-05-01T12:00:00Z``, ``2024-05-01 12:00:00,123``, systemd's
    ``Wed 2024-05-01 12:00:00 UTC``); a time without a zone is local time, as loggers write it."""
    import re
    from datetime import datetime, timezone

    text = str(text).strip()
    if re.match(r"^[A-Za-z]{3} \d{4}-", text):
        text = text[4:]
    text = text.replace(",", ".")
    if text.endswith(" UTC") or text.endswith("UTC"):
        text = text.removesuffix("UTC").strip() + "+00:00"
    text = text.replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)           # Python keeps microseconds at most
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.astimezone().astimezone(timezone.utc)


def line_time(line: str) -> datetime | None:
    global _ts_match
    if _ts_match is None:  # compiled on the first log line read, once
        import re

        _ts_match = re.compile(_TS).match
    match = _ts_match(line)
    return parse_time(match.group(1)) if match else None


def filter_since(lines: Iterable[str], since: datetime | None, *, keep_leading: bool) -> Iterator[str]:
    """Lines at or after ``since`` by their leading timestamp; an untimestamped line follows the line
    before it, and lines before the first timestamp are kept only when ``keep_leading`` (they are known
    to come after the restart, for example read from the restart's offset)."""
    keep = keep_leading or since is None
    for line in lines:
        ts = line_time(line) if since is not None else None
        if ts is not None:
            keep = ts >= since
        if keep:
            yield line
