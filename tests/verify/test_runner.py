"""The runner: concurrency under one deadline, per-check timeouts, soak, hung and crashing checks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from deploystate.platforms.base import Observation, ServiceRef
from deploystate.platforms.fake import FakePlatform
from deploystate.state.config.checks import CommandCheck, LogsCheck, RevisionCheck
from deploystate.state.config.config import CommandService
from deploystate.state.errors import PlatformUnreachable
from deploystate.state.drift.headcode import decide
from deploystate.verify.context import CheckContext
from deploystate.verify.result import Measurement, failed, passed
from deploystate.verify.runner import Job, run_jobs
from tests.timing import GENEROUS, HANG


class SameAsHead:
    """A stand-in for state.headcode.Judge with no repository: HEAD is ``head``, nothing else changed."""

    def __init__(self, head: str) -> None:
        self.head = head

    def judge(self, service: str, reported: str | None, why: str | None = None):  # noqa: ANN201
        return decide(service, reported, self.head, [], ["**"], why=why)


def cmd(name: str, **kw) -> CommandCheck:
    return CommandCheck(argv=["true"], name=name, **kw)


def job(check, ctx: CheckContext | None = None, key: str | None = None) -> Job:
    return Job(key or check.label(), check, (ctx or CheckContext(root=Path("."))).fork(), "web")


def test_checks_run_concurrently_under_one_deadline() -> None:
    """Five checks run at the same time: each waits at a barrier only all five together can pass."""
    barrier = threading.Barrier(5)

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        barrier.wait(timeout=GENEROUS)     # run one after another, the first would wait here forever
        return passed("met the others")

    results = run_jobs([job(cmd(f"c{i}", timeout=2 * GENEROUS)) for i in range(5)], deadline=2 * GENEROUS,
                       measure=measure)
    assert [r.result for r in results] == ["pass"] * 5, [r.summary for r in results]


def test_hung_check_is_inconclusive_and_the_verdict_arrives_by_the_deadline() -> None:
    """A check that never returns is inconclusive at the deadline; the others keep their results."""
    never = threading.Event()

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        if check.name == "hung":
            never.wait(HANG)  # ignores its timeout, like a library stuck in a read
        return passed("fine")

    t0 = time.monotonic()
    results = run_jobs([job(cmd("hung", timeout=HANG)), job(cmd("ok"))], deadline=2, measure=measure)
    assert time.monotonic() - t0 < GENEROUS
    by = {r.name: r for r in results}
    assert by["ok"].result == "pass"
    assert by["hung"].result == "inconclusive" and "deadline" in by["hung"].summary
    never.set()


def test_measurement_overrunning_its_timeout_is_inconclusive() -> None:
    """A measurement slower than the check's timeout counts as an inconclusive measurement."""
    never = threading.Event()

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        never.wait(HANG)
        return passed("too late")

    results = run_jobs([job(cmd("slow", timeout=2))], deadline=HANG, measure=measure)
    never.set()
    assert results[0].result == "inconclusive" and "timed out" in results[0].summary
    assert results[0].duration < GENEROUS


def test_soak_takes_count_measurements_interval_apart() -> None:
    """count=3 interval=0.2 takes three looks about 0.4 s in total and passes."""
    calls: list[float] = []

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        calls.append(time.monotonic())
        return passed("ok")

    res = run_jobs([job(cmd("soak", count=3, interval=0.2))], deadline=GENEROUS, measure=measure)[0]
    assert res.result == "pass" and len(calls) == 3
    assert 0.39 <= calls[-1] - calls[0] < GENEROUS       # the intervals are waited, not skipped
    assert res.measurements["taken"] == 3


def test_soak_stops_early_when_failures_exceed_the_limit() -> None:
    """With failure_limit=1 the second failure ends the soak as fail without more looks."""
    calls = []

    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        calls.append(1)
        return failed("bad")

    res = run_jobs([job(cmd("soak", count=10, interval=0.01, failure_limit=1))], deadline=GENEROUS, measure=measure)[0]
    assert res.result == "fail" and len(calls) == 2


def test_soak_longer_than_the_deadline_is_inconclusive() -> None:
    """A soak that cannot take its measurements before the deadline is inconclusive, not pass."""
    res = run_jobs([job(cmd("soak", count=50, interval=0.2))], deadline=0.7,
                   measure=lambda c, x, t: passed("ok"))[0]
    assert res.result == "inconclusive" and "of 50 measurements" in res.summary


def test_errors_and_bugs_in_checks_are_inconclusive() -> None:
    """A platform error or an unexpected exception yields inconclusive with the reason."""
    def measure(check, ctx, timeout):  # noqa: ANN001, ANN202
        if check.name == "down":
            raise PlatformUnreachable("the Docker engine did not answer", "start dockerd")
        raise ZeroDivisionError("bug")

    results = run_jobs([job(cmd("down")), job(cmd("bug"))], deadline=GENEROUS, measure=measure)
    assert [r.result for r in results] == ["inconclusive", "inconclusive"]
    assert "did not answer" in results[0].summary and "start dockerd" in results[0].summary
    assert "ZeroDivisionError" in results[1].summary


def test_service_checks_without_a_service_or_platform_are_inconclusive() -> None:
    """logs/revision with no service, or a platform that failed to load, say why, inconclusively."""
    res = run_jobs([job(RevisionCheck())], deadline=GENEROUS)[0]
    assert res.result == "inconclusive" and "service" in res.summary
    svc = ServiceRef("web", CommandService(restart_cmd=["true"]), Path("."))
    no_platform = CheckContext(root=Path("."), service=svc, platform_error="ImportError: no adapter")
    res = run_jobs([job(LogsCheck(), no_platform)], deadline=GENEROUS)[0]
    assert res.result == "inconclusive" and "no adapter" in res.summary


def test_platform_stopping_mid_verify_is_inconclusive() -> None:
    """A daemon that stops answering between measurements makes a soaking check inconclusive."""
    fake = FakePlatform(name="command")
    fake.observations["web"] = Observation("web", "command", "web", "running", revision="abcdef1234")
    svc = ServiceRef("web", CommandService(restart_cmd=["true"]), Path("."))
    ctx = CheckContext(root=Path("."), service=svc, platform=fake, expected_commit="abcdef1234",
                       judge=SameAsHead("abcdef1234"))

    def stop_after_first(_key: str, event: str, _text: str) -> None:   # the engine stops after one look
        if event == "measure":
            fake.errors["observe"] = PlatformUnreachable("engine stopped", "start it")

    res = run_jobs([job(RevisionCheck(count=4, interval=0.2), ctx)], deadline=GENEROUS, progress=stop_after_first)[0]
    assert res.result == "inconclusive" and res.measurements["pass"] >= 1
    assert "engine stopped" in res.summary


def test_progress_reports_start_and_done_per_check() -> None:
    """Live progress: one start and one done event per check, done carrying the result line."""
    events: list[tuple[str, str, str]] = []
    run_jobs([job(cmd("a")), job(cmd("b"))], deadline=GENEROUS, measure=lambda c, x, t: passed("fine"),
             progress=lambda k, e, t: events.append((k, e, t)))
    assert sorted(k for k, e, _ in events if e == "start") == ["a", "b"]
    assert all(t.startswith("PASS") for _, e, t in events if e == "done")
