"""Kubernetes Deployments, StatefulSets and DaemonSets: ``rollout restart``, ``rollout status``-grade
observation, logs, ``rollout undo`` (Deployments).

Talks to the API through the official ``kubernetes`` client (imported with this module, which the
registry loads only when a Kubernetes service is used). The transport is injectable: an
``api_client``, or a ``host``/``kubeconfig``/``context`` (a service's own settings win over the
constructor's defaults). The rules themselves are pure, in ``k8s_rollout``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterator

from deploystate.state.config.config import KubernetesService
from deploystate.state.errors import ConfigError, PlatformError, Refused
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.redact import redact

from . import k8s_pods as podrules
from . import k8s_rollout as rules
from . import k8s_sets as sets
from deploystate.platforms.base import Instance, Observation, Progress, RestartResult, ServiceRef
from .k8s_client import Deadline, KubeApi, build_client
from .k8s_workload import gather, template_annotations, template_containers
from deploystate.platforms.revision import RevisionReading, agree, describe, read_revision

STRATEGIES = ("auto", "rollout", "restart", "recreate")   # all mean: new pods from the same template
LOG_LIMIT_BYTES = 1_000_000                              # per container: logs are evidence, not archives


class KubernetesPlatform:
    name = "kubernetes"

    def __init__(self, *, api_client: Any = None, host: str | None = None, kubeconfig: str | None = None,
                 context: str | None = None, log_limit_bytes: int = LOG_LIMIT_BYTES) -> None:
        self._injected = api_client
        self._defaults = (host, kubeconfig, context)
        self._apis: dict[tuple[str | None, ...], KubeApi] = {}
        self.log_limit_bytes = log_limit_bytes

    # -- transport -------------------------------------------------------------------------------

    def _api(self, cfg: KubernetesService) -> KubeApi:
        if self._injected is not None:
            key: tuple[str | None, ...] = ("injected",)
        elif cfg.host or cfg.kubeconfig or cfg.context:
            key = (cfg.host, cfg.kubeconfig, cfg.context)
        else:
            key = self._defaults
        if key not in self._apis:
            if self._injected is not None:
                host = getattr(getattr(self._injected, "configuration", None), "host", "the API")
                self._apis[key] = KubeApi(self._injected, str(host))
            else:
                host, kubeconfig, context = key
                self._apis[key] = KubeApi(*build_client(host=host, kubeconfig=kubeconfig, context=context))
        return self._apis[key]

    @staticmethod
    def _cfg(svc: ServiceRef) -> KubernetesService:
        if not isinstance(svc.config, KubernetesService):
            raise ConfigError(f"service {svc.name!r} is not a Kubernetes service",
                              "set platform = \"kubernetes\" and a deployment for it in deploystate.toml")
        return svc.config

    # -- restart ---------------------------------------------------------------------------------

    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        """``kubectl rollout restart``: stamp the pod template so the controller rolls every pod."""
        cfg, deadline, began = self._cfg(svc), Deadline(timeout), utc_now()
        if strategy not in STRATEGIES:
            raise ConfigError(f"restart strategy {strategy!r} does not apply to Kubernetes",
                              f"use one of: {', '.join(STRATEGIES)} (all roll new pods from the template)")
        api, kind, name = self._api(cfg), cfg.kind, cfg.workload
        obj = api.workload(kind, cfg.namespace, name, deadline)
        self._refuse_paused(obj, cfg, "restart")
        stamp = began.strftime("%Y-%m-%dT%H:%M:%SZ")          # kubectl writes RFC 3339 seconds
        if template_annotations(obj).get(rules.RESTARTED_AT) == stamp:
            stamp = iso(began)        # a second restart within the same second must still change the template
        patch = {"spec": {"template": {"metadata": {"annotations": {rules.RESTARTED_AT: stamp}}}}}
        if progress:
            progress(f"rollout restart {kind}/{name} in {cfg.namespace}")
        after = api.patch_workload(kind, cfg.namespace, name, patch, deadline)
        generation = (after.get("metadata") or {}).get("generation")
        warnings = rules.pull_warnings(obj) + _partition_warning(obj, kind)
        if generation == (obj.get("metadata") or {}).get("generation"):
            warnings.append("the API did not bump metadata.generation: the template may not have changed, "
                            "so no new pods may roll")
        return RestartResult(svc.name, strategy, True,
                             f"rollout restart requested for {kind}/{name} (generation "
                             f"{generation}); the controller now replaces the pods: verify to see it finish",
                             platform_ids={"generation": generation, "restartedAt": stamp,
                                           kind: f"{cfg.namespace}/{name}"},
                             warnings=warnings, started_at=iso(began),
                             duration=round((utc_now() - began).total_seconds(), 3))

    @staticmethod
    def _refuse_paused(obj: dict[str, Any], cfg: KubernetesService, action: str) -> None:
        kind, name = cfg.kind, cfg.workload
        if (obj.get("spec") or {}).get("paused"):
            raise Refused(f"deployment {cfg.namespace}/{name} is paused: a {action} would not roll "
                          "any pods", f"resume it first: kubectl rollout resume deployment/{name} "
                          f"-n {cfg.namespace}")
        if kind != "deployment" and sets.strategy(obj) == "OnDelete":
            raise Refused(f"{kind} {cfg.namespace}/{name} uses updateStrategy OnDelete: a {action} changes the "
                          "template but replaces no pod", f"delete its pods to roll them (kubectl delete pod -n "
                          f"{cfg.namespace} -l <its selector>), or switch it to RollingUpdate")

    # -- observe ---------------------------------------------------------------------------------

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        """Rollout status by kubectl's rules, every container of the current revision's pods, the revision."""
        cfg, deadline = self._cfg(svc), Deadline(timeout)
        api = self._api(cfg)
        g = gather(api, cfg, deadline)
        status = g.status
        instances: list[Instance] = []
        problems: list[str] = [status.message] if status.failed else []
        readings: list[tuple[str, RevisionReading]] = []
        http = self._http_revision(cfg, deadline, api.endpoint)
        for pod in g.pods:
            reading = http or podrules.pod_revision(pod, cfg.revision, cfg.containers)
            if _is_running(pod):       # the revision is what runs: old pods count until they are gone
                readings.append((_name(pod), reading))
            if g.is_new(pod):
                report = podrules.inspect_pod(pod, reading.value)
                instances += report.instances
                problems += report.problems
        problems += [f"container {c!r} is not in the pod template" for c in cfg.containers
                     if c not in {c2.get("name") for c2 in template_containers(g.obj)}]
        revision, revision_notes = agree(readings)
        new_pods = g.new_pods
        return Observation(
            service=svc.name, platform=self.name, target=f"{cfg.kind}/{cfg.namespace}/{cfg.workload}",
            state=_state(status, problems), revision=revision, revision_source=describe(cfg.revision),
            started_at=max((i.started_at for i in instances if i.started_at), default=None),
            # Not-ready pods mid-rollout are expected: health is judged once the rollout is complete.
            healthy=all(bool(i.ready) for i in instances) if instances and status.complete else None,
            restart_count=sum(i.restart_count or 0 for i in instances) if instances else None,
            oom_killed=any(i.oom_killed for i in instances),
            replicas={"desired": status.desired, "updated": status.updated, "ready": status.ready,
                      "available": status.available, "current": status.replicas,
                      "running": sum(1 for p in new_pods if _is_running(p)), "old_pods": len(g.pods) - len(new_pods)},
            # "reason" is read by people and the verifier's summaries; "code" is the rule that decided.
            rollout={**status.to_dict(), "reason": status.message, "code": status.reason,
                     "new_replicaset": rules.rs_name(g.new_rs), "pod_template_hash": g.new_hash,
                     "k8s_revision": rules.rs_revision(g.new_rs) if g.new_rs else None},
            instances=instances, problems=[redact(p) for p in problems],
            facts={"namespace": cfg.namespace, cfg.kind: cfg.workload, "kind": cfg.kind, "api": api.endpoint,
                   "pod_template_hash": g.new_hash,
                   "restarted_at": template_annotations(g.obj).get(rules.RESTARTED_AT),
                   "images": {c.get("name"): c.get("image") for c in template_containers(g.obj)},
                   "revision_notes": [redact(n) for n in revision_notes][:10]})

    @staticmethod
    def _http_revision(cfg: KubernetesService, deadline: Deadline, endpoint: str) -> RevisionReading | None:
        """The ``http`` source names one endpoint per service (behind the Service): read it once."""
        if cfg.revision.source != "http":
            return None
        return read_revision(cfg.revision, timeout=min(5.0, deadline.left("the revision URL", endpoint)))

    # -- logs ------------------------------------------------------------------------------------

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        """Log lines of the current revision's pods, per container; ``previous`` reads crashed instances."""
        cfg, deadline = self._cfg(svc), Deadline(timeout)
        api = self._api(cfg)
        g = gather(api, cfg, deadline)
        # Before the controller made the new ReplicaSet/revision, the pods that exist are the ones to read.
        pods = g.new_pods if g.new_hash else g.pods
        params: dict[str, Any] = {"limit_bytes": self.log_limit_bytes, **({"previous": True} if previous else {})}
        if since is not None:
            params["since_seconds"] = max(1, math.ceil((utc_now() - since).total_seconds()))
        lines: list[str] = []
        for pod in sorted(pods, key=_name):
            statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
            for container in [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]:
                if cfg.containers and container not in cfg.containers:
                    continue
                if previous and not _has_previous(statuses.get(container)):
                    continue          # the API answers 400 for a container that never restarted
                text = api.pod_log(cfg.namespace, _name(pod), container, deadline, **params)
                lines += (text or "").splitlines()
        return iter(lines)

    # -- rollback --------------------------------------------------------------------------------

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        """``kubectl rollout undo``: put an earlier ReplicaSet's pod template back on the deployment.

        ``to`` is None/"previous" (the second-newest revision), a revision number ("3" or "revision:3"),
        or a commit: the newest ReplicaSet whose pods ran that commit (read per ``revision``).
        """
        cfg, deadline, began = self._cfg(svc), Deadline(timeout), utc_now()
        if cfg.kind != "deployment":
            raise PlatformError(f"rollback of a {cfg.kind} is not supported by deploystate yet",
                                f"use kubectl rollout undo {cfg.kind}/{cfg.workload} -n {cfg.namespace}, then "
                                f"`deploystate verify {svc.name}`")
        api = self._api(cfg)
        g = gather(api, cfg, deadline, with_pods=False)
        dep, owned = g.obj, g.owned
        self._refuse_paused(dep, cfg, "rollback")
        target = rules.rollback_target(owned, to, cfg)
        current = rules.new_replicaset(dep, owned)
        commit = podrules.pod_revision(target["spec"]["template"], cfg.revision, cfg.containers).value \
            if cfg.revision.source != "http" else None
        ids = {"to_revision": rules.rs_revision(target), "replicaset": rules.rs_name(target), "commit": commit,
               "pod_template_hash": rules.pod_template_hash(target),   # the controller reuses that ReplicaSet
               "deployment": f"{cfg.namespace}/{cfg.deployment}"}
        if current is not None and rules.rs_name(current) == rules.rs_name(target):
            return RestartResult(svc.name, "rollback", True, f"skipped rollback: deployment/{cfg.deployment} "
                                 f"already runs revision {ids['to_revision']}", platform_ids=ids,
                                 started_at=iso(began))
        template = rules.template_without_hash(target["spec"]["template"])
        if progress:
            progress(f"rollout undo deployment/{cfg.deployment} to revision {ids['to_revision']}")
        # A JSON patch *replaces* the template, as kubectl does; a merge patch would keep newer keys.
        after = api.patch_deployment(cfg.namespace, cfg.deployment,
                                     [{"op": "replace", "path": "/spec/template", "value": template}], deadline)
        ids["generation"] = (after.get("metadata") or {}).get("generation")
        return RestartResult(svc.name, "rollback", True,
                             f"rolled deployment/{cfg.deployment} back to revision {ids['to_revision']}"
                             f"{f' (commit {commit})' if commit else ''}; verify to see the rollout finish",
                             platform_ids=ids, started_at=iso(began),
                             duration=round((utc_now() - began).total_seconds(), 3))


def _state(status: rules.RolloutStatus, problems: list[str]) -> str:
    if status.desired == 0 and status.complete:
        return "stopped"
    if status.failed or problems:
        return "degraded"
    return "running" if status.complete else "progressing"


def _partition_warning(obj: dict[str, Any], kind: str) -> list[str]:
    rolling = (((obj.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {})
    partition = rolling.get("partition") if kind == "statefulset" else None
    if isinstance(partition, int) and partition > 0:
        return [f"the statefulset's rollingUpdate.partition is {partition}: only pods with an ordinal >= "
                f"{partition} are replaced"]
    return []


def _name(pod: dict[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("name", "?"))


def _is_running(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and not (pod.get("metadata") or {}).get("deletionTimestamp")


def _has_previous(status: dict[str, Any] | None) -> bool:
    return bool(status and ((status.get("lastState") or {}).get("terminated") or status.get("restartCount")))
