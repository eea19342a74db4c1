"""``logs``: over the service's logs since its restart (within ``window``), ``must_not_match`` patterns must
not appear (the fallback path is not taken) and every ``must_match`` pattern must appear (the new code path
runs). Logs are streamed line by line; only counts and a few sample lines are kept, whatever the volume."""

from __future__ import annotations

import re
import time
from typing import Iterable

from deploystate.state.config.checks import LogsCheck
from deploystate.state.errors import DeploystateError
from deploystate.state.ledger.ids import iso
from deploystate.state.plain import Record

from ..context import CheckContext
from ..result import Measurement, clip, failed, inconclusive, passed

SAMPLES = 3
LINE_CHARS = 300


# Records (state/plain.py), not dataclasses: this runner is imported before the first check starts, and
# dataclasses (inspect, ast, dis, tokenize) cost that start ~8 ms.
class PatternHits(Record):
    pattern: str
    regex: re.Pattern[str]
    count: int               # default 0
    samples: list[str]       # default []
    _fields = ("pattern", "regex", "count", "samples")
    _defaults = {"count": 0}
    _factories = {"samples": list}

    def feed(self, line: str) -> bool:
        if not self.regex.search(line):
            return False
        self.count += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(clip(line.rstrip("\r\n"), LINE_CHARS))
        return True

    def to_dict(self) -> dict:
        return {"pattern": self.pattern, "count": self.count, "samples": self.samples}


class Scan(Record):
    """Counts of each pattern over a stream of lines (bounded memory)."""

    bad: list[PatternHits]
    good: list[PatternHits]
    lines: int                 # default 0
    bytes: int                 # default 0
    forbidden_lines: int       # default 0: distinct lines matching any must_not_match pattern (one line, several)
    forbidden_samples: list[str]  # default []
    _fields = ("bad", "good", "lines", "bytes", "forbidden_lines", "forbidden_samples")
    _defaults = {"lines": 0, "bytes": 0, "forbidden_lines": 0}
    _factories = {"forbidden_samples": list}

    @classmethod
    def of(cls, must_not_match: list[str], must_match: list[str]) -> "Scan":
        return cls([PatternHits(p, re.compile(p)) for p in must_not_match],
                   [PatternHits(p, re.compile(p)) for p in must_match])

    def feed_all(self, lines: Iterable[str], end: float) -> bool:
        """Consume ``lines``; False when ``end`` (monotonic) passed before the stream ended."""
        for line in lines:
            if isinstance(line, bytes):
                line = line.decode("utf-8", "replace")
            self.lines += 1
            self.bytes += len(line)
            hit = False
            for hits in self.bad:
                hit = hits.feed(line) or hit
            if hit:
                self.forbidden_lines += 1
                if len(self.forbidden_samples) < SAMPLES:
                    self.forbidden_samples.append(clip(line.rstrip("\r\n"), LINE_CHARS))
            for hits in self.good:
                hits.feed(line)
            if self.lines % 2048 == 0 and time.monotonic() > end:
                return False
        return True

    def evidence(self) -> dict:
        return {"lines": self.lines, "bytes": self.bytes, "forbidden_lines": self.forbidden_lines,
                "forbidden_samples": self.forbidden_samples,
                "must_not_match": [h.to_dict() for h in self.bad if h.count],
                "must_match": [h.to_dict() for h in self.good]}


def measure(check: LogsCheck, ctx: CheckContext, timeout: float) -> Measurement:
    svc, platform = ctx.need_service()
    end = time.monotonic() + max(0.05, timeout - 0.1)
    try:
        scan = Scan.of(check.must_not_match, check.must_match)
    except re.error as exc:
        return inconclusive(f"a pattern is not a valid regex: {exc}")
    since, since_why = ctx.logs_since(check.window)
    base = {"since": iso(since), "from": since_why}
    notes: list[str] = []
    complete = True
    try:
        if check.previous:
            try:
                complete = scan.feed_all(platform.logs(svc, since=since, previous=True,
                                                       timeout=max(0.1, end - time.monotonic())), end)
            except DeploystateError as exc:  # often simply "no previous instance": say so, go on
                notes.append(f"previous instance logs: {exc.message}")
        if complete:
            complete = scan.feed_all(platform.logs(svc, since=since, timeout=max(0.1, end - time.monotonic())), end)
    except DeploystateError as exc:
        return _partial(scan, base, notes, f"could not read logs: {exc.message}")
    evidence = {**base, **scan.evidence(), **({"notes": notes} if notes else {})}
    bad = [h for h in scan.bad if h.count]
    problems = []
    if bad:  # counts per pattern, then one example line (often the same line matches several patterns)
        problems.append(", ".join(f"{h.pattern!r} matched {h.count} line(s)" for h in bad)
                        + f", e.g. {bad[0].samples[0]!r}")
    missing = [h.pattern for h in scan.good if not h.count]
    if missing and complete:  # absence is only known once every line was read
        problems.append("expected log lines not seen since " + since_why + ": " + ", ".join(map(repr, missing)))
    if problems:  # a forbidden line is evidence even if the read was cut short
        return failed("; ".join(problems), **evidence)
    if not complete:
        return inconclusive(f"read {scan.lines} lines but not all logs within {timeout:g}s", **evidence)
    seen = f"; saw {', '.join(repr(h.pattern) for h in scan.good)}" if scan.good else ""
    return passed(f"{scan.lines} lines since {since_why}, none forbidden{seen}", **evidence)


def _partial(scan: Scan, base: dict, notes: list[str], why: str) -> Measurement:
    """The stream broke: forbidden lines already seen still fail; otherwise nothing can be concluded."""
    evidence = {**base, **scan.evidence(), "error": why, **({"notes": notes} if notes else {})}
    bad = [h for h in scan.bad if h.count]
    if bad:
        return failed(f"{bad[0].pattern!r} matched {bad[0].count} line(s) before the log stream broke ({why})",
                      **evidence)
    return inconclusive(why, **evidence)
