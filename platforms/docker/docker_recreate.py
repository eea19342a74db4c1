"""Recreate a plain Docker container from a (new) image, keeping its name and its own configuration.

``docker restart`` keeps the container, so it keeps the image it was created from: a container
started with ``docker run`` picks up a new image only when it is recreated. The copy is made from
the container's inspect data; what the *old image* contributed (its labels, environment, command,
healthcheck...) is dropped so the new image's values apply, otherwise the copy would carry the old
``org.opencontainers.image.revision`` label forward and lie about what runs. Anonymous volumes are
not carried over (named volumes and bind mounts are, through HostConfig).
"""

from __future__ import annotations

from typing import Any

from deploystate.platforms.base import Progress
from .dockerutil import Deadline, Engine

# Config keys that an image supplies by default; equal values are the image's, not the container's.
FROM_IMAGE = ("Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Healthcheck",
              "StopSignal", "Shell", "OnBuild")
BUILTIN_NETWORKS = ("default", "bridge", "host", "none")


def clone_config(attrs: dict[str, Any], image_config: dict[str, Any] | None,
                 image_ref: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(create body, extra networks to connect afterwards) for a copy of ``attrs`` running ``image_ref``."""
    image_config = image_config or {}
    config = dict(attrs.get("Config") or {})
    for key in FROM_IMAGE:
        if key in config and config.get(key) == image_config.get(key):
            config.pop(key)
    image_labels = image_config.get("Labels") or {}
    config["Labels"] = {k: v for k, v in (config.get("Labels") or {}).items() if image_labels.get(k) != v}
    image_env = set(image_config.get("Env") or [])
    config["Env"] = [e for e in config.get("Env") or [] if e not in image_env]
    cid = str(attrs.get("Id", ""))
    if config.get("Hostname") == cid[:12]:
        config.pop("Hostname")        # the engine's default hostname is the old container's id
    config["Image"] = image_ref
    host = dict(attrs.get("HostConfig") or {})
    config["HostConfig"] = host
    mode = str(host.get("NetworkMode") or "default")
    endpoints = {name: _endpoint(ep, cid) for name, ep in
                 ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).items()}
    endpoints.pop("bridge" if mode in ("default", "bridge") else mode, None)
    primary = ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(mode)
    if primary is not None and mode not in BUILTIN_NETWORKS and not mode.startswith("container:"):
        config["NetworkingConfig"] = {"EndpointsConfig": {mode: _endpoint(primary, cid)}}
    return config, endpoints


def _endpoint(ep: dict[str, Any], cid: str) -> dict[str, Any]:
    aliases = [a for a in ep.get("Aliases") or [] if a != cid[:12]]
    return {"Aliases": aliases or None, "IPAMConfig": ep.get("IPAMConfig")}


def recreate(engine: Engine, attrs: dict[str, Any], image_ref: str, deadline: Deadline,
             progress: Progress | None = None) -> dict[str, Any]:
    """Replace the container by a copy running ``image_ref``; on failure put the old one back."""
    import docker.errors

    name = str(attrs.get("Name", "")).lstrip("/")
    cid = str(attrs["Id"])
    client = engine.client(deadline.check(f"recreating {name}"))
    with engine.errors(f"container {name}"):
        try:
            image_config = client.api.inspect_image(attrs["Image"]).get("Config")
        except docker.errors.NotFound:      # the old image was deleted: nothing to subtract
            image_config = None
        body, extra = clone_config(attrs, image_config, image_ref)
        grace = int((attrs.get("Config") or {}).get("StopTimeout") or 10)
        if progress:
            progress(f"recreating container {name} from {image_ref}")
        client.api.stop(cid, timeout=max(0, min(grace, int(deadline.left()) - 1)))
        backup = f"{name}-deploystate-old-{cid[:8]}"
        client.api.rename(cid, backup)
        new_id = None
        try:
            new_id = client.api.create_container_from_config(body, name=name)["Id"]
            for network, ep in extra.items():
                client.api.connect_container_to_network(new_id, network, aliases=ep["Aliases"])
            client.api.start(new_id)
        except Exception:
            if new_id:
                client.api.remove_container(new_id, force=True)
            client.api.rename(cid, name)
            if (attrs.get("State") or {}).get("Running"):
                client.api.start(cid)
            raise
        client.api.remove_container(cid, force=True)
        return client.api.inspect_container(new_id)
