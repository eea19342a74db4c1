"""From ``docker inspect`` data to deploystate's Instance and Observation (pure functions).

Pure over the inspect dicts so they are tested on recorded engine shapes as well as live ones;
shared by the compose and docker platforms.
"""

from __future__ import annotations

from typing import Any, Callable

from deploystate.state.config.config import Revision
from deploystate.state.ledger.redact import redact

from deploystate.platforms.base import Instance, Observation
from .dockerutil import iso_time
from deploystate.platforms.revision import RevisionReading, agree, read_revision

_STATES = {"running": "running", "restarting": "restarting", "exited": "exited", "dead": "exited",
           "created": "waiting", "paused": "waiting", "removing": "terminated"}


def instance_of(attrs: dict[str, Any], reading: RevisionReading | None) -> Instance:
    """An Instance from a container's inspect data and the revision read from it."""
    state = attrs.get("State") or {}
    status = str(state.get("Status") or "unknown")
    health = (state.get("Health") or {}).get("Status")
    healthy = {"healthy": True, "unhealthy": False}.get(health) if health else None
    oom = bool(state.get("OOMKilled"))
    exit_code = state.get("ExitCode")
    reason = None
    if oom:
        reason = "OOMKilled"
    elif status == "restarting":
        reason = "Restarting"
    elif status in ("exited", "dead") and exit_code not in (0, None):
        reason = "Error"
    elif health == "unhealthy":
        reason = "Unhealthy"
    elif health == "starting":
        reason = "HealthStarting"
    running = status == "running"
    return Instance(
        name=str(attrs.get("Name") or attrs.get("Id", "?")).lstrip("/"),
        state=_STATES.get(status, "unknown"), reason=reason,
        ready=running and healthy is not False and health != "starting", healthy=healthy,
        started_at=iso_time(state.get("StartedAt")), restart_count=attrs.get("RestartCount"),
        oom_killed=oom, exit_code=exit_code, image=(attrs.get("Config") or {}).get("Image"),
        image_id=attrs.get("Image"), revision=reading.value if reading else None,
        generation=str(attrs.get("Id", ""))[:12] or None)


def problems_of(inst: Instance, attrs: dict[str, Any]) -> list[str]:
    """Failure reasons of one container, worded for humans."""
    out = []
    if inst.oom_killed:
        out.append(f"{inst.name} was OOM-killed (exit {inst.exit_code})")
    if inst.state == "restarting":
        out.append(f"{inst.name} is restarting after exit {inst.exit_code} "
                   f"(restart count {inst.restart_count})")
    elif inst.state == "exited":
        out.append(f"{inst.name} is not running: exited with code {inst.exit_code}")
    elif inst.state != "running":
        out.append(f"{inst.name} is {inst.state}")
    if inst.healthy is False:
        logs = ((attrs.get("State") or {}).get("Health") or {}).get("Log") or []
        last = str(logs[-1].get("Output", "")).strip()[:200] if logs else ""
        out.append(f"{inst.name} is unhealthy" + (f": {redact(last)}" if last else ""))
    elif inst.restart_count and inst.state == "running":
        out.append(f"{inst.name} restarted {inst.restart_count} time(s) (restart policy)")
    return out


def observation_of(service: str, platform: str, target: str, containers: list[dict[str, Any]],
                   readings: list[RevisionReading], source: str, facts: dict[str, Any]) -> Observation:
    """The service-level view of its containers (inspect dicts, same order as ``readings``)."""
    instances = [instance_of(a, r) for a, r in zip(containers, readings)]
    problems = [p for inst, a in zip(instances, containers) for p in problems_of(inst, a)]
    revision, rev_problems = agree((i.name, r) for i, r in zip(instances, readings))
    starts = [i.started_at for i in instances if i.started_at]
    health = [i.healthy for i in instances if i.healthy is not None]
    if not instances:
        state = "missing"
        problems.append(f"no container found for {target}")
    elif all(i.state == "running" and i.healthy is not False for i in instances):
        state = "progressing" if any(i.reason == "HealthStarting" for i in instances) else "running"
    elif not any(i.state in ("running", "restarting") for i in instances):
        state = "stopped"
    else:
        state = "degraded"
    return Observation(
        service=service, platform=platform, target=target, state=state, revision=revision,
        revision_source=source, started_at=max(starts) if starts else None,
        healthy=(all(health) if health else None),
        restart_count=sum(i.restart_count or 0 for i in instances) if instances else None,
        oom_killed=any(i.oom_killed for i in instances), instances=instances,
        problems=problems + rev_problems, facts=facts)


def container_facts(attrs: dict[str, Any]) -> dict[str, Any]:
    """The revision-relevant facts of a container: merged labels, environment, image reference."""
    config = attrs.get("Config") or {}
    return {"labels": config.get("Labels") or {}, "env": config.get("Env") or [],
            "image": config.get("Image")}


def readings_for(cfg: Revision, containers: list[dict[str, Any]], *, fetch: Callable[[str, float], str] | None,
                 timeout: float, worktree: Callable[[dict[str, Any]], RevisionReading] | None = None
                 ) -> list[RevisionReading]:
    """The revision of each container; an ``http`` source is asked once for the whole service; the
    ``worktree`` source (code bind-mounted from the checkout) is read by ``worktree`` per container."""
    if cfg.source == "worktree" and worktree is not None:
        return [worktree(a) for a in containers]
    if cfg.source == "http":
        shared = read_revision(cfg, fetch=fetch, timeout=max(0.1, min(timeout, 5.0)))
        return [shared for _ in containers]
    return [read_revision(cfg, **container_facts(a)) for a in containers]
