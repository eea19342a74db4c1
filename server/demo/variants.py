"""Where the demo's application runs: local processes (the command platform) or docker compose.

A variant writes the application and its deploystate.toml, names the files the story edits and the
edits themselves, tells one running instance from the next (a pid, a container id), and stops
everything it started.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from deploystate.state.git import proc
from deploystate.state.errors import DeploystateError, PlatformError

from . import app_files, compose_app, processes
from .config_text import command_config
from .workspace import Workspace


class CommandVariant:
    """Two local processes managed by the app's control script (no engine, no cloud)."""

    name = "command"
    api_file, worker_file = "api/server.py", "worker/worker.py"
    edits: ModuleType = app_files

    def build(self, ws: Workspace) -> None:
        ws.create(app_files.initial_files(), command_config(sys.executable, ws.port))

    def details(self) -> dict[str, Any]:
        return {}

    def before_restart(self, ws: Workspace) -> None:
        """Nothing to do: the control script reads the commit from git when it starts a process."""

    def instance(self, ws: Workspace, name: str) -> str | None:
        """The pid of the running process, or None."""
        try:
            pid = int((ws.root / "run" / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None
        return str(pid) if processes.alive(pid) else None

    def started(self, ws: Workspace) -> list[Any]:
        return list(processes.started_pids(ws.root / "run"))

    def stop_all(self, ws: Workspace) -> list[Any]:
        return processes.stop_all(ws.root)


class ComposeVariant:
    """The same application as busybox images on docker compose (needs a reachable Docker engine)."""

    name = "compose"
    api_file, worker_file = "api/app/main.sh", "worker/app/main.sh"
    edits: ModuleType = compose_app

    def __init__(self) -> None:
        self.project = f"deploystate-demo-{secrets.token_hex(3)}"
        self.seen: list[str] = []    # container ids observed, for the result

    def build(self, ws: Workspace) -> None:
        busybox = static_busybox()
        ws.create(compose_app.files(self.project, ws.port), compose_app.config(self.project, ws.port))
        for service in ("api", "worker"):
            bin_dir = ws.root / service / "rootfs" / "bin"
            bin_dir.mkdir(parents=True)
            shutil.copy2(busybox, bin_dir / "busybox")
            for applet in compose_app.APPLETS:
                (bin_dir / applet).symlink_to("busybox")
            (ws.root / service / "rootfs" / "tmp").mkdir()

    def details(self) -> dict[str, Any]:
        return {"compose_project": self.project}

    def before_restart(self, ws: Workspace) -> None:
        """The image label comes from the REVISION build argument: the commit being deployed, as CI sets it."""
        os.environ["REVISION"] = ws.head()

    def _platform(self) -> Any:
        from deploystate.platforms.registry import get_platform
        return get_platform("compose")

    def instance(self, ws: Workspace, name: str) -> str | None:
        """The id of the service's running container, or None."""
        from deploystate.platforms.base import ServiceRef
        from deploystate.state.config.config import load_config

        cfg = load_config(ws.root / "deploystate.toml").services[name]
        obs = self._platform().observe(ServiceRef(name, cfg, ws.root), timeout=10)
        running = [i.generation for i in obs.instances if i.state == "running" and i.generation]
        self.seen += [c for c in running if c not in self.seen]
        return running[0] if running else None

    def started(self, ws: Workspace) -> list[Any]:
        return list(self.seen)

    def stop_all(self, ws: Workspace) -> list[Any]:
        """``docker compose down`` (containers, network, the images it built); the containers still there."""
        from deploystate.platforms.compose.compose_cli import find_compose

        try:
            compose = find_compose()
            proc.run([*compose, "-p", self.project, "down", "-t", "1", "--rmi", "local", "--remove-orphans"],
                     cwd=ws.root if ws.root.is_dir() else None, timeout=120)
        except DeploystateError:
            pass
        return self._leftovers()

    def _leftovers(self) -> list[Any]:
        """Remove every image compose built for this run (earlier builds are left untagged by later ones)
        and return the ids of the project's containers that are still there."""
        from deploystate.platforms.docker.dockerutil import Engine

        label = {"label": f"com.docker.compose.project={self.project}"}
        engine = Engine(api_timeout=30)
        try:
            api = engine.client(30).api
            with engine.errors("removing the demo's images"):
                for image in api.images(all=True, filters=label):
                    try:
                        api.remove_image(image["Id"], force=True)
                    except Exception:  # noqa: BLE001 - an image still in use stays; its containers are reported
                        pass
            with engine.errors("listing the demo's containers"):
                return [str(c["Id"])[:12] for c in api.containers(all=True, filters=label)]
        except DeploystateError as exc:
            return [f"unknown: {exc.message}"]
        finally:
            engine.close()


def static_busybox() -> Path:
    """A statically linked busybox (it runs FROM scratch); PlatformError naming the package otherwise."""
    found = shutil.which("busybox")
    if found:
        path = Path(found).resolve()
        head = path.read_bytes()[:16384]
        if head.startswith(b"\x7fELF") and b"ld-linux" not in head and b"ld-musl" not in head:
            return path
    raise PlatformError("--platform compose builds its images FROM scratch and needs a statically linked busybox",
                        "install busybox-static (Debian/Ubuntu: apt-get install busybox-static), or run the demo "
                        "without --platform")


def variant_for(name: str) -> CommandVariant | ComposeVariant:
    return ComposeVariant() if name == "compose" else CommandVariant()
