"""Results of checks and the verdict rule (pure): fail > inconclusive > pass; evidence bounded and redacted.

A measurement is one look at the system; a check result folds its measurements
(soak) into one of pass / fail / inconclusive. Everything that leaves this
module has gone through ``bound_evidence`` so no caller can forget to redact.

Standard library only: the checks import this module before they start, and the pydantic
``CheckResult`` (``check_result.py``, also an MCP output model) is needed only once they end, so it is
imported then (``verify.runner`` imports it on a thread while the checks wait on their I/O).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Literal

from deploystate.state.ledger.redact import redact, redact_obj
from deploystate.state.plain import Record

if TYPE_CHECKING:
    from .check_result import CheckResult

Result = Literal["pass", "fail", "inconclusive"]
RANK: dict[str, int] = {"pass": 0, "inconclusive": 1, "fail": 2}

MAX_TEXT = 400            # characters kept of any one string in evidence
MAX_ITEMS = 10            # items kept of any one list in evidence
MAX_DEPTH = 5
MAX_EVIDENCE_CHARS = 4_000  # serialized evidence of one check
MAX_MEASUREMENTS = 12     # measurement summaries kept per check


def worst(results: Iterable[str]) -> Result:
    """The verdict of several results: any fail wins, then any inconclusive; nothing at all is inconclusive."""
    # Anything that is not a known result counts as inconclusive: unknown is never a pass.
    ranks = [RANK.get(r, RANK["inconclusive"]) for r in results]
    if not ranks:
        return "inconclusive"  # no evidence is never a pass
    return {0: "pass", 1: "inconclusive", 2: "fail"}[max(ranks)]  # type: ignore[return-value]


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 14] + "… [truncated]"


def _shrink(value: Any, depth: int, text_limit: int, items: int) -> Any:
    if isinstance(value, str):
        return clip(value, text_limit)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if depth >= MAX_DEPTH:
        return clip(json.dumps(value, default=str), text_limit)
    if isinstance(value, dict):
        out = {str(k)[:80]: _shrink(v, depth + 1, text_limit, items) for k, v in list(value.items())[:items * 3]}
        if len(value) > items * 3:
            out["…"] = f"{len(value) - items * 3} more keys"
        return out
    if isinstance(value, (list, tuple, set)):
        seq = list(value)
        out_list = [_shrink(v, depth + 1, text_limit, items) for v in seq[:items]]
        if len(seq) > items:
            out_list.append(f"… {len(seq) - items} more")
        return out_list
    return clip(repr(value), text_limit)


def bound_evidence(value: Any) -> Any:
    """Redact secrets, then cap strings, lists and total size so evidence fits a ledger line."""
    cleaned = redact_obj(value)
    for text_limit, items in ((MAX_TEXT, MAX_ITEMS), (200, 5), (100, 3), (60, 2)):
        out = _shrink(cleaned, 0, text_limit, items)
        if len(json.dumps(out, default=str)) <= MAX_EVIDENCE_CHARS:
            return out
    return {"truncated": clip(json.dumps(out, default=str), MAX_EVIDENCE_CHARS // 2)}


# A Record (state/plain.py), not a dataclass: dataclasses (inspect, ast, dis, tokenize) would cost every verify
# ~8 ms before its first check starts.
class Measurement(Record):
    """One look at the system by one check."""

    result: Result
    summary: str
    evidence: dict[str, Any]    # default {}
    duration: float             # default 0.0
    at: str                     # default ""
    # True when the check could not decide yet (a rollout still progressing): the measure loop may look again.
    pending: bool               # default False
    _fields = ("result", "summary", "evidence", "duration", "at", "pending")
    _defaults = {"duration": 0.0, "at": "", "pending": False}
    _factories = {"evidence": dict}


def passed(summary: str, **evidence: Any) -> Measurement:
    return Measurement("pass", summary, evidence)


def failed(summary: str, **evidence: Any) -> Measurement:
    return Measurement("fail", summary, evidence)


def inconclusive(summary: str, pending: bool = False, **evidence: Any) -> Measurement:
    return Measurement("inconclusive", summary, evidence, pending=pending)


def make_result(name: str, kind: str, service: str | None, result: Result, summary: str,
                evidence: dict[str, Any], duration: float, measurements: list[Measurement],
                wanted: int) -> CheckResult:
    from .check_result import CheckResult

    counts = {r: sum(1 for m in measurements if m.result == r) for r in ("pass", "fail", "inconclusive")}
    # Keep the failing and inconclusive measurements first: they are the ones a reader needs.
    ordered = sorted(measurements, key=lambda m: -RANK[m.result])[:MAX_MEASUREMENTS]
    summary_of = {"taken": len(measurements), "wanted": wanted, **counts,
                  "items": [{"result": m.result, "summary": clip(m.summary, 200), "at": m.at,
                             "duration": round(m.duration, 3)} for m in ordered]}
    return CheckResult(name=name, type=kind, service=service, result=result, summary=clip(redact(summary), 600),
                       evidence=bound_evidence(evidence), duration=round(duration, 3),
                       measurements=bound_evidence(summary_of))


def __getattr__(name: str) -> Any:
    """``from deploystate.verify.result import CheckResult`` still works: the model is imported on first use."""
    if name == "CheckResult":
        from .check_result import CheckResult

        return CheckResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
