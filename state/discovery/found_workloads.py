"""Kubernetes workloads and ECS task definitions as services (pure: merged workloads in, ``Found`` out)."""

from __future__ import annotations

from typing import Any, Iterable

from .found import THIRD_PARTY, Found, _dir_glob, safe_name
from .found_build import Source, source_for
from .found_k8s import Workload, collect
from .found_revision import ecs_plan, kubernetes_plan


def kubernetes_service(w: Workload, source: Source | None, taken: Iterable[str] = ()) -> Found:
    """One workload (merged across every file that defines it) as a kubernetes service."""
    primary = next((f for f in w.defined_in if "/templates/" not in f"/{f}"), w.defined_in[0])
    found = Found(safe_name(w.name, taken), "kubernetes", primary, restart="rollout", bare=w.name,
                  qualifier=w.namespace or "")
    found.target[w.kind] = w.name
    found.target["namespace"] = w.namespace or "default"
    found.origins[w.kind] = f"{primary}: kind {_KIND[w.kind]}, metadata.name"
    found.origins["namespace"] = ("metadata.namespace (or the kustomization's namespace)" if w.namespace
                                  else "no file sets one: the API's default")
    found.origins["restart"] = "a rollout restart rolls new pods from the template (kubectl rollout restart)"
    names = [c.get("name") for c in w.containers if isinstance(c.get("name"), str)]
    if len(names) > 1:
        found.target["containers"] = names
    if source is not None:
        glob = _dir_glob(source.context)
        found.paths.append(glob)
        found.origins[glob] = source.origin
        if source.dockerfile and not source.dockerfile.startswith(source.context.rstrip("/") + "/"):
            found.paths.append(source.dockerfile)
            found.origins[source.dockerfile] = source.origin
        found.notes.append(f"source: {source.origin}")
        if source.context == "":
            found.warnings.append("its image is built from the repository root, so paths = [\"**\"]: every "
                                  "change affects it; narrow it to what the Dockerfile copies")
    else:
        found.warnings.append(f"no build of its image ({', '.join(_images(w)) or 'no image'}) was found "
                              "(skaffold.yaml, compose, cloudbuild.yaml, GitHub Actions, a Dockerfile): add the "
                              "globs of its source to paths, or, for a third-party image, waive its revision")
    for f in w.files:
        if f not in found.paths:
            found.paths.append(f)
            found.origins[f] = "defines it" if f in w.defined_in else "patches or includes it"
    if w.deleted_in:
        found.notes.append(f"deleted in the variant(s) of {', '.join(w.deleted_in)} ($patch: delete)")
    if len(w.defined_in) > 1:
        found.notes.append(f"one {w.kind} defined in {len(w.defined_in)} files: {', '.join(w.defined_in)}")
    found.revision = kubernetes_plan(w.containers, w.name, w.kind)
    if source is None and found.revision.todo:
        found.revision.notes.append(found.revision.todo)
        found.revision.todo = None        # not built here: likely a third-party image (see the warning)
        found.notes.append(THIRD_PARTY.format(image=", ".join(_images(w)) or "?"))
    found.origins["revision"] = found.revision.why
    return found


_KIND = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}


def _images(w: Workload) -> list[str]:
    return [str(c["image"]) for c in w.containers if c.get("image")]


def kubernetes_services(docs: Iterable[Any], source: str, root_dirs: set[str] = frozenset(),
                        taken: Iterable[str] = ()) -> list[Found]:
    """Workloads of one manifest file (``kind: List`` items included), sources guessed from ``root_dirs``."""
    taken = set(taken)
    out = []
    for w in collect({source: list(docs)}, []):
        guess = Source(w.name, None, f"a top-level folder named {w.name} (guessed: check)", True) \
            if w.name in root_dirs else None
        f = kubernetes_service(w, guess or source_for(_images(w), [w.name], [], []), taken)
        taken.add(f.name)
        out.append(f)
    return out


def ecs_service(doc: Any, source: str, taken: Iterable[str] = ()) -> Found | None:
    """An ECS task definition (as registered, or wrapped in ``taskDefinition``) as an ecs service."""
    if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict):
        doc = doc["taskDefinition"]
    if not (isinstance(doc, dict) and isinstance(doc.get("containerDefinitions"), list)
            and isinstance(doc.get("family"), str) and doc["family"]):
        return None
    family = doc["family"]
    images = [str(c["image"]) for c in doc["containerDefinitions"] if isinstance(c, dict) and c.get("image")]
    found = Found(safe_name(family, taken), "ecs", source, restart="force_new_deployment", paths=[source],
                  bare=safe_name(family), image=images[0] if images else None)
    found.target["cluster"] = "default"
    found.target["service"] = family
    found.origins[source] = "the task definition"
    found.notes.append("a task definition names neither cluster nor service: cluster 'default' and a service "
                       f"named like the family ({family}) are guesses; set the real ones")
    found.revision = ecs_plan([c for c in doc["containerDefinitions"] if isinstance(c, dict)], family)
    found.origins["revision"] = found.revision.why
    return found
