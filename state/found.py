"""Services found in parsed files: compose projects, Kubernetes Deployments, ECS task definitions (pure).

``deploystate init`` reads the files (``discover.py``); turning one parsed
document into services happens here, so every rule is unit-tested directly.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .config import SERVICE_NAME


@dataclass
class Found:
    """One service worth configuring, with why each value was chosen (written as comments)."""

    name: str
    platform: str
    source: str                                        # file it was found in, relative to the root
    target: dict[str, Any] = field(default_factory=dict)  # platform fields, in the order they are written
    paths: list[str] = field(default_factory=list)
    restart: str = "auto"
    shared: list[str] = field(default_factory=list)    # env/compose files other services may share
    notes: list[str] = field(default_factory=list)
    http_port: int | None = None                       # a published port, for a suggested http check


@dataclass
class Discovery:
    services: list[Found] = field(default_factory=list)
    all_services: list[tuple[list[str], str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # "file: why" for files that could not be read


def safe_name(raw: str, taken: Iterable[str] = ()) -> str:
    """A deploystate service name ([a-z0-9][a-z0-9_-]*) from any compose/k8s/ECS name, unique in ``taken``."""
    name = re.sub(r"[^a-z0-9_-]+", "-", raw.lower()).strip("-_") or "service"
    if not SERVICE_NAME.match(name):
        name = "s-" + name
    taken = set(taken)
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _rel(stack_dir: str, path: str) -> str | None:
    """``path`` (relative to a compose file's directory) relative to the root; None when outside it."""
    joined = posixpath.normpath(posixpath.join(stack_dir or ".", path))
    return None if joined == ".." or joined.startswith("../") or posixpath.isabs(joined) else joined


def _dir_glob(d: str) -> str:
    return "**" if d in ("", ".") else f"{d.rstrip('/')}/**"


def _published_port(ports: Any) -> int | None:
    """The first host port a compose service publishes ("8080:80", "127.0.0.1:8080:80", long syntax)."""
    for p in ports if isinstance(ports, list) else []:
        if isinstance(p, dict):
            published = p.get("published")
        else:
            parts = str(p).split("/")[0].split(":")
            published = parts[-2] if len(parts) >= 2 else None  # a bare "80" publishes nothing fixed
        try:
            return int(str(published).split("-")[0])
        except (TypeError, ValueError):
            continue
    return None


def _env_files(body: dict[str, Any], stack_dir: str) -> list[str]:
    value = body.get("env_file")
    items = [value] if isinstance(value, (str, dict)) else value if isinstance(value, list) else []
    out = []
    for item in items:
        raw = item.get("path") if isinstance(item, dict) else item
        rel = _rel(stack_dir, raw) if isinstance(raw, str) and "$" not in raw else None
        if rel and rel not in out:
            out.append(rel)
    return out


def compose_services(doc: dict[str, Any], stack_dir: str, files: list[str], has_dotenv: bool,
                     taken: Iterable[str] = ()) -> list[Found]:
    """Services of one compose project (``doc`` = its merged files) as deploystate compose services."""
    taken = set(taken)
    out = []
    services = doc.get("services") if isinstance(doc.get("services"), dict) else {}
    for raw_name, body in services.items():
        body = body if isinstance(body, dict) else {}
        name = safe_name(str(raw_name), taken)
        taken.add(name)
        found = Found(name, "compose", files[0], restart="recreate")
        if name != raw_name:
            found.target["service"] = str(raw_name)
        found.target["compose_files"] = list(files)
        if isinstance(doc.get("name"), str) and "$" not in doc["name"]:
            found.target["project_name"] = doc["name"]
        build = body.get("build")
        if build is not None:
            _compose_build(found, build, stack_dir)
        elif body.get("image"):
            found.target["pull"] = False
            found.notes.append(f"image {body['image']} only (no build): a recreate starts whatever that tag "
                               "points to locally; set pull = true to fetch a newer image first")
        else:
            found.notes.append("neither build nor image: check this service")
        envs = _env_files(body, stack_dir)
        if envs:
            found.target["env_files"] = envs
        found.shared += list(files) + envs + ([_rel(stack_dir, ".env") or ".env"] if has_dotenv else [])
        found.http_port = _published_port(body.get("ports"))
        out.append(found)
    return out


def _compose_build(found: Found, build: Any, stack_dir: str) -> None:
    found.target["build"] = True
    spec = {"context": build} if isinstance(build, str) else build if isinstance(build, dict) else {}
    context = str(spec.get("context") or ".")
    ctx = None if "://" in context or "$" in context or context.startswith("git@") else _rel(stack_dir, context)
    if ctx is None:
        found.notes.append(f"build context {context!r} is not a folder of this repository: "
                           "add the globs of the files the image is built from")
        return
    found.paths.append(_dir_glob(ctx))
    if ctx in ("", "."):
        found.notes.append("the build context is the whole repository: narrow '**' to what the image copies")
    dockerfile = spec.get("dockerfile")
    if isinstance(dockerfile, str) and "$" not in dockerfile:
        df = _rel(ctx, dockerfile)
        if df and not (ctx in ("", ".") or df.startswith(ctx.rstrip("/") + "/")):
            found.paths.append(df)
    found.notes.append(f"built from {ctx or '.'}: a rebuilt image needs a recreate (`restart` keeps the old "
                       "container and its old image)")


def kubernetes_services(docs: Iterable[Any], source: str, root_dirs: set[str],
                        taken: Iterable[str] = ()) -> list[Found]:
    """Deployments in one manifest file (``kind: List`` items included) as kubernetes services."""
    taken = set(taken)
    out = []
    flat: list[Any] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            flat.extend(doc["items"])
        else:
            flat.append(doc)
    for doc in flat:
        if not (isinstance(doc, dict) and doc.get("kind") == "Deployment" and doc.get("apiVersion")):
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        dep = meta.get("name")
        if not isinstance(dep, str) or not dep or "{{" in dep:
            continue
        name = safe_name(dep, taken)
        taken.add(name)
        found = Found(name, "kubernetes", source, restart="rollout", paths=[source])
        found.target["deployment"] = dep
        found.target["namespace"] = meta.get("namespace") if isinstance(meta.get("namespace"), str) else "default"
        spec = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {})
        containers = [c.get("name") for c in spec.get("containers") or [] if isinstance(c, dict)]
        if len(containers) > 1:
            found.target["containers"] = [c for c in containers if isinstance(c, str)]
        if dep in root_dirs:
            found.paths.insert(0, f"{dep}/**")
            found.notes.append(f"guessed that the folder {dep}/ holds its source: check")
        else:
            found.notes.append("add the globs of the source its image is built from")
        out.append(found)
    return out


