"""What ``deploystate init`` finds in a repository: compose stacks, Kubernetes Deployments, ECS task definitions.

This module reads files (a few levels deep, skipping vendored and generated
folders); ``found.py`` turns each parsed document into services. YAML is read
with PyYAML (listed in pyproject; also a kubernetes dependency), imported
lazily so hooks never pay for it.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path
from typing import Any, Iterable

from .found import Discovery, compose_services, ecs_service, kubernetes_services, share_files

SKIP_DIRS = frozenset({".git", ".deploystate", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".pytest_cache", ".hypothesis", ".terraform", "vendor", "target", "dist"})
MAX_DEPTH = 4
MAX_FILE_BYTES = 1024 * 1024
COMPOSE_FILE = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")
# compose's own order of preference for the main file in a directory
COMPOSE_MAIN = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


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
    share_files(result)
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
