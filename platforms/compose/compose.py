"""docker compose: recreate through the compose v2 CLI; restart, observe and logs through the Docker SDK.

Containers are found by compose's own labels (``com.docker.compose.project`` / ``.service``), so
services started by hand with ``docker compose up`` are seen the same way. ``docker compose restart``
keeps the container (old image, old environment): ``restart`` is right only when code is bind-mounted.
``auto`` recreates whenever build/pull is configured or something ``restart`` would miss has changed,
and an explicit ``restart`` that misses a change says so in the result's warnings.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from deploystate.state.git import proc
from deploystate.state.config.config import ComposeService
from deploystate.state.errors import ConfigError, DeploystateError, InputError, PlatformError, TargetNotFound
from deploystate.state.ledger.ids import iso, utc_now

from deploystate.platforms.base import Observation, Progress, RestartResult, ServiceRef
from .compose_cli import ComposeCli, tail
from .compose_drift import changes_since_created, short_id
from .compose_label import build_commit, stamped
from deploystate.platforms.docker.docker_images import image_id, images_for_revision, split_ref
from deploystate.platforms.docker.docker_view import observation_of, readings_for
from deploystate.platforms.docker.dockerutil import DEFAULT_API_TIMEOUT, Deadline, Engine, read_logs
from deploystate.platforms import worktree
from deploystate.platforms.revision import agree, describe

STRATEGIES = ("auto", "restart", "recreate")
PROJECT, SERVICE, ONEOFF, NUMBER = ("com.docker.compose.project", "com.docker.compose.service",
                                    "com.docker.compose.oneoff", "com.docker.compose.container-number")


class ComposePlatform:
    name = "compose"

    def __init__(self, *, docker_host: str | None = None, client: Any = None,
                 compose_bin: str | Sequence[str] | None = None, api_timeout: float = DEFAULT_API_TIMEOUT,
                 wait: bool | None = None, fetch: Callable[[str, float], str] | None = None) -> None:
        """``wait``: pass ``--wait`` to ``up`` (None: only when the service defines a healthcheck)."""
        self.engine = Engine(docker_host, client, api_timeout)
        self.cli = ComposeCli(compose_bin, {"DOCKER_HOST": docker_host} if docker_host else None)
        self.wait = wait
        self.fetch = fetch

    # -- reading ---------------------------------------------------------------------------------

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        deadline = Deadline(timeout)
        cfg, service = _cfg(svc)
        project = self.cli.project_name(cfg, svc.root, deadline.left())
        containers = self._containers(project, service, deadline)
        readings = readings_for(cfg.revision, containers, fetch=self.fetch, timeout=deadline.left(),
                                worktree=worktree.reader(cfg.revision, svc.root, cfg.paths))
        return observation_of(svc.name, self.name, f"compose:{project}/{service}", containers, readings,
                              describe(cfg.revision),
                              {"engine": self.engine.endpoint, "project": project, "service": service})

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        """Lines since ``since``; ``previous``: what the containers logged before their current start."""
        deadline = Deadline(timeout)
        cfg, service = _cfg(svc)
        project = self.cli.project_name(cfg, svc.root, deadline.left())
        containers = self._containers(project, service, deadline)
        if not containers:
            raise TargetNotFound(f"compose service {project}/{service} has no container",
                                 "start it (deploystate restart with recreate) or check the service name")
        return read_logs(self.engine, containers, since=since, previous=previous, deadline=deadline)

    def _containers(self, project: str, service: str, deadline: Deadline) -> list[dict[str, Any]]:
        """Inspect data of the service's containers (one-off `run` containers excluded), by number."""
        import docker.errors

        client = self.engine.client(deadline.check(f"listing {project}/{service}"))
        labels = [f"{PROJECT}={project}", f"{SERVICE}={service}", f"{ONEOFF}=False"]
        found = []
        with self.engine.errors(f"compose service {project}/{service}"):
            for summary in client.api.containers(all=True, filters={"label": labels}):
                try:
                    found.append(client.api.inspect_container(summary["Id"]))
                except docker.errors.NotFound:   # removed between list and inspect
                    continue
        return sorted(found, key=lambda a: int(((a.get("Config") or {}).get("Labels") or {}).get(NUMBER, 0) or 0))

    # -- acting ----------------------------------------------------------------------------------

    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        if strategy not in STRATEGIES:
            raise InputError(f"strategy {strategy!r} does not apply to compose", "use restart, recreate or auto")
        started, t0, deadline = utc_now(), time.monotonic(), Deadline(timeout)
        cfg, service = _cfg(svc)
        project, spec, model = self._spec(cfg, svc.root, service, deadline)
        containers = self._containers(project, service, deadline)
        changes = self._changes(cfg, svc.root, project, service, spec, containers, deadline)
        chosen, why = _choose(strategy, cfg, changes, containers)
        warnings: list[str] = []
        if chosen == "restart":
            if not containers:
                raise TargetNotFound(f"compose service {project}/{service} has no container to restart",
                                     "use strategy recreate to create it")
            warnings = [f"`restart` keeps the container's image and environment, so this change is NOT "
                        f"running: {text}; use recreate" for _, text in changes]
            self._restart_containers(containers, deadline, progress)
            ok, message = True, f"restarted {len(containers)} container(s) of {project}/{service}"
        else:
            if not cfg.build and any(kind == "build_context" for kind, _ in changes):
                warnings.append("the build context changed but build = false: recreate reuses the existing "
                                "image; set build = true or build the image first")
            flags = (["--build"] if cfg.build else []) + (["--pull", "always"] if cfg.pull else [])
            labelled, unlabelled = self._stamp(cfg, svc.root, service, spec, model, rebuilding=cfg.build)
            warnings += [unlabelled] if unlabelled else []
            ok, message = self._up(cfg, svc.root, service, spec, flags, deadline, progress, labelled)
        if why:
            message = f"{message} ({why})"
        return RestartResult(svc.name, chosen, ok, message, self._ids(project, service, cfg, deadline),
                             warnings, iso(started), round(time.monotonic() - t0, 3))

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        """Re-point the service's image tag at the local image of revision ``to`` and recreate from it."""
        if not to:
            raise PlatformError("compose keeps no history of earlier images, so there is no 'previous' to "
                                "roll back to", "name the revision: rollback to=<commit> (or last_verified)")
        proc.option_safe(to, "revision")
        started, t0, deadline = utc_now(), time.monotonic(), Deadline(timeout)
        cfg, service = _cfg(svc)
        project, spec, _ = self._spec(cfg, svc.root, service, deadline)
        ref = str(spec.get("image") or f"{project}-{service}")
        repository, tag = split_ref(ref)
        if tag is None:
            raise PlatformError(f"{service} pins its image by digest ({ref}); a tag cannot be moved",
                                "edit the compose file to the image of that revision and recreate")
        client = self.engine.client(deadline.check("finding the rollback image"))
        with self.engine.errors(f"images of {repository}"):
            target = images_for_revision(client, repository, cfg.revision, to)[0]
            before = image_id(client, ref)
            if target.id != before:
                client.api.tag(target.id, repository, tag, force=True)
        if progress:
            progress(f"{ref} now points to {short_id(target.id)} (revision {target.revision})")
        ok, message = self._up(cfg, svc.root, service, spec, ["--no-build", "--pull", "never"], deadline, progress)
        if ok:
            message = f"rolled back {service} to revision {target.revision} (image {short_id(target.id)})"
        ids = {**self._ids(project, service, cfg, deadline), "to": to, "image": ref,
               "image_id": target.id, "previous_image_id": before}
        warnings = [] if target.id == before else [
            f"the tag {ref} was moved from {short_id(before)} to {short_id(target.id)}; rebuild or re-tag to go forward"]
        return RestartResult(svc.name, "rollback", ok, message, ids, warnings, iso(started),
                             round(time.monotonic() - t0, 3))

    def _spec(self, cfg: ComposeService, root: Path, service: str,
              deadline: Deadline) -> tuple[str, dict[str, Any], dict[str, Any]]:
        model = self.cli.model(cfg, root, deadline.left())
        services = model.get("services") or {}
        if service not in services:
            raise TargetNotFound(f"compose service {service!r} is not in {', '.join(cfg.compose_files)}",
                                 f"compose services there: {', '.join(sorted(services)) or '(none)'}")
        return str(model.get("name", "")), services[service], model

    @staticmethod
    def _stamp(cfg: ComposeService, root: Path, service: str, spec: dict[str, Any], model: dict[str, Any],
               rebuilding: bool) -> tuple[dict[str, Any] | None, str | None]:
        """The model whose build of ``service`` carries HEAD where the revision source reads it (compose_label)."""
        if not isinstance(spec.get("build"), dict):
            return None, None
        commit, why = build_commit(root, spec)
        if commit is None:
            return None, why
        return stamped(model, service, cfg.revision, commit, rebuilding)

    def _changes(self, cfg: ComposeService, root: Path, project: str, service: str, spec: dict[str, Any],
                 containers: list[dict[str, Any]], deadline: Deadline) -> list[tuple[str, str]]:
        ref = str(spec.get("image") or f"{project}-{service}")
        client = self.engine.client(deadline.check("comparing images"))
        with self.engine.errors(f"image {ref}"):
            current = image_id(client, ref)
        found: list[tuple[str, str]] = []
        for attrs in containers:
            for change in changes_since_created(service=spec, container=attrs, image_ref=ref, current_image_id=current,
                                                env_files=[root / f for f in cfg.env_files]):
                if change not in found:
                    found.append(change)
        return found

    def _restart_containers(self, containers: list[dict[str, Any]], deadline: Deadline,
                            progress: Progress | None) -> None:
        for attrs in containers:
            name = str(attrs.get("Name", "")).lstrip("/")
            # the service's stop_grace_period, but never more than the time left
            grace = int((attrs.get("Config") or {}).get("StopTimeout") or 10)
            left = deadline.check(f"restarting {name}")
            if progress:
                progress(f"restarting container {name}")
            client = self.engine.client(left)
            with self.engine.errors(f"container {name}"):
                client.api.restart(attrs["Id"], timeout=max(0, min(grace, int(left) - 1)))

    def _up(self, cfg: ComposeService, root: Path, service: str, spec: dict[str, Any], flags: list[str],
            deadline: Deadline, progress: Progress | None,
            model: dict[str, Any] | None = None) -> tuple[bool, str]:
        health = spec.get("healthcheck") or {}
        wait = self.wait if self.wait is not None else bool(health) and not health.get("disable")
        left = deadline.check(f"recreating {service}")
        if wait:
            flags = [*flags, "--wait", "--wait-timeout", str(max(1, int(left) - 1))]
        args = ["up", "-d", "--no-deps", "--force-recreate", *flags, service]
        if progress:
            progress(f"docker compose {' '.join(args)}")
        done = self.cli.run(cfg, root, args, left, "up", model=model)
        if done.ok:
            return True, f"recreated {service} (docker compose up -d --no-deps --force-recreate)"
        return False, f"docker compose up failed (exit {done.returncode}): {tail(done.stderr or done.stdout)}"

    def _ids(self, project: str, service: str, cfg: ComposeService, deadline: Deadline) -> dict[str, Any]:
        """Container ids, image ids and the revision now running, for the ledger record."""
        ids: dict[str, Any] = {"project": project, "service": service}
        try:
            after = self._containers(project, service, deadline)
            readings = readings_for(cfg.revision, after, fetch=self.fetch, timeout=min(2.0, deadline.left()))
        except DeploystateError as exc:   # the restart happened; failing to look afterwards must not hide it
            return {**ids, "observe_error": exc.message}
        ids["containers"] = [str(a.get("Id", ""))[:12] for a in after]
        ids["image_ids"] = sorted({str(a.get("Image")) for a in after})
        ids["revision"] = agree((str(a.get("Name")), r) for a, r in zip(after, readings))[0]
        return ids


def _cfg(svc: ServiceRef) -> tuple[ComposeService, str]:
    if not isinstance(svc.config, ComposeService):
        raise ConfigError(f"service {svc.name!r} is not a compose service", "set platform = \"compose\"")
    return svc.config, proc.option_safe(svc.config.service or svc.name, "compose service name")


def _choose(strategy: str, cfg: ComposeService, changes: list[tuple[str, str]],
            containers: list[dict[str, Any]]) -> tuple[str, str]:
    """The strategy to run and, for ``auto``, why."""
    if strategy != "auto":
        return strategy, ""
    if cfg.build or cfg.pull:
        return "recreate", f"auto: {'build' if cfg.build else 'pull'} is configured"
    if not containers:
        return "recreate", "auto: no container exists yet"
    if changes:
        return "recreate", f"auto: {changes[0][0].replace('_', ' ')} changed since the container was created"
    return "restart", "auto: nothing restart would miss has changed"
