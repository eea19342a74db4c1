"""``rollout``: the platform's rollout rules, judged from an Observation (the adapters translate Kubernetes
conditions and pod reasons, ECS deployments, and Docker states into it).

Fails on: missing or stopped service, failure reasons the adapter found (CrashLoopBackOff, ImagePullBackOff,
OOMKilled...), an OOM kill or exit 137, an exited or unhealthy instance, an instance that started before the
recorded restart (the restart did not replace it), restarts rising beyond ``max_restarts`` since the
baseline, and identity facts (task definition, image id...) that differ from what the deploy recorded.
Waits, within the timeout, while the rollout is still progressing; still progressing at the end is
inconclusive.
"""

from __future__ import annotations

import time
from typing import Any

from deploystate.platforms.base import Instance, Observation
from deploystate.state.config.checks import RolloutCheck
from deploystate.state.ledger.ids import parse_iso

from ..context import RESTART_TOLERANCE, CheckContext
from ..result import Measurement, failed, inconclusive, passed

POLL = 1.0
WAITING_OK = {"ContainerCreating", "PodInitializing", "Pending", "PENDING", "PROVISIONING", "ACTIVATING", None, ""}
IDENTITY_KEYS = ("task_definition", "image_id", "image_digest", "deployment_id", "pod_template_hash")


def _evidence(obs: Observation) -> dict[str, Any]:
    return {"target": obs.target, "state": obs.state, "rollout": obs.rollout, "replicas": obs.replicas,
            "restart_count": obs.restart_count, "oom_killed": obs.oom_killed, "problems": obs.problems,
            "instances": [{"name": i.name, "state": i.state, "reason": i.reason, "healthy": i.healthy,
                           "started_at": i.started_at, "restarts": i.restart_count, "exit": i.exit_code}
                          for i in obs.instances[:10]]}


def _oom(obs: Observation) -> list[str]:
    return [i.name for i in obs.instances
            if i.oom_killed or i.exit_code == 137 or (i.reason or "").lower().startswith("oomkilled")] \
        or ([obs.target] if obs.oom_killed else [])


def _instance_problem(i: Instance) -> str | None:
    if i.state in ("terminated", "exited", "dead"):
        return f"{i.name} {i.state}" + (f" with code {i.exit_code}" if i.exit_code is not None else "") \
            + (f" ({i.reason})" if i.reason else "")
    if i.state == "restarting":
        return f"{i.name} is restarting" + (f" ({i.reason})" if i.reason else "")
    if i.state == "waiting" and i.reason not in WAITING_OK:
        return f"{i.name} waiting: {i.reason}"
    if i.healthy is False:
        return f"{i.name} is unhealthy"
    return None


def _stale_instances(obs: Observation, ctx: CheckContext) -> list[str]:
    if not (ctx.deploy and ctx.restart_time):  # only a recorded restart says what "new" means
        return []
    cutoff = ctx.restart_time - RESTART_TOLERANCE
    out = []
    for i in obs.instances:
        if i.started_at and i.state == "running":
            try:
                if parse_iso(i.started_at) < cutoff:
                    out.append(f"{i.name} started {i.started_at}")
            except ValueError:
                continue
    return out


def _identity_mismatch(obs: Observation, ctx: CheckContext) -> list[str]:
    ids = (ctx.deploy or {}).get("platform_ids") or {}
    out = []
    for key in IDENTITY_KEYS:
        want, got = ids.get(key), obs.facts.get(key)
        if isinstance(want, str) and isinstance(got, str) and want and got and want != got:
            out.append(f"{key} is {got}, the deploy recorded {want}")
    return out


def judge(obs: Observation, check: RolloutCheck, ctx: CheckContext) -> Measurement:
    """One reading of the rules (pure apart from ``ctx.scratch``, which keeps the restart baseline)."""
    ev = _evidence(obs)
    if obs.state == "missing":
        return failed(f"{obs.target} does not exist or has no instances", **ev)
    if obs.problems:
        return failed("; ".join(obs.problems[:5]), **ev)
    oom = _oom(obs)
    if oom:
        return failed(f"OOM-killed (exit 137): {', '.join(oom[:5])}", **ev)
    rollout = obs.rollout or {}
    if rollout.get("failed"):
        return failed(f"rollout failed: {rollout.get('reason') or 'no reason given'}", **ev)
    broken = [p for p in (_instance_problem(i) for i in obs.instances) if p]
    if broken:
        return failed("; ".join(broken[:5]), **ev)
    if obs.healthy is False:
        return failed(f"{obs.target} is unhealthy", **ev)
    if obs.state == "stopped":
        return failed(f"{obs.target} is stopped", **ev)
    if obs.restart_count is not None:
        baseline = ctx.scratch.setdefault("baseline", ctx.restart_baseline if ctx.restart_baseline is not None
                                          else obs.restart_count)
        ev["restart_baseline"] = baseline
        if obs.restart_count - baseline > check.max_restarts:
            return failed(f"restarted {obs.restart_count - baseline} time(s) since the baseline of {baseline} "
                          f"(allowed {check.max_restarts})", **ev)
    # While a rollout progresses the old instances legitimately still run (an ECS deployment replacing
    # tasks, a Deployment's old ReplicaSet): replacement and identity are judged once it is done.
    reps = obs.replicas or {}
    desired = reps.get("desired")
    up = reps.get("ready", reps.get("running"))
    if rollout.get("complete") is False or obs.state == "progressing":
        return inconclusive(f"rollout in progress: {rollout.get('reason') or obs.state}", pending=True, **ev)
    if desired is not None and up is not None and up < desired:
        return inconclusive(f"{up} of {desired} ready", pending=True, **ev)
    if reps.get("pending"):
        return inconclusive(f"{reps['pending']} pending", pending=True, **ev)
    stale = _stale_instances(obs, ctx)
    if stale:
        return failed(f"not replaced by the restart at {ctx.restart_source}: " + ", ".join(stale[:5]), **ev)
    mismatch = _identity_mismatch(obs, ctx)
    if mismatch:
        return failed("; ".join(mismatch), **ev)
    if obs.state == "degraded":
        return failed(f"{obs.target} is degraded", **ev)
    if obs.state != "running":
        return inconclusive(f"{obs.target} state is {obs.state!r}", **ev)
    return passed(f"{obs.target} running"
                  + (f", {up}/{desired} ready" if desired is not None and up is not None else "")
                  + (", healthy" if obs.healthy else ""), **ev)


def measure(check: RolloutCheck, ctx: CheckContext, timeout: float) -> Measurement:
    svc, platform = ctx.need_service()
    end = time.monotonic() + timeout
    while True:
        budget = max(0.1, end - time.monotonic())
        m = judge(platform.observe(svc, timeout=budget), check, ctx)
        if not m.pending or end - time.monotonic() < POLL or ctx.cancel.wait(POLL):
            if m.pending:
                m.summary = f"still not done after {timeout:g}s: {m.summary}"
            return m
