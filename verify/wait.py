"""Wait for a deploy someone else performs (CI) to reach the runtime: ``deploystate verify --wait``.

After a push CI builds and rolls out; "CI passed" says nothing about what runs. This module watches each
service's runtime until it reports a commit with the pushed commit's code for that service (the one
"runs HEAD's code" rule of ``state.headcode``), with progress, and within one limit. A service that never
gets there is NOT inconclusive forever and never a pass: it is "CI did not deploy it (still running X)".
Each service that rolled out gets a ``deploy`` record observed from the runtime (its platform ids:
containers, pods, task definition), so logs-since-restart, rollback and the doom loop work for CI
deploys as for deploystate's own restarts.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Callable

from deploystate.platforms.base import Observation, ServiceRef
from deploystate.platforms.registry import get_platform
from deploystate.state.ledger import store
from deploystate.state.config.config import Config
from deploystate.state.errors import DeploystateError
from deploystate.state.drift.headcode import Judge, short
from deploystate.state.ledger.ids import iso, parse_iso
from deploystate.state.config.project import Project
from deploystate.state.ledger.redact import redact
from deploystate.state.plain import Record

OBSERVE_TIMEOUT = 10.0
DEFAULT_INTERVAL = 5.0
MAX_IDS = 10
# A runtime stamps an instance's start after its process began: the first lines it logs can carry an
# earlier time (seen with dockerd: "Traceback" at start was missed). Logs are read from this much before.
START_SLACK = timedelta(seconds=2)

Say = Callable[[str], None]


# Records (state/plain.py), not dataclasses, as every value type of verify (dataclasses costs a start ~8 ms).
class Rollout(Record):
    """Where one service stands at the end of the wait."""

    service: str
    rolled_out: bool
    reason: str                        # a sentence: "api runs b1c2… = HEAD" / "CI did not deploy it (…)"
    running: str | None                # default None: the full commit the runtime reports, when known
    waited: float                      # default 0.0
    observation: Observation | None    # default None
    record_id: str | None              # default None
    _fields = ("service", "rolled_out", "reason", "running", "waited", "observation", "record_id")
    _defaults = {"running": None, "waited": 0.0, "observation": None, "record_id": None}

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "rolled_out": self.rolled_out, "reason": self.reason,
                "running": self.running, "waited": round(self.waited, 1), "record_id": self.record_id}


class _Seen(Record):
    running: str | None                # default None
    reason: str                        # default "not observed yet"
    observation: Observation | None    # default None
    history: list[str]                 # default []
    _fields = ("running", "reason", "observation", "history")
    _defaults = {"running": None, "reason": "not observed yet", "observation": None}
    _factories = {"history": list}


def _observe(project: Project, config: Config, name: str, timeout: float) -> Observation:
    cfg = config.services[name]
    return get_platform(cfg.platform).observe(ServiceRef(name, cfg, project.root), timeout=timeout)


def wait_for_rollout(project: Project, config: Config, names: list[str], *, head: str, timeout: float,
                     interval: float = DEFAULT_INTERVAL, say: Say | None = None,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> list[Rollout]:
    """Poll each service until its runtime runs ``head``'s code for it, or ``timeout`` seconds pass."""
    judge = Judge.for_project(project, head=head)
    start = clock()
    deadline = start + max(0.0, timeout)
    seen = {name: _Seen() for name in names}
    done: dict[str, Rollout] = {}
    while True:
        for name in [n for n in names if n not in done]:
            left = max(1.0, deadline - clock())
            try:
                obs = _observe(project, config, name, min(OBSERVE_TIMEOUT, left))
            except DeploystateError as exc:
                seen[name].reason = f"the runtime did not answer: {redact(exc.message)[:200]}"
                continue
            verdict = judge.judge(name, obs.revision)
            seen[name].running, seen[name].reason, seen[name].observation = verdict.running, verdict.reason, obs
            if verdict.ok:
                done[name] = Rollout(name, True, verdict.reason, verdict.running, clock() - start, obs)
                if say:
                    say(f"rolled out: {name} runs {short(verdict.running)} ({clock() - start:.0f}s)")
        if len(done) == len(names) or clock() >= deadline:
            break
        if say:
            waiting = ", ".join(f"{n} runs {short(seen[n].running) if seen[n].running else 'unknown'}"
                                for n in names if n not in done)
            say(f"waiting {clock() - start:.0f}s of {timeout:.0f}s for {short(head)}: {waiting}")
        sleep(max(0.0, min(interval, deadline - clock())))
    for name in names:
        if name not in done:
            s = seen[name]
            still = f"still running {short(s.running)}" if s.running else f"still not running it: {s.reason}"
            done[name] = Rollout(name, False, f"CI did not deploy it within {timeout:g}s ({still})", s.running,
                                 clock() - start, s.observation)
    return [done[n] for n in names]


def platform_ids(obs: Observation) -> dict[str, Any]:
    """The bounded ids that say which instances run (containers, pods, tasks), for rollback and evidence."""
    inst = obs.instances[:MAX_IDS]
    ids: dict[str, Any] = {"target": obs.target, "revision": obs.revision, "observed": True}
    gens = [i.generation for i in inst if i.generation]
    images = [i.image_id for i in inst if i.image_id]
    if gens:
        ids["instances"] = gens
    if images:
        ids["image_ids"] = images
    if obs.restart_count is not None:
        ids["restart_count"] = obs.restart_count
    for key in ("replicaset", "task_definition", "deployment_id", "container_id", "image"):
        if isinstance(obs.facts.get(key), (str, int)):
            ids[key] = obs.facts[key]
    return ids


def _earlier(stamp: str | None) -> str:
    """The instance start less START_SLACK, as ISO (empty when the runtime gave none)."""
    if not stamp:
        return ""
    try:
        return iso(parse_iso(stamp) - START_SLACK)
    except ValueError:
        return ""


def record_rollouts(project: Project, config: Config, rollouts: list[Rollout], *, head: str,
                    author: dict[str, Any] | None = None) -> None:
    """A ``deploy`` record per rolled-out service, observed from the runtime and performed by CI."""
    for r in rollouts:
        if not r.rolled_out or r.observation is None:
            continue
        obs = r.observation
        rec = store.record(project, "deploy", {
            "service": r.service, "commit": r.running or head, "strategy": "ci", "performed_by": "ci",
            "platform": config.services[r.service].platform, "platform_ids": platform_ids(obs),
            "status": "restarted", "warnings": [], "forced": False, "reason": "",
            "started_at": _earlier(obs.started_at), "duration": round(r.waited, 1),
            "message": f"observed after CI: {r.reason}"[:300]}, commit=r.running or head, author=author)
        r.record_id = rec["id"]


def record_not_deployed(project: Project, rollouts: list[Rollout], *, head: str,
                        author: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A failed verification per service CI never deployed (it counts toward the doom loop like any fail)."""
    out = []
    for r in rollouts:
        if r.rolled_out:
            continue
        rec = store.record(project, "verification", {
            "service": r.service, "commit": head, "verdict": "fail", "summary": r.reason,
            "deploy_id": None, "recheck": False, "recheck_due": None, "failed_checks": [f"rollout: {r.reason}"],
            "checks": [], "signature": "CI did not deploy it", "expected_from": f"pushed commit {short(head)}",
            "running_revision": r.running}, commit=head, author=author)
        r.record_id = rec["id"]
        out.append({"service": r.service, "verdict": "fail", "summary": r.reason, "commit": head,
                    "running_revision": r.running, "failed_checks": [f"rollout: {r.reason}"],
                    "record_id": rec["id"]})
    return out
