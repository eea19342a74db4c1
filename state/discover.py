"""What ``deploystate init`` finds in a repository: compose stacks, Kubernetes Deployments, ECS task definitions.

Reading files is the only I/O here; turning a parsed document into a service
(``compose_services``, ``kubernetes_services``, ``ecs_service``) is pure and
unit-tested directly. YAML is read with PyYAML (a dependency of the kubernetes
client, listed in pyproject), imported lazily so hooks never pay for it.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .config import SERVICE_NAME

SKIP_DIRS = frozenset({".git", ".deploystate", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".pytest_cache", ".hypothesis", ".terraform", "vendor", "target", "dist"})
MAX_DEPTH = 4
MAX_FILE_BYTES = 1024 * 1024
COMPOSE_FILE = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")
# compose's own order of preference for the main file in a directory
COMPOSE_MAIN = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


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


# -- reading the repository ----------------------------------------------------------------------------------

def _walk(root: Path) -> Iterable[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        depth = 0 if rel_dir == "." else rel_dir.count(os.sep) + 1
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and depth < MAX_DEPTH)
        for f in sorted(filenames):
            yield f if rel_dir == "." else f"{rel_dir}/{f}".replace(os.sep, "/")


def _load_yaml(path: Path) -> list[Any]:
    import yaml  # PyYAML: only init reads YAML

    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """compose's override merge, enough for discovery: mappings merge, other values replace."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def discover(root: Path) -> Discovery:
    """Scan ``root`` (a few levels deep, skipping vendored and generated folders)."""
    result = Discovery()
    stacks: dict[str, list[str]] = {}
    others: list[str] = []
    for rel in _walk(root):
        try:
            if (root / rel).stat().st_size > MAX_FILE_BYTES:
                continue
        except OSError:
            continue
        base = posixpath.basename(rel)
        if COMPOSE_FILE.match(base):
            stacks.setdefault(posixpath.dirname(rel), []).append(base)
        elif base.endswith((".yaml", ".yml", ".json")):
            others.append(rel)
    taken: set[str] = set()
    for stack_dir, names in sorted(stacks.items()):
        _read_stack(root, stack_dir, names, taken, result)
    root_dirs = {p.name for p in root.iterdir() if p.is_dir()}
    for rel in others:
        _read_other(root, rel, root_dirs, taken, result)
    _share(result)
    return result


def _read_stack(root: Path, stack_dir: str, names: list[str], taken: set[str], result: Discovery) -> None:
    main = next((n for n in COMPOSE_MAIN if n in names), sorted(names)[0])
    stem = main.rsplit(".", 1)[0]
    override = next((n for n in names if n.startswith(stem + ".override.")), None)
    chosen = [main] + ([override] if override else [])
    doc: dict[str, Any] = {}
    for n in chosen:
        rel = posixpath.join(stack_dir, n) if stack_dir else n
        try:
            for part in _load_yaml(root / rel):
                if isinstance(part, dict):
                    doc = _merge(doc, part)
        except Exception as exc:  # any YAML or decoding error: report the file, keep scanning
            result.skipped.append(f"{rel}: not readable YAML ({type(exc).__name__}: {str(exc)[:120]})")
            return
    files = [posixpath.join(stack_dir, n) if stack_dir else n for n in chosen]
    found = compose_services(doc, stack_dir, files, (root / stack_dir / ".env").is_file(), taken)
    extra = sorted(set(names) - set(chosen))
    for f in found:
        taken.add(f.name)
        if extra:
            f.notes.append("also found " + ", ".join(extra) + " here: add it to compose_files if you deploy with it")
    result.services += found


def _read_other(root: Path, rel: str, root_dirs: set[str], taken: set[str], result: Discovery) -> None:
    path = root / rel
    if rel.endswith(".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # plenty of JSON files are not task definitions; unreadable ones are not ours to report
        found = ecs_service(doc, rel, taken)
        if found:
            taken.add(found.name)
            result.services.append(found)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if "kind:" not in text or "Deployment" not in text:
        return
    if "{{" in text:
        result.skipped.append(f"{rel}: a template (Helm/Go template): render it, or add its Deployment by hand")
        return
    try:
        docs = _load_yaml(path)
    except Exception as exc:  # a broken manifest must not stop init: say which and why
        result.skipped.append(f"{rel}: not readable YAML ({type(exc).__name__}: {str(exc)[:120]})")
        return
    for found in kubernetes_services(docs, rel, root_dirs, taken):
        taken.add(found.name)
        result.services.append(found)


def _share(result: Discovery) -> None:
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
