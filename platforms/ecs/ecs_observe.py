"""ECS describe_* responses -> an Observation (pure, so recorded real responses test it directly).

The rules follow what ECS itself reports about a rollout: *our* deployment (the one
the last restart started) must still be PRIMARY, its ``rolloutState`` COMPLETED,
running == desired, with no failed tasks; tasks stopped since then explain why
(``stoppedReason``, container exit codes, 137 = killed for memory).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from deploystate.state.config.config import Revision
from deploystate.state.ledger.ids import iso

from deploystate.platforms.base import Instance, Observation
from deploystate.platforms.revision import RevisionReading, agree, describe, read_revision

MAX_INSTANCES = 20
OOM_EXIT = 137


def when(value: Any) -> str | None:
    """boto3 gives datetimes; recorded JSON gives ISO strings or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (int, float)):
        return iso(datetime.fromtimestamp(value, tz=timezone.utc))
    return str(value)


def task_id(task: dict[str, Any]) -> str:
    return str(task.get("taskArn", "?")).rsplit("/", 1)[-1]


def td_revision(task_def: dict[str, Any] | None, cfg: Revision) -> RevisionReading:
    """The revision a task definition deploys: the first container whose image tag or environment says it."""
    if cfg.source in ("label", "http"):
        why = ("image labels are not visible through the ECS API: set revision.source to \"image_tag\" or \"env\""
               if cfg.source == "label" else "read over HTTP, not from the task definition")
        return RevisionReading(None, describe(cfg), why)
    first: RevisionReading | None = None
    for container in (task_def or {}).get("containerDefinitions", []):
        env = {e.get("name", ""): e.get("value", "") for e in container.get("environment", [])}
        reading = read_revision(cfg, env=env, image=container.get("image"))
        if reading.value:
            return reading
        first = first or reading
    return first or RevisionReading(None, describe(cfg), "the task definition has no containers")


def is_oom(container: dict[str, Any]) -> bool:
    reason = str(container.get("reason") or "")
    return container.get("exitCode") == OOM_EXIT or "OutOfMemory" in reason


BENIGN_STOP_CODES = ("ServiceSchedulerInitiated", "UserInitiated")    # scale-in, replaced, stopped by a person
BENIGN_REASONS = ("scaling activity", "deployment", "stopped by user", "user initiated")


def crashed(task: dict[str, Any]) -> bool:
    """A stopped task that failed (crash, OOM, could not start), not one the scheduler or a person retired."""
    if any(is_oom(c) or c.get("exitCode") not in (None, 0) for c in task.get("containers", [])):
        return True
    code = task.get("stopCode")
    if code:
        return code not in BENIGN_STOP_CODES
    reason = str(task.get("stoppedReason") or "").lower()   # no stopCode (old API, emulators): read the reason
    return bool(reason) and not any(word in reason for word in BENIGN_REASONS)


def stopped_problem(task: dict[str, Any]) -> str:
    """One line on why a task stopped, naming each container's exit code (137 called out as OOM)."""
    parts = []
    for c in task.get("containers", []):
        code, reason = c.get("exitCode"), c.get("reason")
        if code is None and not reason:
            continue
        text = f"container {c.get('name', '?')} exited {code if code is not None else '?'}"
        if is_oom(c):
            text += " (OOM-killed: out of memory, no stack trace)"
        if reason:
            text += f": {reason}"
        parts.append(text)
    why = task.get("stoppedReason") or task.get("stopCode") or "no reason given"
    return f"task {task_id(task)[:12]} stopped: {why}" + (f"; {'; '.join(parts)}" if parts else "")


def _instance(task: dict[str, Any], container: dict[str, Any], reading: RevisionReading | None) -> Instance:
    health = container.get("healthStatus") or task.get("healthStatus")
    last = str(container.get("lastStatus") or task.get("lastStatus") or "unknown").lower()
    return Instance(
        name=f"{task_id(task)[:12]}/{container.get('name', '?')}",
        state="running" if last == "running" else "terminated" if last == "stopped" else last,
        reason=container.get("reason") or (task.get("stoppedReason") if last == "stopped" else None),
        healthy=True if health == "HEALTHY" else False if health == "UNHEALTHY" else None,
        started_at=when(task.get("startedAt")), exit_code=container.get("exitCode"),
        oom_killed=is_oom(container) if last == "stopped" else None,
        image=container.get("image"), image_id=container.get("imageDigest"),
        revision=reading.value if reading else None, generation=task.get("taskDefinitionArn"))


