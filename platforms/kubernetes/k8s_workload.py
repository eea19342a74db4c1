"""One Kubernetes workload and its pods, whatever its kind: what ``observe``, ``logs`` and ``rollback`` read.

A Deployment's pods belong to its ReplicaSets, and the new ones are those of the ReplicaSet whose
template is the Deployment's (``pod-template-hash``). StatefulSet and DaemonSet pods belong to the
workload itself, and the new ones carry the current ``controller-revision-hash`` (``updateRevision``
of a StatefulSet, the newest ControllerRevision of a DaemonSet). A selector can match pods of
another owner: only pods owned by this workload (or its ReplicaSets) count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deploystate.state.config.config import KubernetesService

from . import k8s_rollout as rules
from . import k8s_sets as sets
from .k8s_client import Deadline, KubeApi

OWNER_KIND = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}


@dataclass
class Gathered:
    kind: str
    obj: dict[str, Any]                       # the workload as the API returned it
    status: rules.RolloutStatus
    new_hash: str | None                      # the label value the current template's pods carry
    hash_label: str
    pods: list[dict[str, Any]] = field(default_factory=list)
    owned: list[dict[str, Any]] = field(default_factory=list)   # a Deployment's ReplicaSets
    new_rs: dict[str, Any] | None = None

    def is_new(self, pod: dict[str, Any]) -> bool:
        return bool(self.new_hash) and pod_label(pod, self.hash_label) == self.new_hash

    @property
    def new_pods(self) -> list[dict[str, Any]]:
        return [p for p in self.pods if self.is_new(p)]


def pod_label(pod: dict[str, Any], key: str) -> str | None:
    return ((pod.get("metadata") or {}).get("labels") or {}).get(key)


def gather(api: KubeApi, cfg: KubernetesService, deadline: Deadline, with_pods: bool = True) -> Gathered:
    kind, ns = cfg.kind, cfg.namespace
    obj = api.workload(kind, ns, cfg.workload, deadline)
    selector = rules.selector_string((obj.get("spec") or {}).get("selector"))
    if kind == "deployment":
        owned = [rs for rs in api.replicasets(ns, selector, deadline) if rules.owned_by(rs, obj, "Deployment")]
        pods = [p for p in api.pods(ns, selector, deadline)
                if any(rules.owned_by(p, rs, "ReplicaSet") for rs in owned)] if with_pods else []
        new_rs = rules.new_replicaset(obj, owned)
        return Gathered(kind, obj, rules.rollout_status(obj), rules.pod_template_hash(new_rs), rules.HASH_LABEL,
                        pods, owned, new_rs)
    revisions = ([r for r in api.controller_revisions(ns, selector, deadline)] if kind == "daemonset" else [])
    pods = [p for p in api.pods(ns, selector, deadline) if rules.owned_by(p, obj, OWNER_KIND[kind])] \
        if with_pods else []
    status = sets.statefulset_status(obj) if kind == "statefulset" else sets.daemonset_status(obj)
    return Gathered(kind, obj, status, sets.current_hash(kind, {**obj, "kind": OWNER_KIND[kind]}, revisions),
                    sets.REVISION_HASH, pods)


def template(obj: dict[str, Any]) -> dict[str, Any]:
    return (obj.get("spec") or {}).get("template") or {}


def template_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return (template(obj).get("spec") or {}).get("containers") or []


def template_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    return (template(obj).get("metadata") or {}).get("annotations") or {}
