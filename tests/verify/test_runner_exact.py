"""The runner's rules pinned exactly where tests/verify/test_runner.py only sees the verdict: what a soak does
at and past its deadline, what it reports per look, and what an unusable answer becomes. Soaks run here
synchronously (``_Soak.run`` in the test's thread) or stopped by an event, so nothing hinges on timing."""

from __future__ import annotations

import threading
import time
import subprocess
import sys

import pytest

from deploystate.verify import runner
from deploystate.verify.result import Measurement, passed
from deploystate.verify.runner import _conclude, _Soak, run_jobs
from tests.timing import GENEROUS, HANG
from tests.verify.runner_support import _job, _soak


def test_a_soak_past_its_deadline_takes_no_measurement() -> None:
    """The deadline already passed when the soak starts: no look at all, and the result is inconclusive."""
    calls: list[int] = []
    soak = _soak(_job(), lambda c, x, t: calls.append(1) or passed("ok"), end=time.monotonic() - 0.5)
    soak.run()
    assert calls == [] and soak.measurements == []
    res = _conclude(soak, 1, time.monotonic())
    assert res.result == "inconclusive" and "no measurement finished" in res.summary


def test_each_look_of_a_soak_is_reported_numbered_and_the_last_one_at_the_end() -> None:
    """count=3: progress says 1/3, 2/3, 3/3 with each look's result, and 'finished' carries the last look."""
    looks = iter(["look 1", "look 2", "look 3"])
    events: list[tuple[str, str, str]] = []
    soak = _soak(_job(count=3), lambda c, x, t: passed(next(looks)), events=events)
    soak.run()
    assert [t for _, e, t in events if e == "measure"] == ["1/3 pass: look 1", "2/3 pass: look 2",
                                                         "3/3 pass: look 3"]
    assert [t for _, e, t in events if e == "finished"] == ["pass look 3"]
    assert soak.finished
    events.clear()
    _soak(_job(count=2), lambda c, x, t: passed("again"), events=events).run()
    assert [t for _, e, t in events if e == "measure"] == ["1/2 pass: again", "2/2 pass: again"]
    events.clear()
    _soak(_job(count=1), lambda c, x, t: passed("once"), events=events).run()
    assert [e for _, e, _ in events] == ["finished"]       # one look: no per-look line


def test_a_single_look_check_does_not_wait_its_interval_after_the_look() -> None:
    """count=1 with a long interval: done right after its one look (the interval is only between looks)."""
    soak = _soak(_job(count=1, interval=HANG), lambda c, x, t: passed("ok"))
    threading.Thread(target=soak.run, daemon=True).start()
    try:
        assert soak.done.wait(GENEROUS), "the soak waited its interval after its only look"
    finally:
        soak.job.ctx.cancel.set()
    assert len(soak.measurements) == 1


def test_a_soak_stopped_between_looks_is_inconclusive_even_when_every_look_passed() -> None:
    """Cancelled after 1 of 3 passing looks (the verify ended): unfinished, so inconclusive, never pass."""
    job = _job(count=3, interval=HANG)

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        ctx.cancel.set()          # the run's deadline arrives while this soak waits for its next look
        return passed("ok")

    soak = _soak(job, measure)
    soak.run()
    assert len(soak.measurements) == 1 and not soak.finished
    res = _conclude(soak, 5, time.monotonic())
    assert res.result == "inconclusive" and res.summary.startswith("only 1 of 3 measurements before the 5s deadline")


def test_a_measurement_records_how_long_it_took() -> None:
    """Each look's duration is the time it took (small and not negative), and it is stamped with when."""
    soak = _soak(_job(), lambda c, x, t: passed("ok"))
    soak.run()
    m = soak.measurements[0]
    assert 0 <= m.duration < GENEROUS and m.at


def test_an_answer_that_is_no_result_is_inconclusive() -> None:
    """A check returning None, or a Measurement whose result is no verdict word, is inconclusive, saying so."""
    for answer in (None, Measurement("ok", "looks fine")):  # type: ignore[arg-type]
        res = run_jobs([_job()], deadline=GENEROUS, measure=lambda c, x, t, a=answer: a)[0]
        assert res.result == "inconclusive" and "the check returned no usable result" in res.summary, answer


