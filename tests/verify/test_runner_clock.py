"""The runner on an injected clock that moves only when the test moves it: a look's duration, a timeout
that ends exactly at the deadline, a deadline that is the clock's very reading."""

from __future__ import annotations

import threading

from deploystate.verify import runner
from deploystate.verify.result import passed
from tests.timing import HANG
from tests.verify.runner_support import _job, _soak


class _Clock:
    """An injected time.monotonic for the runner: it moves only when a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now


def test_a_timeout_ending_exactly_at_the_deadline_is_the_checks_own_timeout(monkeypatch) -> None:  # noqa: ANN001
    """The deadline leaves exactly the check's timeout: the deadline cut nothing short, so the look says the
    check timed out (on an injected clock that stands still; the hung measurement's join returns at once)."""
    class Recorded(threading.Thread):
        def join(self, timeout: float | None = None) -> None:
            if not self.name.startswith("measure "):
                super().join(timeout)

    never = threading.Event()
    monkeypatch.setattr(runner, "time", _Clock(1000.0))
    monkeypatch.setattr(runner.threading, "Thread", Recorded)
    soak = _soak(_job(timeout=2), lambda c, x, t: never.wait(HANG) and passed("late"), end=1002.0)
    soak.run()
    never.set()
    assert [m.summary for m in soak.measurements] == ["no answer within 2s: the check timed out"]


def test_a_looks_duration_is_the_time_the_clock_moved_during_it(monkeypatch) -> None:  # noqa: ANN001
    """A look during which the (injected) clock moves 7 s lasts 7 s: the duration is end minus start."""
    clock = _Clock()
    monkeypatch.setattr(runner, "time", clock)

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        clock.now += 7.0
        return passed("ok")

    soak = _soak(_job(timeout=30), measure, end=clock.now + HANG)
    soak.run()
    assert [m.duration for m in soak.measurements] == [7.0]


def test_a_soak_whose_deadline_is_exactly_now_takes_no_look(monkeypatch) -> None:  # noqa: ANN001
    """No time left at all (the deadline is the clock's very reading): no look with a budget of nothing."""
    clock = _Clock()
    monkeypatch.setattr(runner, "time", clock)
    calls: list[int] = []
    soak = _soak(_job(), lambda c, x, t: calls.append(1) or passed("ok"), end=clock.now)
    soak.run()
    assert calls == [] and soak.measurements == [] and not soak.finished
