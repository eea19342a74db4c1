"""``service_logs`` (MCP) and ``deploystate logs SERVICE`` (CLI): a service's logs, bounded and redacted.

Why here and not the shell: ``docker logs`` / ``kubectl logs`` print everything,
secrets included. This reads through the service's platform adapter (so it
works on every runtime with logs: compose, Docker, Kubernetes, ECS, command),
from the last restart deploystate recorded (or a window), optionally the
previous instance's logs (what a crashed container said before it died),
keeps the last ``max_lines`` lines that match ``grep``, cuts each line, and
redacts every line before it is shown. It changes nothing.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from deploystate.state.view import cache
from deploystate.state.errors import InputError
from deploystate.state.ledger.ids import iso, parse_duration, parse_iso, utc_now
from deploystate.state.config.project import Project
from deploystate.state.ledger.redact import redact

LINE_MAX = 2000          # characters kept of one line
TOTAL_MAX = 64 * 1024    # characters of all lines returned together
DEFAULT_LINES = 200
MAX_LINES = 2000
DEFAULT_WINDOW = 1800.0  # seconds, when no restart is on record
SCAN_MAX = 200_000       # lines read at most (a runaway log must not hold the call)


class LogsReport(BaseModel):
    service: str
    platform: str
    since: str | None = Field(description="Lines from this time on (ISO, UTC); None: everything the runtime kept.")
    since_from: str = Field(description="Why that time: the last restart on record, the window asked for, ...")
    previous: bool = Field(description="True: the previous instance's logs (before the last crash or restart).")
    grep: str | None = None
    lines: list[str] = Field(description="The last matching lines, oldest first, each redacted and cut.")
    matched: int = Field(description="Lines that matched (before keeping the last max_lines).")
    scanned: int
    truncated: bool = Field(description="True when lines were left out (max_lines, the size bound or the scan limit).")
    complete: bool = Field(True, description="False when the runtime stopped answering before the end.")
    note: str | None = None


def since_for(project: Project, service: str, since: str | None) -> tuple[Any, str]:
    """The start time: ``since`` (a duration like 30m, or an ISO time), else the last recorded restart."""
    now = utc_now()
    if since:
        try:
            return now - timedelta(seconds=parse_duration(since)), f"the last {since}"
        except (ValueError, InputError, TypeError):
            pass
        try:
            return parse_iso(since), f"since {since}"
        except (ValueError, InputError, TypeError) as exc:
            raise InputError(f"since={since!r} is neither a duration (30m, 2h) nor an ISO time",
                             "pass e.g. since='30m' or since='2026-01-31T12:00:00Z'") from exc
    deploy = (cache.load(project.ledger, write=False).state["services"].get(service) or {}).get("deploy") or {}
    started = deploy.get("started_at") or deploy.get("ts")
    if started:
        try:
            return parse_iso(started), f"the last restart on record ({deploy.get('id', '?')})"
        except (ValueError, InputError):
            pass
    return now - timedelta(seconds=DEFAULT_WINDOW), "the last 30 minutes (no restart on record)"


def read_logs(project: Project, config: Any, service: str, *, since: str | None = None, previous: bool = False,
              grep: str | None = None, max_lines: int = DEFAULT_LINES, timeout: float = 30.0) -> LogsReport:
    """Read, filter, bound and redact one service's logs through its platform adapter."""
    from deploystate.platforms.base import ServiceRef
    from deploystate.platforms.registry import get_platform

    cfg = config.service(service)
    try:
        pattern = re.compile(grep) if grep else None
    except re.error as exc:
        raise InputError(f"grep {grep!r} is not a valid regular expression: {exc}",
                         "pass a Python regex, e.g. grep='ERROR|Traceback'") from exc
    max_lines = max(1, min(int(max_lines), MAX_LINES))
    start, why = (None, "the previous instance's whole log") if previous and not since else \
        since_for(project, service, since)
    platform = get_platform(cfg.platform)
    end = time.monotonic() + timeout
    kept: list[str] = []
    matched = scanned = 0
    complete, note = True, None
    for raw in platform.logs(ServiceRef(service, cfg, project.root), since=start, previous=previous,
                             timeout=timeout):
        scanned += 1
        line = redact(str(raw).rstrip("\n"))
        if pattern is None or pattern.search(line):
            matched += 1
            kept.append(line[:LINE_MAX] + ("…" if len(line) > LINE_MAX else ""))
            if len(kept) > max_lines:
                kept.pop(0)
        if scanned >= SCAN_MAX or time.monotonic() > end:
            complete, note = False, f"stopped after {scanned} lines ({'scan limit' if scanned >= SCAN_MAX else 'timeout'})"
            break
    while kept and sum(len(x) + 1 for x in kept) > TOTAL_MAX:
        kept.pop(0)
    truncated = len(kept) < matched or not complete
    return LogsReport(service=service, platform=cfg.platform, since=iso(start) if start else None, since_from=why,
                      previous=previous, grep=grep, lines=kept, matched=matched, scanned=scanned,
                      truncated=truncated, complete=complete, note=note)


def render(report: LogsReport) -> str:
    head = (f"{report.service} [{report.platform}] {'previous instance' if report.previous else 'logs'} from "
            f"{report.since_from}: {report.matched} line(s) matched"
            + (f" {report.grep!r}" if report.grep else "") + (f", last {len(report.lines)} shown" if
                                                             report.truncated else ""))
    return "\n".join([head, *report.lines] + ([f"({report.note})"] if report.note else []))
