"""``revision``: committed is running: the revision the platform reads from the running service equals the
commit that was deployed. A revision that cannot be read, or no known commit, is inconclusive."""

from __future__ import annotations

from deploystate.state.checks import RevisionCheck

from ..context import CheckContext
from ..result import Measurement, failed, inconclusive, passed

MIN_PREFIX = 7  # image tags and labels often carry a short sha


def same_commit(a: str, b: str) -> bool:
    """Equal commits, allowing one to be an abbreviation (>= 7 hex digits) of the other."""
    a, b = a.strip().lower(), b.strip().lower()
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


def measure(check: RevisionCheck, ctx: CheckContext, timeout: float) -> Measurement:
    svc, platform = ctx.need_service()
    obs = platform.observe(svc, timeout=timeout)
    expected = ctx.expected_commit
    evidence = {"expected": expected, "expected_from": ctx.expected_source, "running": obs.revision,
                "source": obs.revision_source or svc.config.revision.source, "target": obs.target}
    if obs.state == "missing":
        return failed(f"{obs.target} is not running (missing)", **evidence)
    if not expected:
        return inconclusive("no commit to compare with: no deploy recorded and no git HEAD", **evidence)
    per_instance = {i.name: i.revision for i in obs.instances if i.revision}
    stale = {name: rev for name, rev in per_instance.items() if not same_commit(rev, expected)}
    if per_instance:
        evidence["instances"] = per_instance
    if stale:
        revisions = sorted({r[:10] for r in stale.values()})
        if len(stale) == len(per_instance) and len(revisions) == 1:
            return failed(f"running {revisions[0]} but {expected[:10]} was deployed ({ctx.expected_source}): "
                          "committed is not running", **evidence)
        return failed(f"{len(stale)} of {len(per_instance)} instance(s) run another revision than "
                      f"{expected[:10]} (" + ", ".join(f"{n}={r[:10]}" for n, r in list(stale.items())[:5])
                      + "): committed is not running", **evidence)
    if not obs.revision:
        return inconclusive(f"the running revision of {obs.target} could not be read "
                            f"(revision source {evidence['source']!r}); set [services.{svc.name}.revision]",
                            **evidence)
    if not same_commit(obs.revision, expected):
        return failed(f"running {obs.revision[:10]} but {expected[:10]} was deployed ({ctx.expected_source}): "
                      "committed is not running", **evidence)
    return passed(f"running {obs.revision[:10]} = {ctx.expected_source}", **evidence)
