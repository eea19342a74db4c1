"""What ``deploystate init`` finds in a repository: compose stacks, Kubernetes workloads, ECS task definitions.

This module reads files (a few levels deep, skipping vendored and generated folders); the pure
modules turn them into services: ``found`` (compose, ECS, naming), ``found_k8s`` (one workload
across every file that defines it), ``found_build`` (image -> source folder), ``found_revision``
(which revision source). YAML is read with PyYAML (listed in pyproject; also a kubernetes
dependency), imported lazily so hooks never pay for it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import found_build as fb
from .found import Discovery, compose_services, link_built_elsewhere, qualify, share_files
from .found_workloads import ecs_service, kubernetes_service
from .found_k8s import TEMPLATED, collect, kustomization, strip_helm, workload_docs

SKIP_DIRS = frozenset({".git", ".deploystate", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".pytest_cache", ".hypothesis", ".terraform", "vendor", "target", "dist"})
MAX_DEPTH = 4
MAX_FILE_BYTES = 1024 * 1024
COMPOSE_FILE = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")
# compose's own order of preference for the main file in a directory
COMPOSE_MAIN = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)(\.[\w.-]+)?$|\.[Dd]ockerfile$")
KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")
WORKLOAD_TEXT = re.compile(r"kind:\s*[\"']?(Deployment|StatefulSet|DaemonSet)\b")


@dataclass
class Files:
    """The repository's files by role, relative to the root."""

    stacks: dict[str, list[str]] = field(default_factory=dict)
    yaml: list[str] = field(default_factory=list)
    json: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)


def _walk(root: Path) -> Iterable[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        depth = 0 if rel_dir == "." else rel_dir.count(os.sep) + 1
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and depth < MAX_DEPTH)
        for f in sorted(filenames):
            yield f if rel_dir == "." else f"{rel_dir}/{f}".replace(os.sep, "/")


def _files(root: Path) -> Files:
    out = Files()
    for rel in _walk(root):
        try:
            if (root / rel).stat().st_size > MAX_FILE_BYTES:
                continue
        except OSError:
            continue
        base = posixpath.basename(rel)
        if COMPOSE_FILE.match(base):
            out.stacks.setdefault(posixpath.dirname(rel), []).append(base)
        elif DOCKERFILE.search(base):
            out.dockerfiles.append(rel)
        elif base.endswith((".yaml", ".yml")) or base == "Kustomization":
            out.yaml.append(rel)
        elif base.endswith(".json"):
            out.json.append(rel)
    return out


def _load_yaml(path: Path, text: str | None = None) -> list[Any]:
    import yaml  # PyYAML: only init reads YAML

    if text is None:
        text = path.read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """compose's override merge, enough for discovery: mappings merge, other values replace."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read(root: Path, rel: str, result: Discovery) -> list[Any] | None:
    try:
        return _load_yaml(root / rel)
    except Exception as exc:  # any YAML or decoding error: report the file, keep scanning
        result.skipped.append(f"{rel}: not readable YAML ({type(exc).__name__}: {str(exc)[:120]})")
        return None


def selected(f: Any, only: list[str]) -> bool:
    """True when a service's name or the file it was found in matches one of the ``--only`` globs."""
    return any(fnmatch.fnmatchcase(f.name, g) or fnmatch.fnmatchcase(f.source, g) for g in only)


