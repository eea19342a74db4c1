"""Argo Rollouts-style soak (pure): fold repeated measurements into one result.

A check takes ``count`` measurements ``interval`` seconds apart. Failed measurements beyond
``failure_limit`` fail the check (and stop it early: the outcome cannot change). An errored or
timed-out measurement is inconclusive and makes the check inconclusive unless it fails; so does a
result that is none of pass, fail, inconclusive. A soak cut short by the deadline is inconclusive:
fewer looks than asked for is not a pass.
"""

from __future__ import annotations

from deploystate.state.plain import Frozen

from .result import Measurement, Result


# Frozen (state/plain.py), not a dataclass: dataclasses (inspect, ast, dis, tokenize) would cost every verify
# ~8 ms before its first check starts.
class SoakOutcome(Frozen):
    result: Result
    summary: str
    decisive: Measurement | None   # the measurement whose evidence explains the result
    _fields = ("result", "summary", "decisive")


def decided_early(measurements: list[Measurement], failure_limit: int) -> bool:
    """True once more measurements failed than the limit allows: further looks cannot rescue it."""
    return sum(1 for m in measurements if m.result == "fail") > failure_limit


def fold(measurements: list[Measurement], *, count: int, failure_limit: int, finished: bool,
         unfinished_reason: str = "the deadline") -> SoakOutcome:
    """The check's result from its measurements (``finished`` False: cut short before ``count`` looks)."""
    fails = [m for m in measurements if m.result == "fail"]
    unsure = [m for m in measurements if m.result not in ("pass", "fail")]  # unknown is never a pass (worst())
    taken = len(measurements)
    if len(fails) > failure_limit:
        last = fails[-1]
        if count == 1 and taken == 1:
            return SoakOutcome("fail", last.summary, last)
        return SoakOutcome("fail", f"{len(fails)} of {taken} measurements failed (limit {failure_limit}): "
                                   f"{last.summary}", last)
    if not measurements:
        return SoakOutcome("inconclusive", f"no measurement finished before {unfinished_reason}", None)
    if not finished and taken < count:
        last = measurements[-1]
        return SoakOutcome("inconclusive", f"only {taken} of {count} measurements before {unfinished_reason}; "
                                           f"last: {last.summary}", last)
    if unsure:
        last = unsure[-1]
        if count == 1 and taken == 1:
            return SoakOutcome("inconclusive", last.summary, last)
        return SoakOutcome("inconclusive", f"{len(unsure)} of {taken} measurements inconclusive: {last.summary}",
                           last)
    last = measurements[-1]
    if count == 1:
        return SoakOutcome("pass", last.summary, last)
    tolerated = f", {len(fails)} failed within the limit of {failure_limit}" if fails else ""
    return SoakOutcome("pass", f"{taken - len(fails)} of {taken} measurements passed{tolerated}: {last.summary}",
                       last)
