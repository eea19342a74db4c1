"""``read_deployment_state``'s summary, reused in memory while what it is built from is the same.

Why: an agent reads the state every few seconds and, between two changes, every read lays the same
runtime answers over the same ledger view; building the bounded summary (pydantic models at up to five
list sizes, the text, the dump) was a quarter of the tool's CPU. What is reused is only that pure work:
the runtimes are still asked on every read, the ledger's bytes still decide the base (``viewcache``),
and the key holds every value of this read's view that is not the kept base's own object.

The times of this read are never reused: the summary is built from the view with them blanked
(``blank``: the view's ``now`` and ``observed_at``, each observation's ``at``, ``age`` and ``error_at``)
and each answer is stamped with this read's (``stamp``), then measured against the budget again. A
runtime-broken service keeps its ``at`` (the summary lists it as the problem's time), so it is in the key.
Nothing is written to a file: a file in the working tree is agent-editable input.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from deploystate.state.view.view import Base

    from .state_summary import StateOutput

_TOP_TIMES = ("now", "observed_at")
_OBS_TIMES = ("at", "age", "error_at")
_SAME = "="  # in a key: the kept base's own object, unchanged


def blank(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` without this moment's times (pure; ``view`` is not changed)."""
    services = []
    for s in view["services"]:
        o = s.get("observed")
        if o and o.get("verdict") != "broken":
            s = {**s, "observed": {**o, **dict.fromkeys(_OBS_TIMES)}}
        elif o:
            s = {**s, "observed": {**o, "age": None, "error_at": None}}
        services.append(s)
    return {**view, **dict.fromkeys(_TOP_TIMES), "services": services}


def stamp(out: StateOutput, view: dict[str, Any]) -> StateOutput:
    """``out`` (built from ``blank(view)``) with ``view``'s times, as ``state_summary.build`` sets them."""
    asked = view.get("observed_at")
    out.observed_at = asked
    for line, s in zip(out.services, view["services"]):
        o = s.get("observed") or {}
        line.runtime_observed_at = o.get("at") if o and o.get("at") != asked else None
        line._age = o.get("age")
    return out


def _copy(out: StateOutput) -> StateOutput:
    """A copy whose stamped fields (the answer's, each service line's) are its own."""
    return out.model_copy(update={"services": [line.model_copy() for line in out.services]})


def key(view: dict[str, Any], kept: Base, detail: str, budget: int) -> tuple:
    """What the summary of ``blank(view)`` is built from: the kept base's objects by identity, every
    other value (this read's verdicts, reasons, drift, status, pending, overdue rechecks) by its JSON."""
    base, base_services = kept.view, kept.view["services"]
    top = [k if v is base.get(k, _SAME) else (k, v) for k, v in view.items()
           if k not in _TOP_TIMES and k != "services"]
    services = []
    for i, s in enumerate(view["services"]):
        was = base_services[i] if i < len(base_services) else {}
        services.append([k if v is was.get(k, _SAME) else (k, v) for k, v in s.items() if k != "observed"])
        o = s.get("observed")
        services.append(None if o is None else [(k, v) for k, v in o.items()
                                                 if k not in _OBS_TIMES or (k == "at" and o.get("verdict") == "broken")])
    # json tells 1 from 1.0 and True (equal in a tuple); a value it cannot write makes the key unique
    return detail, budget, json.dumps([top, services], default=lambda v: f"{type(v).__name__}@{id(v)}")


class Memo:
    """The last summary per detail: the kept base it was built over, its key, the built answer (unstamped)
    and the last answer finished from it (``Finished``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, list[Any]] = {}
        self.hits = 0

    def get(self, kept: Base, k: tuple) -> list[Any] | None:
        with self._lock:
            got = self._last.get(k[0])
        if got is None or got[0] is not kept or got[1] != k:
            return None
        self.hits += 1
        return got

    def put(self, kept: Base, k: tuple, built: StateOutput, done: Finished) -> None:
        with self._lock:
            self._last[k[0]] = [kept, k, built, done]


class Finished:
    """An answer stamped and measured: what its text shows of this read's times (``shown``), its JSON length."""

    def __init__(self, shown: tuple, out: StateOutput, size: int) -> None:
        self.shown, self.out, self.size = shown, out, size


def _shown(out: StateOutput, view: dict[str, Any]) -> tuple:
    """What of ``view``'s times the stamped answer shows but ``observed_at``'s exact value: the minute the
    text shows, and each service line's stamped fields."""
    asked = view.get("observed_at")
    lines = []
    for _, s in zip(out.services, view["services"]):
        o = s.get("observed") or {}
        lines.append((o.get("at") if o and o.get("at") != asked else None, o.get("age")))
    return (None if asked is None else (asked[:16], len(asked))), tuple(lines)


def finish(built: StateOutput, view: dict[str, Any], budget: int | None, last: Finished | None = None
           ) -> Finished | None:
    """``built`` stamped with ``view``'s times, with its text and dump, or None when it no longer fits
    ``budget``. When ``last`` (finished from the same ``built``) shows the same, only ``observed_at``
    differs: its text is reused (it shows the minute) and its dump takes this read's time."""
    from .state_summary_text import text

    shown = _shown(built, view)
    if last is not None and last.shown == shown:
        out = last.out.model_copy()
        out.observed_at = view.get("observed_at")
        out._text = last.out._text
        out._dump = {**last.out._dump, "observed_at": out.observed_at} if out.observed_at is not None \
            else last.out._dump  # the same length: the time is in ``shown`` by its length
        return Finished(shown, out, last.size)
    out = stamp(_copy(built), view)
    body, dump = text(out), out.model_dump(mode="json", exclude_defaults=True)
    size = len(json.dumps(dump))
    if budget is not None and (len(body) > budget or size > budget):
        return None
    out._text, out._dump = body, dump
    return Finished(shown, out, size)


def summarize(view: dict[str, Any], detail: Literal["summary", "full"], budget: int, kept: Base | None = None,
              memo: Memo | None = None) -> StateOutput:
    """``state_summary.summarize``: the first list sizes that fit ``budget`` (every size for "full"),
    built from ``blank(view)`` and stamped with ``view``'s times; reused from ``memo`` when ``kept`` (the
    kept base ``view`` was laid over) and the key are the same."""
    from .state_summary import FULL, FULL_HINT, LEVELS, build

    limit = budget if detail == "summary" else None
    k = key(view, kept, detail, budget) if kept is not None and memo is not None else None
    if k is not None:
        got = memo.get(kept, k)  # type: ignore[union-attr]
        done = finish(got[2], view, limit, got[3]) if got is not None else None
        if done is not None:
            got[3] = done  # type: ignore[index]
            return done.out
    blanked = blank(view)
    built = None
    for level in [FULL] if detail == "full" else LEVELS:
        built = build(blanked, detail, level)
        done = finish(built, view, limit)
        if done is not None:
            if k is not None:
                memo.put(kept, k, built, done)  # type: ignore[union-attr]
                return done.out.model_copy()  # the kept one is never the caller's (it sets ``mode``)
            return done.out
    assert built is not None
    out = stamp(built, view)
    out.left_out.append("the answer was still over budget at the smallest list sizes: " + FULL_HINT)
    return out