def discover(root: Path, only: list[str] | None = None) -> Discovery:
    """Scan ``root`` (a few levels deep, skipping vendored and generated folders); keep ``only`` when given."""
    result = Discovery()
    files = _files(root)
    stacks = [(d, n, doc) for d, names in sorted(files.stacks.items())
              if (r := _read_stack(root, d, names, result)) for n, doc in [r]]
    links: list[fb.BuildLink] = []
    for stack_dir, chosen, doc in stacks:
        links += fb.compose_links(doc, posixpath.join(stack_dir, chosen[0]))
    manifests, kustomizations = _read_kubernetes(root, files, result, links)
    qualified = len(stacks) > 1
    for stack_dir, chosen, doc in stacks:
        paths = [posixpath.join(stack_dir, n) if stack_dir else n for n in chosen]
        name = doc.get("name") if isinstance(doc.get("name"), str) and "$" not in doc["name"] else None
        found = compose_services(doc, stack_dir, paths, (root / stack_dir / ".env").is_file(),
                                 commands=_commands(root, stack_dir, doc),
                                 qualifier=name or posixpath.basename(stack_dir) or root.name)
        extra = sorted(set(files.stacks[stack_dir]) - set(chosen))
        for f in found:
            source = fb.source_for([f.image], [], links, files.dockerfiles) if f.image and "build" not in f.target \
                else None
            if source is not None and not (f.revision and f.revision.table.get("source") == "worktree"):
                link_built_elsewhere(f, source.context, source.origin)
            if extra:
                f.notes.append("also found " + ", ".join(extra) + " here: add it to compose_files if you deploy with it")
            if qualified and not f.qualifier:
                f.qualifier = root.name
        result.services += found
    beside = {posixpath.dirname(d) for d in files.dockerfiles}
    for w in collect(manifests, kustomizations):
        source = fb.source_for([str(c.get("image") or "") for c in w.containers], [w.name], links, files.dockerfiles)
        if source is None or source.guessed:
            folder = next((posixpath.dirname(f) for f in w.defined_in if posixpath.dirname(f) in beside), None)
            if folder is not None:
                source = fb.Source(folder, None, f"a Dockerfile beside its manifest in {folder}/")
        if source is None and (root / w.name).is_dir():
            source = fb.Source(w.name, None, f"a top-level folder named {w.name} (guessed: check)", True)
        result.services.append(kubernetes_service(w, source))
    for rel in files.json:
        _read_json(root, rel, result, links, files.dockerfiles)
    qualify(result.services)
    result.candidates = len(result.services)
    if only:
        result.services = [f for f in result.services if selected(f, only)]
    share_files(result)
    return result


def _read_stack(root: Path, stack_dir: str, names: list[str],
                result: Discovery) -> tuple[list[str], dict[str, Any]] | None:
    main = next((n for n in COMPOSE_MAIN if n in names), sorted(names)[0])
    stem = main.rsplit(".", 1)[0]
    override = next((n for n in names if n.startswith(stem + ".override.")), None)
    chosen = [main] + ([override] if override else [])
    doc: dict[str, Any] = {}
    for n in chosen:
        parts = _read(root, posixpath.join(stack_dir, n) if stack_dir else n, result)
        if parts is None:
            return None
        for part in parts:
            if isinstance(part, dict):
                doc = _merge(doc, part)
    return chosen, doc


def _read_kubernetes(root: Path, files: Files, result: Discovery,
                     links: list[fb.BuildLink]) -> tuple[dict[str, list[Any]], list[Any]]:
    """Workload manifests (Helm templates filled in from values.yaml), kustomizations, build configs."""
    manifests: dict[str, list[Any]] = {}
    kustomizations = []
    for rel in files.yaml:
        base = posixpath.basename(rel)
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if base in KUSTOMIZATION:
            docs = _read(root, rel, result)
            k = kustomization(docs[0], rel) if docs else None
            if k:
                kustomizations.append(k)
            continue
        if base.startswith("skaffold") or base.startswith("cloudbuild") or "/.github/workflows/" in f"/{rel}":
            docs = _read(root, rel, result) or []
            reader = (fb.skaffold_links if base.startswith("skaffold") else
                      fb.cloudbuild_links if base.startswith("cloudbuild") else fb.actions_links)
            links += [link for d in docs for link in reader(d, rel)]
            continue
        if not WORKLOAD_TEXT.search(text):
            continue
        docs = _helm(root, rel, text, result) if "{{" in text else _read(root, rel, result)
        if docs:
            manifests[rel] = docs
    return manifests, kustomizations


