"""Kubernetes workloads across every file that defines them (pure: parsed documents in, workloads out).

One Deployment / StatefulSet / DaemonSet (kind + namespace + name) is one service, however many
files spell it: a plain manifest, a kustomize base and its overlays, a Helm template, a release
bundle. A document is a *definition* when it carries a pod template with containers; a partial
document (a strategic-merge patch), ``$patch: delete`` or a file a kustomization lists under
``patches`` changes a workload but never makes one. Every file that defines or changes a workload
joins that service's paths, because a change to any of them changes what runs.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

KINDS = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset"}
PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
_HELM = re.compile(r"{{-?\s*(.*?)\s*-?}}")
_VALUES_REF = re.compile(r"^\.Values((?:\.[A-Za-z0-9_]+)+)$")
TEMPLATED = "__templated__"                    # what strip_helm leaves for an expression it cannot fill in


@dataclass
class Workload:
    kind: str                                   # deployment | statefulset | daemonset
    name: str
    namespace: str | None                       # None: not set in any file (the API's "default")
    files: list[str] = field(default_factory=list)        # every file that defines or changes it
    defined_in: list[str] = field(default_factory=list)   # files with its full pod template
    containers: list[dict[str, Any]] = field(default_factory=list)   # from the first definition
    deleted_in: list[str] = field(default_factory=list)   # `$patch: delete` (a variant without it)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace or "default", self.name)


def flatten(docs: Iterable[Any]) -> list[dict[str, Any]]:
    """Documents with ``kind: List`` expanded into their items."""
    out: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            out += [d for d in doc["items"] if isinstance(d, dict)]
        elif isinstance(doc, dict):
            out.append(doc)
    return out


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {})
    items = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _is_delete(doc: dict[str, Any]) -> bool:
    return doc.get("$patch") == "delete" or (doc.get("metadata") or {}).get("$patch") == "delete"


def workload_docs(docs: Iterable[Any]) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """(kind, name, namespace, doc) for every workload-shaped document with a literal name."""
    out = []
    for doc in flatten(docs):
        kind = KINDS.get(str(doc.get("kind")))
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        name, ns = meta.get("name"), meta.get("namespace")
        if kind and isinstance(name, str) and name and "{{" not in name and TEMPLATED not in name:
            literal_ns = isinstance(ns, str) and ns and "{{" not in ns and TEMPLATED not in ns
            out.append((kind, name, ns if literal_ns else None, doc))
    return out


@dataclass
class Kustomization:
    path: str                                   # the kustomization file, relative to the root
    namespace: str | None
    resources: list[str]                        # entries relative to the root (files or dirs)
    patches: list[str]                          # patch files relative to the root
    component: bool


def kustomization(doc: Any, path: str) -> Kustomization | None:
    """The parts of a kustomization.yaml that say which files define and which only patch."""
    if not isinstance(doc, dict):
        return None
    base = posixpath.dirname(path)

    def rel(entry: Any) -> str | None:
        if not isinstance(entry, str) or "://" in entry or entry.startswith("git@"):
            return None
        joined = posixpath.normpath(posixpath.join(base or ".", entry))
        return None if joined.startswith("..") else joined

    resources = [r for e in (doc.get("resources") or []) + (doc.get("bases") or []) + (doc.get("components") or [])
                 if (r := rel(e))]
    patches: list[str] = []
    for key in PATCH_KEYS:
        for entry in doc.get(key) or []:
            target = entry.get("path") if isinstance(entry, dict) else entry
            if (r := rel(target)):
                patches.append(r)
    ns = doc.get("namespace")
    return Kustomization(path, ns if isinstance(ns, str) and ns else None, resources, patches,
                         doc.get("kind") == "Component")


def collect(manifests: dict[str, list[Any]], kustomizations: list[Kustomization]) -> list[Workload]:
    """Merge the workloads of every manifest file into one per (kind, namespace, name)."""
    patch_files = {p for k in kustomizations for p in k.patches}
    ns_of = {r: k.namespace for k in kustomizations if k.namespace for r in k.resources}
    found: dict[tuple[str, str, str], Workload] = {}
    partial: list[tuple[str, str, str | None, str, bool]] = []
    for path in sorted(manifests):
        for kind, name, ns, doc in workload_docs(manifests[path]):
            ns = ns or ns_of.get(path) or ns_of.get(posixpath.dirname(path))
            containers = _containers(doc)
            if _is_delete(doc) or path in patch_files or not containers:
                partial.append((kind, name, ns, path, _is_delete(doc)))
                continue
            w = found.setdefault((kind, ns or "default", name), Workload(kind, name, ns))
            w.defined_in.append(path)
            if not w.containers or TEMPLATED in repr(w.containers):   # a plain manifest says more than a template
                w.containers = containers
            if path not in w.files:
                w.files.append(path)
    for kind, name, ns, path, deleted in partial:
        # A patch without a namespace patches the workload of that name wherever its base put it.
        matches = [w for w in found.values() if w.kind == kind and w.name == name
                   and (ns is None or (w.namespace or "default") == ns)]
        for w in matches:
            if path not in w.files:
                w.files.append(path)
            if deleted:
                w.deleted_in.append(path)
    _add_kustomization_files(list(found.values()), kustomizations)
    return sorted(found.values(), key=lambda w: (w.name, w.namespace or "", w.kind))


def _add_kustomization_files(workloads: list[Workload], kustomizations: list[Kustomization]) -> None:
    """A kustomization that includes a workload's file (directly or through a base) defines it too."""
    by_dir = {posixpath.dirname(k.path): k for k in kustomizations}

    def reach(k: Kustomization, seen: set[str]) -> set[str]:
        files: set[str] = set(k.patches)
        for r in k.resources:
            if r in by_dir and r not in seen:
                seen.add(r)
                files |= reach(by_dir[r], seen) | {by_dir[r].path}
            else:
                files.add(r)
        return files

    for k in kustomizations:
        included = reach(k, {posixpath.dirname(k.path)})
        for w in workloads:
            if any(f in included for f in w.files) and k.path not in w.files:
                w.files.append(k.path)


# -- Helm templates: only what can be read without rendering ---------------------------------------

def strip_helm(text: str, values: dict[str, Any]) -> str:
    """A Helm template made parseable: control lines dropped, ``.Values.x.y`` filled in, others blanked.

    Names that stay templated are not guessed (``TEMPLATED``): the caller reports those files.
    """
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and _HELM.fullmatch(stripped):
            continue                                           # {{- if ... }}, {{- end }}, {{ include ... }}
        out.append(_HELM.sub(lambda m: _value(m.group(1), values), line))
    return "\n".join(out) + "\n"


def _value(expr: str, values: dict[str, Any]) -> str:
    m = _VALUES_REF.match(expr.split("|")[0].strip())
    node: Any = values
    if m:
        for part in m.group(1).strip(".").split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, (str, int)) and not isinstance(node, bool):
            return str(node)
    return TEMPLATED                      # a templated name is recognised by it and not guessed
