"""Pure rollout rules for StatefulSets and DaemonSets (API JSON in, ``RolloutStatus`` out), no I/O.

``statefulset_status`` and ``daemonset_status`` follow kubectl's StatefulSetStatusViewer and
DaemonSetStatusViewer (``kubectl rollout status``), so deploystate and kubectl agree about "done".
kubectl refuses to judge an ``OnDelete`` update strategy; here the same counting rules apply (the
pods at the update revision must be all of them and ready), and a restart is refused, because
under OnDelete a changed template replaces no pod until someone deletes it.

Pods of both kinds carry ``controller-revision-hash``: for a StatefulSet it equals
``status.updateRevision``; for a DaemonSet it is the hash of its newest ControllerRevision.
"""

from __future__ import annotations

from typing import Any, Iterable

from .k8s_pods import as_int
from .k8s_rollout import RolloutStatus, owned_by

REVISION_HASH = "controller-revision-hash"


def strategy(obj: dict[str, Any]) -> str:
    """``RollingUpdate`` (the API's default) or ``OnDelete``."""
    return str(((obj.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate")


def _result(obj: dict[str, Any], counts: dict[str, Any], reason: str, message: str, *,
            complete: bool = False) -> RolloutStatus:
    if strategy(obj) == "OnDelete" and not complete:
        message += " (updateStrategy OnDelete: pods are replaced only when deleted)"
    return RolloutStatus(complete, False, reason, message, paused=False, **counts)


def statefulset_status(sts: dict[str, Any]) -> RolloutStatus:
    """``kubectl rollout status statefulset/NAME`` as data."""
    meta, spec, status = (sts.get(k) or {} for k in ("metadata", "spec", "status"))
    desired = as_int(spec.get("replicas"), 1)
    counts = dict(generation=as_int(meta.get("generation")), observed_generation=as_int(status.get("observedGeneration")),
                  desired=desired, updated=as_int(status.get("updatedReplicas")),
                  ready=as_int(status.get("readyReplicas")), available=as_int(status.get("availableReplicas")),
                  replicas=as_int(status.get("replicas")))
    if counts["observed_generation"] == 0 or counts["generation"] > counts["observed_generation"]:
        return _result(sts, counts, "stale", "waiting for statefulset spec update to be observed")
    if counts["ready"] < desired:
        return _result(sts, counts, "waiting-ready", f"waiting for {desired - counts['ready']} pods to be ready")
    rolling = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {})
    if strategy(sts) == "RollingUpdate" and rolling.get("partition") is not None:
        target = desired - as_int(rolling.get("partition"))
        if counts["updated"] < target:
            return _result(sts, counts, "partitioned", f"waiting for partitioned roll out to finish: "
                                                       f"{counts['updated']} out of {target} new pods have been updated")
        return _result(sts, counts, "complete", f"partitioned roll out complete: {counts['updated']} new pods have "
                                                "been updated", complete=True)
    update, current = status.get("updateRevision"), status.get("currentRevision")
    if update != current:
        return _result(sts, counts, "updating", f"waiting for statefulset rolling update to complete "
                                                f"{counts['updated']} pods at revision {update}")
    return _result(sts, counts, "complete", f"statefulset rolling update complete {as_int(status.get('currentReplicas'))}"
                                            f" pods at revision {current}", complete=True)


def daemonset_status(ds: dict[str, Any]) -> RolloutStatus:
    """``kubectl rollout status daemonset/NAME`` as data."""
    meta, status = ds.get("metadata") or {}, ds.get("status") or {}
    name = meta.get("name", "?")
    desired = as_int(status.get("desiredNumberScheduled"))
    counts = dict(generation=as_int(meta.get("generation")), observed_generation=as_int(status.get("observedGeneration")),
                  desired=desired, updated=as_int(status.get("updatedNumberScheduled")),
                  ready=as_int(status.get("numberReady")), available=as_int(status.get("numberAvailable")),
                  replicas=as_int(status.get("currentNumberScheduled")))
    if counts["generation"] > counts["observed_generation"]:
        return _result(ds, counts, "stale", "waiting for daemon set spec update to be observed")
    if counts["updated"] < desired:
        return _result(ds, counts, "updating", f"waiting for daemon set {name!r} rollout to finish: "
                                               f"{counts['updated']} out of {desired} new pods have been updated")
    if counts["available"] < desired:
        return _result(ds, counts, "waiting-available", f"waiting for daemon set {name!r} rollout to finish: "
                                                        f"{counts['available']} of {desired} updated pods are available")
    return _result(ds, counts, "complete", f"daemon set {name!r} successfully rolled out", complete=True)


def newest_revision_hash(owner: dict[str, Any], revisions: Iterable[dict[str, Any]]) -> str | None:
    """The ``controller-revision-hash`` of the owner's newest ControllerRevision (highest ``revision``)."""
    kind = str(owner.get("kind") or "DaemonSet")
    mine = [r for r in revisions if owned_by(r, owner, kind)]
    if not mine:
        return None
    newest = max(mine, key=lambda r: as_int(r.get("revision")))
    labels = (newest.get("metadata") or {}).get("labels") or {}
    name = str((newest.get("metadata") or {}).get("name") or "")
    prefix = f"{(owner.get('metadata') or {}).get('name')}-"
    return labels.get(REVISION_HASH) or (name[len(prefix):] if name.startswith(prefix) else name) or None


def current_hash(kind: str, obj: dict[str, Any], revisions: Iterable[dict[str, Any]] = ()) -> str | None:
    """The revision hash the pods of the current template carry; None until the controller has observed it."""
    status = obj.get("status") or {}
    meta = obj.get("metadata") or {}
    if as_int(meta.get("generation")) > as_int(status.get("observedGeneration")):
        return None                                   # the controller has not seen the new template yet
    if kind == "statefulset":
        return status.get("updateRevision") or None
    return newest_revision_hash(obj, revisions)
