"""Services found in parsed files: compose projects, Kubernetes Deployments, ECS task definitions (pure).

``deploystate init`` reads the files (``discover.py``); turning one parsed
document into services happens here, so every rule is unit-tested directly.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from deploystate.state.config.config import SERVICE_NAME
from .found_revision import RevisionPlan, bind_mounts, label_plan, watcher, worktree_plan


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
    revision: RevisionPlan | None = None               # [services.X.revision] and what the user must add
    origins: dict[str, str] = field(default_factory=dict)  # field or path -> where it came from (--dry-run)
    warnings: list[str] = field(default_factory=list)  # printed by init, not only written as comments
    image: str | None = None                           # the image it runs when it names one
    bare: str = ""                                     # the name before qualifying (compose/k8s name)
    qualifier: str = ""                                # what tells it apart: compose project, namespace


@dataclass
class Discovery:
    services: list[Found] = field(default_factory=list)
    all_services: list[tuple[list[str], str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # "file: why" for files that could not be read
    candidates: int = 0                                # services found before any --only selection


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


THIRD_PARTY = ("no code of this repository is built into {image}: its running revision cannot be read, so verify "
               "stays inconclusive for it; if that is right, waive it with a reason: "
               'revision_waiver = "third-party image {image}"')


def compose_services(doc: dict[str, Any], stack_dir: str, files: list[str], has_dotenv: bool,
                     taken: Iterable[str] = (), commands: dict[str, list[str]] | None = None,
                     qualifier: str = "") -> list[Found]:
    """Services of one compose project (``doc`` = its merged files) as deploystate compose services.

    ``commands``: per compose service, the command texts read around it (compose command, the
    Dockerfile's CMD, package.json scripts) that tell whether it reloads changed files by itself.
    """
    taken = set(taken)
    out = []
    services = doc.get("services") if isinstance(doc.get("services"), dict) else {}
    for raw_name, body in services.items():
        body = body if isinstance(body, dict) else {}
        name = safe_name(str(raw_name), taken)
        taken.add(name)
        found = Found(name, "compose", files[0], restart="recreate", bare=name, qualifier=qualifier,
                      image=body.get("image") if isinstance(body.get("image"), str) else None)
        found.target["service"] = str(raw_name)
        found.target["compose_files"] = list(files)
        found.origins["service"] = f"{files[0]} services.{raw_name}"
        found.origins["restart"] = ("a rebuilt image or changed environment needs a recreate (compose restart keeps "
                                    "the old container)")
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
        _compose_revision(found, body, stack_dir, (commands or {}).get(str(raw_name), []))
        envs = _env_files(body, stack_dir)
        if envs:
            found.target["env_files"] = envs
        found.shared += list(files) + envs + ([_rel(stack_dir, ".env") or ".env"] if has_dotenv else [])
        found.http_port = _published_port(body.get("ports"))
        out.append(found)
    return out


def _compose_revision(found: Found, body: dict[str, Any], stack_dir: str, commands: list[str]) -> None:
    """Code bind-mounted from the checkout runs from the working tree; otherwise the image label."""
    context = next((p[:-3] for p in found.paths if p.endswith("/**")), "" if "**" in found.paths else None)
    mounts = [m for m in bind_mounts(body.get("volumes"), lambda src: _rel(stack_dir, src))
              if context is None or context == "" or m == context or m.startswith(context + "/")]
    if mounts:
        mounted = [_dir_glob(m) if "." not in posixpath.basename(m) else m for m in mounts]
        command = body.get("command")
        texts = [" ".join(map(str, command)) if isinstance(command, list) else str(command or "")] + commands
        found.revision = worktree_plan(mounted, watcher(texts), f"compose service {found.target['service']}")
        for m in mounted:
            if not any(m == p or (p.endswith("/**") and m.startswith(p[:-2])) or p == "**" for p in found.paths):
                found.paths.append(m)
                found.origins[m] = f"{found.source} services.{found.target['service']}.volumes (bind mount)"
        found.origins["revision"] = found.revision.why
        found.notes += found.revision.notes
        return
    found.revision = label_plan(bool(found.target.get("build")), body.get("image"))
    if not found.target.get("build") and not found.paths:
        found.revision.todo = None        # a third-party image (no build, none of this repository's files)
        found.revision.why = f"image {body.get('image')} is not built from this repository"
        found.notes.append(THIRD_PARTY.format(image=body.get("image")))
    found.origins["revision"] = found.revision.why


def link_built_elsewhere(found: Found, context: str, origin: str) -> None:
    """An image-only service whose image this repository builds elsewhere (CI, skaffold): its source
    folder joins its paths and the revision label becomes a to-do for that build."""
    glob = _dir_glob(context)
    if glob in found.paths:
        return
    found.paths.insert(0, glob)
    found.origins[glob] = origin
    found.notes = [n for n in found.notes if not n.startswith("no code of this repository")]
    found.revision = label_plan(False, found.image)
    found.origins["revision"] = found.revision.why
    if context == "":
        found.warnings.append("its image is built from the repository root, so paths = [\"**\"]: every change "
                              "affects it; narrow it to what the Dockerfile copies")


def _compose_build(found: Found, build: Any, stack_dir: str) -> None:
    found.target["build"] = True
    spec = {"context": build} if isinstance(build, str) else build if isinstance(build, dict) else {}
    context = str(spec.get("context") or ".")
    ctx = None if "://" in context or "$" in context or context.startswith("git@") else _rel(stack_dir, context)
    if ctx is None:
        found.notes.append(f"build context {context!r} is not a folder of this repository: "
                           "add the globs of the files the image is built from")
        return
    glob = _dir_glob(ctx)
    found.paths.append(glob)
    found.origins[glob] = f"{found.source} services.{found.target['service']}.build.context"
    if ctx in ("", "."):
        found.warnings.append("its build context is the whole repository, so paths = [\"**\"]: every change "
                              "affects it; narrow it to what the Dockerfile copies")
    dockerfile = spec.get("dockerfile")
    if isinstance(dockerfile, str) and "$" not in dockerfile:
        df = _rel(ctx, dockerfile)
        if df and not (ctx in ("", ".") or df.startswith(ctx.rstrip("/") + "/")):
            found.paths.append(df)
            found.origins[df] = f"{found.source} services.{found.target['service']}.build.dockerfile"
    found.notes.append(f"built from {ctx or '.'}: a rebuilt image needs a recreate (`restart` keeps the old "
                       "container and its old image)")


def qualify(services: list[Found]) -> None:
    """Services sharing a name get their qualifier in front (``angular-web``, ``payments-api``): still valid."""
    groups: dict[str, list[Found]] = {}
    for f in services:
        groups.setdefault(f.bare or f.name, []).append(f)
    taken: set[str] = set()
    for bare, group in groups.items():
        for f in group:
            raw = f"{f.qualifier}-{bare}" if len(group) > 1 and f.qualifier else bare
            f.name = safe_name(raw, taken)
            taken.add(f.name)


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