def test_done_progress_carries_each_checks_own_result() -> None:
    """Two checks with different results: each 'done' event carries that check's own line."""
    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        return passed("fine") if check.name == "a" else Measurement("fail", "broken")

    events: list[tuple[str, str, str]] = []
    run_jobs([_job("a"), _job("b")], deadline=GENEROUS, measure=measure,
             progress=lambda k, e, t: events.append((k, e, t)))
    done = {k: t for k, e, t in events if e == "done"}
    assert done == {"a": "PASS a: fine", "b": "FAIL b: broken"}


def test_a_check_that_never_got_to_run_is_inconclusive_and_timed_from_the_verify(monkeypatch) -> None:  # noqa: ANN001
    """A check thread the machine never scheduled before the deadline: inconclusive (no measurement), and its
    duration counts from the start of the verify, not from some other clock origin."""
    class NeverScheduled(threading.Thread):
        def start(self) -> None:
            if not self.name.startswith("check "):
                super().start()

    monkeypatch.setattr(runner.threading, "Thread", NeverScheduled)
    res = run_jobs([_job()], deadline=0.5, measure=lambda c, x, t: passed("ok"))[0]
    assert res.result == "inconclusive" and "no measurement finished before the 0.5s deadline" in res.summary
    assert 0 <= res.duration < GENEROUS


def test_a_hung_measurement_is_waited_for_its_budget_plus_a_short_grace(monkeypatch) -> None:  # noqa: ANN001
    """The runner waits for a measurement its budget plus under a second of grace, never a multiple of it (the
    wait is recorded, not timed: the join returns at once and the measurement counts as timed out)."""
    waits: list[float | None] = []

    class Recorded(threading.Thread):
        def join(self, timeout: float | None = None) -> None:
            if self.name.startswith("measure "):
                waits.append(timeout)     # the measurement thread is left hanging, as after a real timeout
            else:
                super().join(timeout)

    never = threading.Event()
    monkeypatch.setattr(runner.threading, "Thread", Recorded)
    soak = _soak(_job(timeout=2), lambda c, x, t: never.wait(HANG) and passed("late"))
    soak.run()
    never.set()
    assert len(waits) == 1 and 2 <= waits[0] < 3
    assert soak.measurements[0].result == "inconclusive"
    assert soak.measurements[0].summary == "no answer within 2s: the check timed out"


def test_a_measurement_cut_short_by_the_deadline_names_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check whose budget the run's deadline capped says the deadline ended it, not its own timeout (the
    wording must not depend on which of the two waits ends first on a loaded machine)."""
    class Recorded(threading.Thread):
        def join(self, timeout: float | None = None) -> None:
            if not self.name.startswith("measure "):
                super().join(timeout)

    never = threading.Event()
    monkeypatch.setattr(runner.threading, "Thread", Recorded)
    soak = _soak(_job(timeout=HANG), lambda c, x, t: never.wait(HANG) and passed("late"),
                 end=time.monotonic() + GENEROUS)
    soak.run()
    never.set()
    summary = soak.measurements[0].summary
    assert soak.measurements[0].result == "inconclusive" and summary.startswith("no answer within ")
    assert summary.endswith(": the verification deadline ended the check"), summary


def test_a_zero_or_negative_deadline_takes_no_look() -> None:
    """deadline=0 (or below): no measurement at all, so inconclusive, however fast the check would be."""
    for deadline in (0, -5):
        calls: list[int] = []
        res = run_jobs([_job()], deadline=deadline, measure=lambda c, x, t: calls.append(1) or passed("ok"))[0]
        assert res.result == "inconclusive" and calls == [], deadline


def test_many_hung_checks_still_give_the_verdict_by_the_deadline() -> None:
    """A hundred checks that never answer: one deadline for all, not a wait per check after it."""
    never = threading.Event()
    t0 = time.monotonic()
    try:
        results = run_jobs([_job(f"c{i}", timeout=HANG) for i in range(100)], deadline=0.5,
                           measure=lambda c, x, t: never.wait(HANG) and passed("late"))
    finally:
        never.set()
    assert time.monotonic() - t0 < GENEROUS        # a wait of even 1 s per check after the deadline is 100 s
    assert {r.result for r in results} == {"inconclusive"}


def test_a_soak_that_died_mid_way_is_never_counted_finished() -> None:
    """An error inside the soak loop after 1 of 3 passing looks: the check is inconclusive, not pass."""
    def progress(_key: str, event: str, _text: str) -> None:
        if event == "measure":
            raise RuntimeError("printer broke")

    soak = _Soak(_job(count=3), time.monotonic() + GENEROUS, lambda c, x, t: passed("ok"), progress)
    try:
        soak.run()
    except RuntimeError:
        pass
    assert soak.done.is_set() and not soak.finished
    assert _conclude(soak, 5, time.monotonic()).result == "inconclusive"


def test_a_broken_progress_printer_does_not_break_verification() -> None:
    """A progress callback that raises (a closed pipe): the checks still run and give their results."""
    def broken(_key: str, _event: str, _text: str) -> None:
        raise BrokenPipeError("closed")

    results = run_jobs([_job(count=2)], deadline=GENEROUS, measure=lambda c, x, t: passed("ok"), progress=broken)
    assert [r.result for r in results] == ["pass"]


def test_a_checks_duration_covers_its_measurements() -> None:
    """A look that takes over a second: the check's duration is at least that long (a lower bound only)."""
    res = run_jobs([_job()], deadline=GENEROUS, measure=lambda c, x, t: time.sleep(1.2) or passed("slow"))[0]
    assert res.result == "pass" and 1.2 <= res.duration < GENEROUS


