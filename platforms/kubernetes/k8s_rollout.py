"""Pure Kubernetes rollout rules over API JSON (dicts shaped like ``kubectl get -o json``), no I/O.

``rollout_status`` follows ``kubectl rollout status`` for Deployments to the letter, so deploystate
and kubectl never disagree about "done". The ReplicaSet rules follow kubectl and the deployment
controller: the *new* ReplicaSet is the one whose pod template equals the deployment's (ignoring
``pod-template-hash``), history is ordered by ``deployment.kubernetes.io/revision``. ``inspect_pod``
picks what ``rollout undo`` returns to: the previous revision, a revision number, or a commit.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from deploystate.state.config.config import KubernetesService
from deploystate.state.errors import PlatformError, TargetNotFound

from .k8s_pods import HASH_LABEL, as_int, condition, pod_revision
from deploystate.platforms.revision import same_revision

TIMED_OUT = "ProgressDeadlineExceeded"          # Progressing condition reason kubectl treats as failure
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


@dataclass(frozen=True)
class RolloutStatus:
    complete: bool
    failed: bool
    reason: str                 # stale | deadline-exceeded | updating | terminating-old | waiting-available | complete
    message: str                # kubectl's wording
    generation: int
    observed_generation: int
    desired: int
    updated: int
    ready: int
    available: int
    replicas: int
    paused: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rollout_status(deployment: dict[str, Any]) -> RolloutStatus:
    """``kubectl rollout status deployment/NAME`` as data (DeploymentStatusViewer.Status)."""
    meta, spec, status = (deployment.get(k) or {} for k in ("metadata", "spec", "status"))
    name = meta.get("name", "?")
    generation = as_int(meta.get("generation"))
    observed = as_int(status.get("observedGeneration"))
    desired = as_int(spec.get("replicas"), 1)       # the API defaults spec.replicas to 1
    updated, ready = as_int(status.get("updatedReplicas")), as_int(status.get("readyReplicas"))
    available, replicas = as_int(status.get("availableReplicas")), as_int(status.get("replicas"))
    paused = bool(spec.get("paused"))
    counts = dict(generation=generation, observed_generation=observed, desired=desired, updated=updated,
                  ready=ready, available=available, replicas=replicas, paused=paused)

    def result(reason: str, message: str, *, complete: bool = False, failed: bool = False) -> RolloutStatus:
        if paused and not complete:
            message += " (the rollout is paused: resume it with `kubectl rollout resume`)"
        return RolloutStatus(complete, failed, reason, message, **counts)

    if generation > observed:
        return result("stale", "waiting for the deployment spec update to be observed")
    progressing = condition(deployment, "Progressing")
    if progressing and progressing.get("reason") == TIMED_OUT:
        return result("deadline-exceeded", f"deployment {name!r} exceeded its progress deadline", failed=True)
    if updated < desired:
        return result("updating", f"{updated} out of {desired} new replicas have been updated")
    if replicas > updated:
        return result("terminating-old", f"{replicas - updated} old replicas are pending termination")
    if available < updated:
        return result("waiting-available", f"{available} of {updated} updated replicas are available")
    return result("complete", f"deployment {name!r} successfully rolled out", complete=True)


def selector_string(selector: dict[str, Any] | None) -> str:
    """A LabelSelector as the ``labelSelector`` query string (``a=b,tier in (x,y),!legacy``)."""
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), ",".join(expr.get("values") or [])
        parts.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                      "Exists": f"{key}", "DoesNotExist": f"!{key}"}.get(op, f"{key}"))
    return ",".join(parts)


def owned_by(obj: dict[str, Any], owner: dict[str, Any], kind: str) -> bool:
    """True when ``obj`` has a controller owner reference to ``owner`` (by uid, else by name)."""
    uid, name = (owner.get("metadata") or {}).get("uid"), (owner.get("metadata") or {}).get("name")
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") != kind:
            continue
        if (uid and ref.get("uid") == uid) or (not uid and ref.get("name") == name):
            return True
    return False


def template_without_hash(template: dict[str, Any] | None) -> dict[str, Any]:
    """A pod template with the controller-added ``pod-template-hash`` label removed (a copy)."""
    out = copy.deepcopy(template or {})
    labels = (out.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return out


def rs_revision(rs: dict[str, Any]) -> int:
    raw = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION, "")
    return int(raw) if str(raw).isdigit() else 0


def rs_name(rs: dict[str, Any] | None) -> str | None:
    return (rs.get("metadata") or {}).get("name") if rs else None


def pod_template_hash(rs: dict[str, Any] | None) -> str | None:
    if not rs:
        return None
    labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    return labels.get(HASH_LABEL) or ((rs.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL)


def new_replicaset(deployment: dict[str, Any], owned: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The ReplicaSet running the deployment's current template (kubectl's FindNewReplicaSet).

    Before the controller has seen a template change there is none; falling back to the newest
    ReplicaSet then would present the *old* pods as the new ones. Only once the controller has
    observed the current generation is the ReplicaSet carrying the deployment's revision used.
    """
    owned = list(owned)
    want = template_without_hash((deployment.get("spec") or {}).get("template"))
    matches = [rs for rs in owned if template_without_hash((rs.get("spec") or {}).get("template")) == want]
    if matches:
        return min(matches, key=lambda rs: (rs.get("metadata") or {}).get("creationTimestamp") or "")
    status = rollout_status(deployment)
    dep_rev = ((deployment.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    if dep_rev and status.observed_generation >= status.generation:
        return next((rs for rs in owned if str(rs_revision(rs)) == str(dep_rev)), None)
    return None


def previous_replicaset(owned: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The ReplicaSet ``kubectl rollout undo`` (no --to-revision) returns to: the second-highest revision."""
    ordered = sorted((rs for rs in owned if rs_revision(rs) > 0), key=rs_revision, reverse=True)
    return ordered[1] if len(ordered) > 1 else None


def rollback_target(owned: list[dict[str, Any]], to: str | None, cfg: KubernetesService) -> dict[str, Any]:
    where = f"deployment {cfg.namespace}/{cfg.deployment}"
    history = sorted((rs for rs in owned if rs_revision(rs) > 0), key=rs_revision, reverse=True)
    kept = ", ".join(f"{rs_revision(rs)}"
                     + (f" ({rev})" if (rev := template_revision(rs, cfg)) else "") for rs in history) or "none"
    text = (to or "").strip()
    if text in ("", "previous"):
        target = previous_replicaset(owned)
        if target is None:
            raise PlatformError(f"{where} has no earlier revision to roll back to (kept: {kept})",
                                "nothing to undo; deploy a fix forward instead")
        return target
    number = text.removeprefix("revision:")
    if number.isdigit() and (text.startswith("revision:") or len(number) < 7):   # 7+ digits: a commit
        found = next((rs for rs in history if rs_revision(rs) == int(number)), None)
        if found is None:
            raise TargetNotFound(f"{where} has no revision {number} (kept revisions: {kept})",
                                 f"pick one of the kept revisions (`kubectl rollout history deployment/"
                                 f"{cfg.deployment} -n {cfg.namespace}`)")
        return found
    found = next((rs for rs in history if same_revision(template_revision(rs, cfg), text)), None)
    if found is None:
        raise TargetNotFound(f"{where} kept no ReplicaSet that ran commit {text} (kept revisions: {kept})",
                             "the ReplicaSet may have been pruned (revisionHistoryLimit); roll back to a revision "
                             "number, or redeploy that commit's image")
    return found


def template_revision(rs: dict[str, Any], cfg: KubernetesService) -> str | None:
    if cfg.revision.source == "http":
        return None
    return pod_revision((rs.get("spec") or {}).get("template") or {}, cfg.revision, cfg.containers).value


def pull_warnings(dep: dict[str, Any]) -> list[str]:
    """A restart re-creates pods from the same image reference; a re-pushed mutable tag may not be pulled."""
    warnings = []
    for c in ((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []:
        image, policy = c.get("image") or "", c.get("imagePullPolicy")
        tag = image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
        commit_like = re.search(r"(?:^|[^0-9a-z])[0-9a-f]{7,40}$", tag)   # a commit tag is not re-pushed
        if "@" not in image and tag and tag != "latest" and not commit_like \
                and policy in (None, "IfNotPresent", "Never"):
            warnings.append(f"container {c.get('name')} uses image {image} with imagePullPolicy "
                            f"{policy or 'IfNotPresent'}: a rollout restart keeps this image reference, and a node "
                            "that cached this tag will not pull a re-pushed image. Deploy new code by changing "
                            "the image (a commit tag or digest), not by restarting")
    return warnings
