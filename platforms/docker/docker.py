"""Docker Engine: containers selected by name or by label; restart, recreate, observe, logs, rollback.

``restart`` keeps the container and so the image it was created from; when the container's image
reference now points to another image (a new build under the same tag), ``auto`` recreates the
container from it and an explicit ``restart`` warns that the new image is not running.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Iterator

from deploystate.state.git import proc
from deploystate.state.config.config import DockerService
from deploystate.state.errors import ConfigError, DeploystateError, InputError, PlatformError, TargetNotFound
from deploystate.state.ledger.ids import iso, utc_now

from deploystate.platforms.base import Observation, Progress, RestartResult, ServiceRef
from deploystate.platforms.compose.compose_drift import short_id
from .docker_images import image_id, images_for_revision, split_ref
from .docker_recreate import recreate
from .docker_view import observation_of, readings_for
from .dockerutil import DEFAULT_API_TIMEOUT, Deadline, Engine, read_logs
from deploystate.platforms import worktree
from deploystate.platforms.revision import agree, describe

STRATEGIES = ("auto", "restart", "recreate")


class DockerPlatform:
    name = "docker"

    def __init__(self, *, docker_host: str | None = None, client: Any = None,
                 api_timeout: float = DEFAULT_API_TIMEOUT, fetch: Callable[[str, float], str] | None = None) -> None:
        self.engine = Engine(docker_host, client, api_timeout)
        self.fetch = fetch

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        deadline = Deadline(timeout)
        cfg = _cfg(svc)
        containers = self._containers(cfg, deadline)
        readings = readings_for(cfg.revision, containers, fetch=self.fetch, timeout=deadline.left(),
                                worktree=worktree.reader(cfg.revision, svc.root, cfg.paths))
        return observation_of(svc.name, self.name, _target(cfg), containers, readings, describe(cfg.revision),
                              {"engine": self.engine.endpoint})

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        """Lines since ``since``; ``previous``: what the containers logged before their current start."""
        deadline = Deadline(timeout)
        cfg = _cfg(svc)
        containers = self._required(cfg, deadline)
        return read_logs(self.engine, containers, since=since, previous=previous, deadline=deadline)

    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        if strategy not in STRATEGIES:
            raise InputError(f"strategy {strategy!r} does not apply to docker", "use restart, recreate or auto")
        started, t0, deadline = utc_now(), time.monotonic(), Deadline(timeout)
        cfg = _cfg(svc)
        containers = self._required(cfg, deadline)
        client = self.engine.client(deadline.check("comparing images"))
        with self.engine.errors(_target(cfg)):
            moved = {a["Id"]: _moved_image(client, a) for a in containers}
        changed = [a for a in containers if moved[a["Id"]]]
        chosen = strategy if strategy != "auto" else ("recreate" if changed else "restart")
        warnings: list[str] = []
        if chosen == "restart":
            warnings = [f"`restart` keeps the container's image: {_name(a)} still runs "
                        f"{short_id(a.get('Image'))} although {a['Config']['Image']} now points to "
                        f"{short_id(moved[a['Id']])}; use recreate" for a in changed]
            for attrs in containers:
                self._restart_one(attrs, deadline, progress)
        else:
            for attrs in containers:
                recreate(self.engine, attrs, str((attrs.get("Config") or {}).get("Image")), deadline, progress)
        why = "" if strategy != "auto" else (" (auto: the image tag points to a new image)" if changed else
                                             " (auto: the image is unchanged)")
        message = f"{'restarted' if chosen == 'restart' else 'recreated'} {len(containers)} container(s) of " \
                  f"{_target(cfg)}{why}"
        return RestartResult(svc.name, chosen, True, message, self._ids(cfg, deadline), warnings, iso(started),
                             round(time.monotonic() - t0, 3))

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        """Recreate the containers from the local image that carries revision ``to``."""
        if not to:
            raise PlatformError("Docker keeps no history of a container's earlier images, so there is no "
                                "'previous' to roll back to", "name the revision: rollback to=<commit> (or last_verified)")
        proc.option_safe(to, "revision")
        started, t0, deadline = utc_now(), time.monotonic(), Deadline(timeout)
        cfg = _cfg(svc)
        containers = self._required(cfg, deadline)
        ref = str((containers[0].get("Config") or {}).get("Image") or "")
        if not ref or ref.startswith("sha256:"):
            raise PlatformError(f"{_target(cfg)} was started from an image id, so there is no repository to "
                                "search for other revisions", "start the container from a tagged image")
        repository = split_ref(ref)[0]
        client = self.engine.client(deadline.check("finding the rollback image"))
        with self.engine.errors(f"images of {repository}"):
            target = images_for_revision(client, repository, cfg.revision, to)[0]
        # run it under its own tag when it has one (no tag is moved), else by id
        tags = sorted(target.tags, key=lambda t: t.endswith(":latest"))   # a moving tag last
        use = tags[0] if tags else target.id
        for attrs in containers:
            recreate(self.engine, attrs, use, deadline, progress)
        ids = {**self._ids(cfg, deadline), "to": to, "image": use, "image_id": target.id,
               "previous_image_ids": sorted({str(a.get("Image")) for a in containers})}
        return RestartResult(svc.name, "rollback", True,
                             f"rolled back {_target(cfg)} to revision {target.revision} ({use})", ids, [],
                             iso(started), round(time.monotonic() - t0, 3))

    def _containers(self, cfg: DockerService, deadline: Deadline) -> list[dict[str, Any]]:
        import docker.errors

        client = self.engine.client(deadline.check(f"listing {_target(cfg)}"))
        with self.engine.errors(_target(cfg)):
            if cfg.container:
                return [client.api.inspect_container(proc.option_safe(cfg.container, "container name"))]
            found = []
            for summary in client.api.containers(all=True, filters={"label": [str(cfg.label)]}):
                try:
                    found.append(client.api.inspect_container(summary["Id"]))
                except docker.errors.NotFound:   # removed between list and inspect
                    continue
            return sorted(found, key=_name)

    def _required(self, cfg: DockerService, deadline: Deadline) -> list[dict[str, Any]]:
        containers = self._containers(cfg, deadline)
        if not containers:
            raise TargetNotFound(f"no container matches {_target(cfg)} on the Docker engine at {self.engine.endpoint}",
                                 "check the label in deploystate.toml, or start the container")
        return containers

    def _restart_one(self, attrs: dict[str, Any], deadline: Deadline, progress: Progress | None) -> None:
        grace = int((attrs.get("Config") or {}).get("StopTimeout") or 10)
        left = deadline.check(f"restarting {_name(attrs)}")
        if progress:
            progress(f"restarting container {_name(attrs)}")
        with self.engine.errors(f"container {_name(attrs)}"):
            self.engine.client(left).api.restart(attrs["Id"], timeout=max(0, min(grace, int(left) - 1)))

    def _ids(self, cfg: DockerService, deadline: Deadline) -> dict[str, Any]:
        try:
            after = self._containers(cfg, deadline)
            readings = readings_for(cfg.revision, after, fetch=self.fetch, timeout=min(2.0, deadline.left()))
        except DeploystateError as exc:   # the restart happened; failing to look afterwards must not hide it
            return {"observe_error": exc.message}
        return {"containers": [str(a.get("Id", ""))[:12] for a in after],
                "image_ids": sorted({str(a.get("Image")) for a in after}),
                "revision": agree((_name(a), r) for a, r in zip(after, readings))[0]}


def _cfg(svc: ServiceRef) -> DockerService:
    if not isinstance(svc.config, DockerService):
        raise ConfigError(f"service {svc.name!r} is not a docker service", "set platform = \"docker\"")
    return svc.config


def _target(cfg: DockerService) -> str:
    return f"container:{cfg.container}" if cfg.container else f"label:{cfg.label}"


def _name(attrs: dict[str, Any]) -> str:
    return str(attrs.get("Name") or attrs.get("Id", "?")).lstrip("/")


def _moved_image(client: Any, attrs: dict[str, Any]) -> str | None:
    """The image id the container's image reference points to now, when that is not what it runs."""
    ref = str((attrs.get("Config") or {}).get("Image") or "")
    if not ref or ref.startswith("sha256:"):
        return None
    current = image_id(client, ref)
    return current if current and current != attrs.get("Image") else None