HUNG_PROCESS = """
import threading
from pathlib import Path
from deploystate.state.config.checks import CommandCheck
from deploystate.verify.context import CheckContext
from deploystate.verify.result import passed
from deploystate.verify.runner import Job, run_jobs
never = threading.Event()
check = CommandCheck(argv=["true"], name="hung", timeout=600)
res = run_jobs([Job("hung", check, CheckContext(root=Path(".")).fork(), "web")], deadline=0.5,
               measure=lambda c, x, t: never.wait(600) and passed("late"))
print(res[0].result)
"""


def test_a_hung_check_does_not_keep_the_process_alive_after_the_verdict() -> None:
    """The verdict printed, the process exits although a check still hangs (its threads are daemons)."""
    done = subprocess.run([sys.executable, "-c", HUNG_PROCESS], capture_output=True, text=True, timeout=GENEROUS)
    assert done.returncode == 0 and done.stdout.strip() == "inconclusive", done.stderr


def test_between_looks_a_soak_waits_its_interval_capped_by_the_deadline() -> None:
    """The wait between two looks is the interval, or what is left before the deadline when that is shorter
    (the wait is recorded, not timed: the recorder ends the soak)."""
    class Recorder:
        def __init__(self) -> None:
            self.waits: list[float] = []

        def is_set(self) -> bool:
            return False

        def wait(self, timeout: float) -> bool:
            self.waits.append(timeout)
            return True           # cancelled during the wait: the soak ends here

    for interval, left, low, high in ((30, 3 * GENEROUS, 29, 30), (HANG, GENEROUS, GENEROUS - 30, GENEROUS)):
        job = _job(count=2, interval=interval)
        job.ctx.cancel = Recorder()   # type: ignore[assignment]
        _soak(job, lambda c, x, t: passed("ok"), end=time.monotonic() + left).run()
        assert len(job.ctx.cancel.waits) == 1 and low < job.ctx.cancel.waits[0] <= high, job.ctx.cancel.waits


def test_an_interval_under_a_second_is_waited_as_it_is() -> None:
    """interval=0.5 between two looks is a wait of 0.5 s, not rounded up (the wait is recorded, not timed)."""
    class Recorder:
        def __init__(self) -> None:
            self.waits: list[float] = []

        def is_set(self) -> bool:
            return False

        def wait(self, timeout: float) -> bool:
            self.waits.append(timeout)
            return True

    job = _job(count=2, interval=0.5)
    job.ctx.cancel = Recorder()   # type: ignore[assignment]
    _soak(job, lambda c, x, t: passed("ok"), end=time.monotonic() + 3 * GENEROUS).run()
    assert job.ctx.cancel.waits == [0.5]


def test_checks_that_never_got_to_run_cost_one_deadline_not_a_wait_each(monkeypatch) -> None:  # noqa: ANN001
    """Two hundred check threads the machine never scheduled: the verdict (all inconclusive) comes at the one
    deadline, not after a further wait per check (a second each would be minutes)."""
    class NeverScheduled(threading.Thread):
        def start(self) -> None:
            if not self.name.startswith("check "):
                super().start()

    monkeypatch.setattr(runner.threading, "Thread", NeverScheduled)
    t0 = time.monotonic()
    results = run_jobs([_job(f"c{i}") for i in range(200)], deadline=0.5, measure=lambda c, x, t: passed("ok"))
    assert time.monotonic() - t0 < GENEROUS
    assert {r.result for r in results} == {"inconclusive"} and len(results) == 200
