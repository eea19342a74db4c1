"""What the demo shows and what it found: headed steps, commands, indented output, and per step
the expectations it checked (pure data plus a printer; colour only on a terminal)."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO


TOTAL_STEPS = 7   # the story's steps (story.STEPS)


@dataclass
class Expectation:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class StepResult:
    number: int
    title: str
    expectations: list[Expectation] = field(default_factory=list)
    error: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.expectations) and all(e.ok for e in self.expectations)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass
class DemoResult:
    platform: str
    directory: str
    kept: bool
    steps: list[StepResult] = field(default_factory=list)
    setup_error: str | None = None
    interrupted: str | None = None
    pids: list[Any] = field(default_factory=list)          # what it started: pids, or compose container ids
    left_running: list[Any] = field(default_factory=list)  # any of them still running after the stop
    details: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def failed_steps(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]

    @property
    def ok(self) -> bool:
        return (self.setup_error is None and self.interrupted is None and not self.left_running
                and len(self.steps) == TOTAL_STEPS and not self.failed_steps)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "steps": [s.to_dict() for s in self.steps], "ok": self.ok,
                "failed_steps": [s.number for s in self.failed_steps]}


class Narrator:
    """Prints the story. ``stream`` None: silent (the --json mode keeps stdout for the result)."""

    def __init__(self, stream: TextIO | None, colour: bool) -> None:
        self.stream = stream
        self.colour = colour

    def _c(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def _out(self, text: str = "") -> None:
        if self.stream is not None:
            self.stream.write(text + "\n")
            self.stream.flush()

    def title(self, text: str) -> None:
        self._out(self._c(text, "1"))

    def heading(self, number: int, total: int, title: str) -> None:
        self._out()
        self._out(self._c(f"== Step {number}/{total}: {title} " + "=" * max(3, 66 - len(title)), "1;36"))

    def say(self, text: str) -> None:
        self._out(f"  {text}")

    def command(self, text: str) -> None:
        self._out(self._c(f"  $ {text}", "2"))

    def output(self, text: str, limit: int = 14, *, more: bool = True) -> None:
        lines = [ln for ln in text.rstrip().splitlines() if ln.strip()]
        for ln in lines[:limit]:
            self._out(f"    {ln}"[:160])
        if len(lines) > limit and more:
            self._out(f"    … {len(lines) - limit} more line(s)")

    def good(self, text: str) -> None:
        self._out(f"    {self._c(text, '32')}")

    def bad(self, text: str) -> None:
        self._out(f"    {self._c(text, '31')}")

    def warn(self, text: str) -> None:
        self._out(f"    {self._c(text, '33')}")

    def verdict(self, verdict: str, text: str) -> None:
        colours = {"pass": "32", "fail": "31", "inconclusive": "33"}
        self._out(f"    {self._c(verdict.upper(), '1;' + colours.get(verdict, '0'))} {text}"[:220])

    def expectations(self, step: StepResult) -> None:
        for e in step.expectations:
            mark = self._c("[ok]  ", "32") if e.ok else self._c("[FAIL]", "1;31")
            self._out(f"  {mark} {e.what}" + (f": {e.detail}" if e.detail and not e.ok else ""))
        if step.error:
            self._out(f"  {self._c('[FAIL]', '1;31')} step stopped: {step.error}")

    def raw(self, text: str) -> None:
        self._out(text.rstrip("\n"))

    def summary(self, result: DemoResult) -> None:
        self._out()
        if result.ok:
            self._out(self._c(f"Demo complete: all {TOTAL_STEPS} steps behaved as described "
                              f"({result.duration:.1f}s).", "1;32"))
            return
        if result.setup_error:
            self._out(self._c(f"The demo could not set up: {result.setup_error}", "1;31"))
        if result.interrupted:
            self._out(self._c(f"The demo was interrupted ({result.interrupted}).", "1;33"))
        for s in result.failed_steps:
            bad = [e.what for e in s.expectations if not e.ok] or [s.error or "no outcome checked"]
            self._out(self._c(f"Step {s.number} ({s.title}) did not behave as described: " + "; ".join(bad),
                              "1;31"))
        if len(result.steps) < TOTAL_STEPS and not result.setup_error:
            self._out(self._c(f"Only {len(result.steps)} of {TOTAL_STEPS} steps ran.", "1;31"))
        if result.left_running:
            self._out(self._c(f"Processes still running: {result.left_running}", "1;31"))


def stream_for(json_mode: bool) -> TextIO | None:
    return None if json_mode else sys.stdout
