"""What the runner's exact tests share: a command check's job and a soak run in the test's own thread."""

from __future__ import annotations

import time
from pathlib import Path

from deploystate.state.config.checks import CommandCheck
from deploystate.verify.context import CheckContext
from deploystate.verify.runner import Job, _Soak
from tests.timing import GENEROUS


def _job(name: str = "probe", **kw) -> Job:
    check = CommandCheck(argv=["true"], name=name, **kw)
    return Job(check.label(), check, CheckContext(root=Path(".")).fork(), "web")


def _soak(job: Job, measure, end: float | None = None, events: list | None = None) -> _Soak:  # noqa: ANN001
    def progress(key: str, event: str, text: str) -> None:
        if events is not None:
            events.append((key, event, text))

    return _Soak(job, time.monotonic() + 3 * GENEROUS if end is None else end, measure, progress)
