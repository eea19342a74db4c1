"""``revision``: the service runs HEAD's code. Part of every service's verification, configured or not.

The commit each running instance reports is judged by the one rule (``state.headcode``): same content as
HEAD for the service's paths and the all-services paths. Not the last deploy record: a fix committed after
the last deploy and never restarted fails here. A revision that cannot be read, or a commit this clone does
not have, is inconclusive; only a revision no instance reports at all can be waived (``revision_waiver`` with a
reason: then it passes, saying it is waived).
"""

from __future__ import annotations

from deploystate.state.config.checks import RevisionCheck
from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, Judge

from ..context import CheckContext
from ..identity import assess
from ..result import Measurement, failed, inconclusive, passed

MIN_PREFIX = 7  # kept for callers that compare abbreviations for display; the verdict uses headcode


def same_commit(a: str, b: str) -> bool:
    """Equal commits, allowing one to be an abbreviation (>= 7 hex digits) of the other (display only)."""
    a, b = a.strip().lower(), b.strip().lower()
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


def judge_of(ctx: CheckContext) -> Judge:
    """The run's shared Judge (one diff per distinct running commit), or one made for this check."""
    if ctx.judge is None:
        from deploystate.state.config.project import Project

        ctx.judge = Judge.for_project(Project.discover(ctx.root), head=ctx.head)
    return ctx.judge


def measure(check: RevisionCheck, ctx: CheckContext, timeout: float) -> Measurement:
    svc, platform = ctx.need_service()
    obs = platform.observe(svc, timeout=timeout)
    found = assess(obs, svc, judge_of(ctx))
    evidence = {**found.evidence, **({"missing_revision": True} if found.missing_revision else {})}
    if found.status == RUNS_HEAD:
        return passed(found.reason, **evidence)
    if found.status in (NOT_HEAD, "missing"):
        return failed(found.reason, **evidence)
    waiver = svc.config.revision_waiver
    # The one way past an UNREADABLE revision (no instance reports one): said on the check, and as a standing
    # warning. A revision that is read but names no commit here could be old code: the waiver never covers it.
    if waiver and found.missing_revision:
        return passed(f"revision check WAIVED ({waiver}): {found.reason}", waived=waiver, **evidence)
    return inconclusive(found.reason, **evidence)