def ecs_service(doc: Any, source: str, taken: Iterable[str] = ()) -> Found | None:
    """An ECS task definition (as registered, or wrapped in ``taskDefinition``) as an ecs service."""
    if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict):
        doc = doc["taskDefinition"]
    if not (isinstance(doc, dict) and isinstance(doc.get("containerDefinitions"), list)
            and isinstance(doc.get("family"), str) and doc["family"]):
        return None
    family = doc["family"]
    found = Found(safe_name(family, taken), "ecs", source, restart="force_new_deployment", paths=[source])
    found.target["cluster"] = "default"
    found.target["service"] = family
    found.notes.append("a task definition names neither cluster nor service: cluster 'default' and a service "
                       f"named like the family ({family}) are guesses; set the real ones")
    return found


def share_files(result: Discovery) -> None:
    """A file every service depends on becomes an [[all_services]] rule; others join the users' paths."""
    users: dict[str, list[Found]] = {}
    for f in result.services:
        for path in dict.fromkeys(f.shared):
            users.setdefault(path, []).append(f)
    everyone = len(result.services)
    common = [p for p, u in users.items() if everyone > 1 and len(u) == everyone]
    env_like = [p for p in common if posixpath.basename(p).startswith(".env") or p.endswith(".env")]
    compose_like = [p for p in common if p not in env_like]
    if env_like:
        result.all_services.append((env_like, "environment read by every service: a change needs a recreate"))
    if compose_like:
        result.all_services.append((compose_like, "defines every service"))
    for path, found in users.items():
        if path in common:
            continue
        for f in found:
            if path not in f.paths:
                f.paths.append(path)
