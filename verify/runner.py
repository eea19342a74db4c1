"""Run checks concurrently under ONE overall deadline; the verdict arrives by the deadline even if a check hangs.

Each check soaks in its own daemon thread; each measurement runs in a further
daemon thread that is abandoned (and counted inconclusive) when it overruns
its timeout, so a library that ignores its own timeout cannot hold the
verdict hostage. Daemon threads never keep the process alive after the verdict.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import TYPE_CHECKING, Callable

from deploystate.state.config.checks import CheckBase
from deploystate.state.errors import DeploystateError
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.plain import Record

from . import checks as registry
from .context import CheckContext, NeedsService
from .result import Measurement, inconclusive, make_result
from .soak import decided_early, fold

if TYPE_CHECKING:
    from .check_result import CheckResult

Measure = Callable[[CheckBase, CheckContext, float], Measurement]
Progress = Callable[[str, str, str], None]   # (job key, event "start"|"measure"|"done", text)
GRACE = 0.25  # let a measurement that honours its timeout report its own (better) message


# Records (state/plain.py), not dataclasses: dataclasses (inspect, ast, dis, tokenize) would cost every verify
# ~8 ms before its first check starts.
class Job(Record):
    key: str                 # unique and readable: "web/logs", "preflight/eventbridge"
    check: CheckBase
    ctx: CheckContext
    service: str | None      # default None
    _fields = ("key", "check", "ctx", "service")
    _defaults = {"service": None}


class _Soak(Record):
    job: Job
    end: float
    measure: Measure
    progress: Progress
    measurements: list[Measurement]  # default []
    lock: threading.Lock             # default a new Lock
    done: threading.Event            # default a new Event
    finished: bool                   # default False
    started: float                   # default 0.0
    stopped: float                   # default 0.0
    _fields = ("job", "end", "measure", "progress", "measurements", "lock", "done", "finished", "started",
               "stopped")
    _defaults = {"finished": False, "started": 0.0, "stopped": 0.0}
    _factories = {"measurements": list, "lock": threading.Lock, "done": threading.Event}

    def run(self) -> None:
        check, cancel = self.job.check, self.job.ctx.cancel
        self.started = time.monotonic()
        try:
            for i in range(check.count):
                remaining = self.end - time.monotonic()
                if cancel.is_set() or remaining <= 0:
                    break
                m = self._one(min(check.timeout, remaining), capped=remaining < check.timeout)
                with self.lock:
                    self.measurements.append(m)
                    snapshot = list(self.measurements)
                if check.count > 1:
                    self.progress(self.job.key, "measure", f"{i + 1}/{check.count} {m.result}: {m.summary}")
                if decided_early(snapshot, check.failure_limit):
                    break
                if i < check.count - 1 and check.interval > 0:
                    if cancel.wait(max(0.0, min(check.interval, self.end - time.monotonic()))):
                        break
            with self.lock:
                taken = len(self.measurements)
                self.finished = taken == check.count or decided_early(self.measurements, check.failure_limit)
        finally:
            self.stopped = time.monotonic()
            self.done.set()
            # Reported as each check ends (not at the verdict) so a long verify shows life to MCP clients.
            last = self.measurements[-1] if self.measurements else None
            self.progress(self.job.key, "finished", f"{last.result} {last.summary}" if last else
                          "inconclusive: no measurement taken")

    def _one(self, budget: float, capped: bool = False) -> Measurement:
        box: dict[str, Measurement] = {}
        t0 = time.monotonic()
        at = iso(utc_now())

        def target() -> None:
            box["m"] = _guarded(self.measure, self.job.check, self.job.ctx, budget)

        worker = threading.Thread(target=target, name=f"measure {self.job.key}", daemon=True)
        worker.start()
        worker.join(budget + GRACE)
        # Which ends first under load, this join or the run's own deadline wait, is a race: both say why.
        m = box.get("m") or inconclusive(f"no answer within {budget:g}s: " + (
            "the verification deadline ended the check" if capped else "the check timed out"))
        m.duration, m.at = time.monotonic() - t0, at
        return m


def _guarded(measure: Measure, check: CheckBase, ctx: CheckContext, budget: float) -> Measurement:
    """Run one measurement; any error becomes an inconclusive measurement (never a pass)."""
    try:
        m = measure(check, ctx, budget)
    except NeedsService as exc:
        return inconclusive(str(exc))
    except DeploystateError as exc:
        return inconclusive(exc.message + (f" (next: {exc.hint})" if exc.hint else ""), error=type(exc).__name__)
    except Exception as exc:  # a bug or an untranslated library error: still no pass
        return inconclusive(f"the check errored: {type(exc).__name__}: {exc}", error=type(exc).__name__)
    if not isinstance(m, Measurement) or m.result not in ("pass", "fail", "inconclusive"):
        return inconclusive(f"the check returned no usable result ({m!r:.80})")
    return m


def _quiet(_key: str, _event: str, _text: str) -> None:
    return None


# Needed only once the checks end: imported on a thread while they wait on their processes and sockets.
AFTER_CHECKS = ("deploystate.verify.check_result",)


def warm(modules: tuple[str, ...]) -> threading.Thread:
    """Import ``modules`` on a daemon thread (the checks, subprocesses and HTTP, leave the GIL free while they
    wait); whoever needs one later imports it as usual and waits for this import if it is still running."""
    def target() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the later import on the main thread raises it where it matters
                return

    thread = threading.Thread(target=target, name="import after checks", daemon=True)
    thread.start()
    return thread


def run_jobs(jobs: list[Job], *, deadline: float, progress: Progress | None = None,
             measure: Measure | None = None, after: tuple[str, ...] = ()) -> list[CheckResult]:
    """Run every job concurrently; return one result per job, in job order, by ``deadline`` seconds.

    Every check's runner module is imported here, before any check starts (a check thread then imports
    nothing of ours); what only the conclusion needs (``AFTER_CHECKS`` and ``after``) is imported once every
    check has started."""
    lock = threading.Lock()
    report = progress or _quiet

    def safe_progress(key: str, event: str, text: str) -> None:
        try:
            with lock:
                report(key, event, text)
        except Exception:  # a broken progress printer (closed pipe) must not break verification
            pass

    if measure is None:
        for job in jobs:
            try:
                registry.runner_for(job.check.type)  # an unknown type stays None: that check says so itself
            except Exception:  # noqa: BLE001 - a runner that cannot load fails its own check, inconclusively
                pass
    cancel = threading.Event()
    end = time.monotonic() + max(0.0, deadline)
    soaks = []
    for job in jobs:
        job.ctx.cancel = cancel
        soak = _Soak(job, end, measure or registry.measure, safe_progress)
        soaks.append(soak)
        safe_progress(job.key, "start", job.check.type)
        threading.Thread(target=soak.run, name=f"check {job.key}", daemon=True).start()
    warm(AFTER_CHECKS + after)
    t0 = time.monotonic()
    for soak in soaks:
        soak.done.wait(max(0.0, end - time.monotonic()))
    cancel.set()
    results = []
    for soak in soaks:
        results.append(_conclude(soak, deadline, t0))
        safe_progress(soak.job.key, "done", results[-1].line())
    return results


def _conclude(soak: _Soak, deadline: float, t0: float) -> CheckResult:
    check = soak.job.check
    with soak.lock:
        measurements = list(soak.measurements)
        finished = soak.done.is_set() and soak.finished
    stopped = soak.stopped if soak.done.is_set() else time.monotonic()
    outcome = fold(measurements, count=check.count, failure_limit=check.failure_limit, finished=finished,
                   unfinished_reason=f"the {deadline:g}s deadline")
    evidence = dict(outcome.decisive.evidence) if outcome.decisive else {}
    return make_result(check.label(), check.type, soak.job.service, outcome.result, outcome.summary, evidence,
                       stopped - (soak.started or t0), measurements, check.count)
