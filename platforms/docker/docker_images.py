"""Local Docker images: what a tag points to now, and which image holds a given revision (rollback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploystate.state.config.config import Revision
from deploystate.state.errors import PlatformError

from deploystate.platforms.revision import describe, read_revision, same_revision


@dataclass(frozen=True)
class LocalImage:
    id: str
    tags: list[str]
    created: int
    revision: str


def split_ref(ref: str) -> tuple[str, str | None]:
    """(repository, tag) of an image reference; the tag defaults to ``latest``, None when pinned by digest."""
    if "@" in ref:
        return ref.split("@", 1)[0], None
    head, _, last = ref.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (f"{head}/{name}" if head else name), tag
    return ref, "latest"


def image_id(client: Any, ref: str | None) -> str | None:
    """The id the reference points to now, None when there is no such local image."""
    import docker.errors

    if not ref:
        return None
    try:
        return str(client.api.inspect_image(ref)["Id"])
    except docker.errors.NotFound:
        return None


def images_for_revision(client: Any, repository: str, cfg: Revision, to: str) -> list[LocalImage]:
    """Local images of ``repository`` whose revision (read per ``cfg``) is ``to``, newest first."""
    if cfg.source == "http":
        raise PlatformError(f"the revision of this service is read over http ({cfg.url}), so no local "
                            "image can be matched to a revision",
                            "read the revision from a label, env or image_tag to roll back by image")
    found = []
    for summary in client.api.images(name=repository):
        tags = [t for t in summary.get("RepoTags") or [] if split_ref(t)[0] == repository]
        value = _revision_of(client, summary, tags, cfg)
        if value and same_revision(value, to):
            found.append(LocalImage(summary["Id"], tags, int(summary.get("Created") or 0), value))
    if not found:
        raise PlatformError(f"no local image of {repository} carries revision {to} ({describe(cfg)})",
                            f"build or load the image for {to} and tag it in {repository}, then retry")
    return sorted(found, key=lambda img: img.created, reverse=True)


def _revision_of(client: Any, summary: dict[str, Any], tags: list[str], cfg: Revision) -> str | None:
    if cfg.source == "label":
        return read_revision(cfg, labels=summary.get("Labels") or {}).value
    if cfg.source == "image_tag":
        for tag in tags:
            value = read_revision(cfg, image=tag).value
            if value:
                return value
        return None
    env = (client.api.inspect_image(summary["Id"]).get("Config") or {}).get("Env") or []
    return read_revision(cfg, env=env).value
