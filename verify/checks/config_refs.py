"""``config_refs``: every key of a ConfigMap (or of an env file) is referenced by the deployment's containers,
so a key added to the map but never wired into the pod is caught (incident 4).

References counted: ``env[].valueFrom.configMapKeyRef``, ``envFrom[].configMapRef`` (the whole map),
and ``configMap`` volumes mounted by a container (their ``items`` or the whole map). For an env file the
keys must be environment variable names the containers get (``env`` names, or keys of maps/secrets pulled
in with ``envFrom``, with their prefix). Kubernetes services only: other platforms are inconclusive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from deploystate.state.config.checks import ConfigRefsCheck
from deploystate.state.config.config import KubernetesService
from deploystate.state.errors import TargetNotFound

from ..context import CheckContext, NeedsService
from ..result import Measurement, failed, inconclusive, passed

WHOLE = "*"


def _containers(pod_spec: dict[str, Any], only: list[str]) -> list[dict[str, Any]]:
    items = list(pod_spec.get("containers") or []) + list(pod_spec.get("initContainers") or [])
    return [c for c in items if not only or c.get("name") in only]


def configmap_refs(deployment: dict[str, Any], configmap: str, only: list[str] = ()) -> set[str]:
    """Keys of ``configmap`` the deployment's containers reference; ``{"*"}`` when the whole map is (pure)."""
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = _containers(pod, list(only))
    keys: set[str] = set()
    for c in containers:
        for env in c.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef") or {}
            if ref.get("name") == configmap and ref.get("key"):
                keys.add(ref["key"])
        for src in c.get("envFrom") or []:
            if (src.get("configMapRef") or {}).get("name") == configmap:
                keys.add(WHOLE)
    mounted = {m.get("name") for c in containers for m in c.get("volumeMounts") or []}
    for vol in pod.get("volumes") or []:
        cm = vol.get("configMap") or {}
        if cm.get("name") == configmap and vol.get("name") in mounted:
            items = cm.get("items") or []
            if items:
                keys.update(i["key"] for i in items if i.get("key"))
            else:
                keys.add(WHOLE)
    return keys


def env_names(deployment: dict[str, Any], only: list[str], keys_of: Callable[[str, str], set[str]]) -> set[str]:
    """Environment variable names the containers get; ``keys_of(kind, name)`` reads a map's or secret's keys."""
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    names: set[str] = set()
    for c in _containers(pod, only):
        names.update(e["name"] for e in c.get("env") or [] if e.get("name"))
        for src in c.get("envFrom") or []:
            prefix = src.get("prefix") or ""
            for kind in ("configMapRef", "secretRef"):
                ref = src.get(kind) or {}
                if ref.get("name"):
                    names.update(prefix + k for k in keys_of(kind, ref["name"]))
    return names


def env_file_keys(path: Path) -> list[str]:
    """KEY names of a dotenv file (comments, blanks and ``export`` prefixes handled; values never kept)."""
    keys = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key = line.split("=", 1)[0].strip().removeprefix("export ").strip()
        if key and key not in keys:
            keys.append(key)
    return keys


def measure(check: ConfigRefsCheck, ctx: CheckContext, timeout: float) -> Measurement:
    if ctx.service is None:
        raise NeedsService("config_refs reads a deployment: set `service = \"<name>\"` on the [[preflight]] entry")
    cfg = ctx.service.config
    if not isinstance(cfg, KubernetesService):
        return inconclusive(f"config_refs compares with a Kubernetes deployment; {ctx.service.name} runs on "
                            f"{cfg.platform}")
    if bool(check.configmap) == bool(check.env_file):
        return inconclusive("set exactly one of `configmap` or `env_file`")
    from deploystate.platforms.kubernetes.k8s_client import Deadline, KubeApi, build_client

    ns = check.namespace or cfg.namespace
    deadline = Deadline(timeout)
    client, where = build_client(host=cfg.host, kubeconfig=cfg.kubeconfig, context=cfg.context)
    api = KubeApi(client, where)

    def read_keys(kind: str, name: str) -> set[str]:
        fn = api.core.read_namespaced_config_map if kind == "configMapRef" else api.core.read_namespaced_secret
        body = api._json(f"{'configmap' if kind == 'configMapRef' else 'secret'} {ns}/{name}", deadline, fn, name, ns)
        return set(body.get("data") or {}) | set(body.get("binaryData") or {})  # keys only; values dropped here

    deployment = api.workload(cfg.kind, ns, cfg.workload, deadline)
    evidence: dict[str, Any] = {cfg.kind: f"{ns}/{cfg.workload}", "containers": cfg.containers or "all"}
    if check.configmap:
        try:
            keys = sorted(read_keys("configMapRef", check.configmap))
        except TargetNotFound:
            return failed(f"ConfigMap {ns}/{check.configmap} does not exist", **evidence)
        refs = configmap_refs(deployment, check.configmap, cfg.containers)
        referenced = set(keys) if WHOLE in refs else refs
        source = f"ConfigMap {ns}/{check.configmap}"
    else:
        path = Path(check.env_file)
        path = path if path.is_absolute() else ctx.root / path
        if not path.is_file():
            return inconclusive(f"env file {check.env_file} does not exist", **evidence)
        keys = env_file_keys(path)
        referenced = env_names(deployment, cfg.containers, read_keys)
        source = f"env file {check.env_file}"
    unreferenced = [k for k in keys if k not in referenced and k not in check.ignore]
    evidence.update(source=source, keys=len(keys), unreferenced=unreferenced)
    if unreferenced:
        return failed(f"{len(unreferenced)} key(s) of {source} never reach {cfg.kind} {cfg.workload}: "
                      + ", ".join(unreferenced[:10]), **evidence)
    if not keys:
        return passed(f"{source} has no keys", **evidence)
    return passed(f"all {len(keys)} key(s) of {source} are referenced by {cfg.kind} {cfg.workload}", **evidence)