def _helm(root: Path, rel: str, text: str, result: Discovery) -> list[Any] | None:
    """A Helm template read with ``.Values`` filled in from its chart; templated names are reported."""
    chart = next((p for p in Path(rel).parents if (root / p / "Chart.yaml").is_file()), None)
    values: dict[str, Any] = {}
    if chart is not None and (root / chart / "values.yaml").is_file():
        loaded = _read(root, str(chart / "values.yaml"), result)
        values = loaded[0] if loaded and isinstance(loaded[0], dict) else {}
    try:
        docs = _load_yaml(root / rel, strip_helm(text, values))
    except Exception:  # a template that is not YAML until rendered
        docs = []
    if not workload_docs(docs) or TEMPLATED in json.dumps([(d.get("metadata") or {}).get("name")
                                                          for d in docs if isinstance(d, dict)], default=str):
        result.skipped.append(f"{rel}: a template (Helm/Go template) whose workload names are not literal: "
                              "render it (helm template), or add its workload by hand")
    return docs


def _read_json(root: Path, rel: str, result: Discovery, links: list[fb.BuildLink], dockerfiles: list[str]) -> None:
    try:
        doc = json.loads((root / rel).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # plenty of JSON files are not task definitions; unreadable ones are not ours to report
    found = ecs_service(doc, rel)
    if found:
        source = fb.source_for([found.image], [found.target["service"]], links, dockerfiles) if found.image else None
        if source is not None:
            glob = "**" if source.context == "" else f"{source.context}/**"
            found.paths.insert(0, glob)
            found.origins[glob] = source.origin
            if glob == "**":
                found.warnings.append("its image is built from the repository root, so paths = [\"**\"]: every "
                                      "change affects it; narrow it to what the Dockerfile copies")
        result.services.append(found)


def _commands(root: Path, stack_dir: str, doc: dict[str, Any]) -> dict[str, list[str]]:
    """Per compose service: its Dockerfile's CMD/ENTRYPOINT (of the build target) and the npm scripts they run."""
    out: dict[str, list[str]] = {}
    services = doc.get("services") if isinstance(doc.get("services"), dict) else {}
    for name, body in services.items():
        build = body.get("build") if isinstance(body, dict) else None
        spec = {"context": build} if isinstance(build, str) else build if isinstance(build, dict) else None
        if not spec or "$" in str(spec.get("context") or "."):
            continue
        ctx = root / stack_dir / str(spec.get("context") or ".")
        texts = _dockerfile_commands(ctx / str(spec.get("dockerfile") or "Dockerfile"), spec.get("target"))
        command = body.get("command")
        texts.append(" ".join(map(str, command)) if isinstance(command, list) else str(command or ""))
        scripts = _npm_scripts(ctx / "package.json")
        for text in [re.sub(r'[\[\]",]', " ", t) for t in texts]:        # CMD ["npm", "run", "x"] too
            for script in re.findall(r"\b(?:npm|yarn|pnpm)\s+(?:run\s+)?([\w:-]+)", text):
                texts.append(scripts.get(script, ""))
        out[str(name)] = [t for t in texts if t]
    return out


def _dockerfile_commands(path: Path, target: Any) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    stage, out = None, {}
    for line in lines:
        m = re.match(r"(?i)\s*FROM\s+\S+(?:\s+AS\s+(\S+))?", line)
        if m:
            stage = m.group(1) or f"#{len(out)}"
            out[stage] = []
        elif re.match(r"(?i)\s*(CMD|ENTRYPOINT)\b", line):
            out.setdefault(stage, []).append(line.strip())
    chosen = out.get(target) if isinstance(target, str) else (list(out.values())[-1] if out else [])
    return list(chosen or [])


def _npm_scripts(path: Path) -> dict[str, str]:
    try:
        scripts = json.loads(path.read_text(encoding="utf-8")).get("scripts")
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}