def summarize(name: str, target: str, service: dict[str, Any], running: list[dict[str, Any]],
              stopped: list[dict[str, Any]], task_defs: dict[str, dict[str, Any]], cfg: Revision,
              ours: str | None) -> Observation:
    """Fold one describe_services entry, its tasks and their task definitions into an Observation.

    ``ours``: the deployment id the last restart started (None when none is recorded);
    ``stopped``: tasks stopped since that deployment began (the caller filters by time). Only tasks of
    the current deployment that crashed count: the old deployment's tasks are retired on purpose.

    ``problems`` holds failures only; evidence that could not be read (a revision) goes to
    ``facts["notes"]`` so verification can call it inconclusive rather than failed."""
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None) or {}
    desired = int(service.get("desiredCount", primary.get("desiredCount", 0)) or 0)
    running_count = int(service.get("runningCount", primary.get("runningCount", 0)) or 0)
    pending = int(service.get("pendingCount", primary.get("pendingCount", 0)) or 0)
    failed_tasks = int(primary.get("failedTasks") or 0)
    rollout_state = primary.get("rolloutState")
    problems: list[str] = []
    ours_primary = None if ours is None else primary.get("id") == ours
    if ours is not None and not ours_primary:
        live = any(d.get("id") == ours for d in deployments)
        problems.append(f"our deployment {ours} is {'no longer PRIMARY' if live else 'gone'}: "
                        f"PRIMARY is {primary.get('id', 'none')} (another deployment replaced it)")
    if rollout_state == "FAILED":
        problems.append(f"rollout FAILED: {primary.get('rolloutStateReason') or 'no reason given'}")
    if failed_tasks and rollout_state != "COMPLETED":
        problems.append(f"{failed_tasks} task(s) failed to start in deployment {primary.get('id', '?')}")
    current = {d for d in (ours, primary.get("id")) if d}
    expected_td = service.get("taskDefinition") or primary.get("taskDefinition")
    stopped = [t for t in stopped if crashed(t) and (t.get("startedBy") in current if t.get("startedBy")
                                                     else t.get("taskDefinitionArn") == expected_td)]
    problems += [stopped_problem(t) for t in stopped[:5]]
    oom = any(is_oom(c) for t in stopped for c in t.get("containers", []))

    readings: list[tuple[str, RevisionReading]] = []
    instances: list[Instance] = []
    for task in running:
        td = task_defs.get(task.get("taskDefinitionArn", "")) or {}
        for container in task.get("containers", []):
            reading = _container_revision(container, td, cfg)
            readings.append((f"task {task_id(task)[:12]}/{container.get('name', '?')}", reading))
            instances.append(_instance(task, container, reading))
    for task in stopped:
        instances += [_instance(task, c, None) for c in task.get("containers", [])]
    revision, notes = agree(readings)
    source = describe(cfg) + " of running tasks"
    if not running:
        reading = td_revision(task_defs.get(expected_td or ""), cfg)
        revision, notes = reading.value, ([] if reading.value else [f"revision: {reading.error}"])
        source = f"{reading.source} of task definition {short_td(expected_td)} (no running task seen)"
    stale = [t for t in running if expected_td and t.get("taskDefinitionArn") != expected_td]
    if stale and rollout_state != "IN_PROGRESS":
        problems.append(f"{len(stale)} running task(s) use {short_td(stale[0].get('taskDefinitionArn'))}, "
                        f"not the service's {short_td(expected_td)}")

    complete = (rollout_state == "COMPLETED" if rollout_state else len(deployments) == 1) \
        and running_count >= desired and ours_primary is not False
    if complete and revision is None and any("different revisions" in n for n in notes):
        problems.append(notes[-1])       # settled, yet tasks disagree: not one revision is running
    if service.get("status") not in (None, "ACTIVE"):
        state = "missing"
    elif desired == 0:
        state = "stopped"
    elif rollout_state == "FAILED" or ours_primary is False or (complete and problems):
        state = "degraded"
    elif not complete:
        state = "progressing"
    else:
        state = "running"
    healthy_flags = [i.healthy for i in instances if i.state == "running" and i.healthy is not None]
    return Observation(
        service=name, platform="ecs", target=target, state=state, revision=revision, revision_source=source,
        started_at=max((i.started_at for i in instances if i.started_at and i.state == "running"), default=None),
        healthy=None if not healthy_flags else all(healthy_flags),
        restart_count=len(stopped), oom_killed=oom,
        replicas={"desired": desired, "running": running_count, "pending": pending, "failed": failed_tasks},
        rollout={"complete": complete, "rollout_state": rollout_state,
                 "reason": primary.get("rolloutStateReason") or "", "primary_deployment": primary.get("id"),
                 "our_deployment": ours, "ours_is_primary": ours_primary, "task_definition": expected_td,
                 "deployments": [_deployment(d) for d in deployments[:5]]},
        instances=instances[:MAX_INSTANCES], problems=problems,
        facts={"cluster": service.get("clusterArn"), "service_arn": service.get("serviceArn"),
               "deployment_id": primary.get("id"), "task_definition": expected_td, "notes": notes,
               "image_digests": sorted({i.image_id for i in instances if i.image_id and i.state == "running"}),
               "events": [str(e.get("message", ""))[:300] for e in (service.get("events") or [])[:5]]})


def _container_revision(container: dict[str, Any], task_def: dict[str, Any], cfg: Revision) -> RevisionReading:
    """A running container's revision: its image tag, or its environment from the task definition."""
    if cfg.source == "image_tag":
        return read_revision(cfg, image=container.get("image"))
    definition = next((c for c in task_def.get("containerDefinitions", [])
                       if c.get("name") == container.get("name")), None)
    if definition is None:
        return RevisionReading(None, describe(cfg), "task definition not available")
    return td_revision({"containerDefinitions": [definition]}, cfg)


def _deployment(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d.get("id"), "status": d.get("status"), "task_definition": d.get("taskDefinition"),
            "rollout_state": d.get("rolloutState"), "running": d.get("runningCount"),
            "desired": d.get("desiredCount"), "pending": d.get("pendingCount"), "failed": d.get("failedTasks"),
            "created_at": when(d.get("createdAt"))}


def short_td(arn: str | None) -> str:
    """``arn:aws:ecs:…:task-definition/web:7`` -> ``web:7``."""
    return str(arn).rsplit("/", 1)[-1] if arn else "?"


def since_filter(tasks: Iterable[dict[str, Any]], cutoff: datetime | None) -> list[dict[str, Any]]:
    """Tasks that stopped (or, lacking stop times, were created) at or after ``cutoff``."""
    out = []
    for t in tasks:
        stamp = t.get("stoppedAt") or t.get("stoppingAt") or t.get("createdAt")
        if cutoff is None or not isinstance(stamp, datetime) or stamp >= cutoff:
            out.append(t)
    return out
