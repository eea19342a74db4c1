"""The Kubernetes transport: building an ApiClient, calls with deadlines, errors in deploystate's tree.

Responses are read as raw JSON (``_preload_content=False``) so the pure rules in ``k8s_rollout``
see exactly what ``kubectl get -o json`` shows, independent of the client's model classes. Every
call carries ``_request_timeout`` (the time left of the operation's deadline), and clients built
here never retry, so a hanging API costs at most the caller's timeout.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from deploystate.state.errors import ConfigError, PlatformError, PlatformUnreachable, TargetNotFound
from deploystate.state.ledger.redact import redact

STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class Deadline:
    """One timeout shared by the several API calls of an operation."""

    def __init__(self, timeout: float) -> None:
        self.timeout = float(timeout)
        self.end = time.monotonic() + self.timeout

    def left(self, what: str, endpoint: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0.01:
            raise PlatformUnreachable(f"Kubernetes API {endpoint}: no answer for {what} within {self.timeout:g}s",
                                      "check that the API server is up (`kubectl get --raw /readyz`) "
                                      "or raise the timeout")
        return remaining


def build_client(*, host: str | None = None, kubeconfig: str | None = None,
                 context: str | None = None) -> tuple[Any, str]:
    """An ApiClient and a description of where it points: an explicit host, a kubeconfig, or in-cluster."""
    cfg = k8s.Configuration()
    if host:
        cfg.host = host.rstrip("/")
        where = host
    else:
        where = _load_config(cfg, kubeconfig, context)
    cfg.retries = 0     # urllib3 retries a read timeout 3 times by default: 4x the caller's timeout
    return k8s.ApiClient(configuration=cfg), where


def _load_config(cfg: Any, kubeconfig: str | None, context: str | None) -> str:
    path = os.path.expanduser(kubeconfig) if kubeconfig else None
    if path and not Path(path).is_file():
        raise ConfigError(f"kubeconfig {kubeconfig} does not exist",
                          "fix services.<name>.kubeconfig in deploystate.toml or drop it to use $KUBECONFIG")
    try:
        k8s_config.load_kube_config(config_file=path, context=context, client_configuration=cfg,
                                    persist_config=False)
        return f"{cfg.host} (context {context})" if context else str(cfg.host)
    except (k8s_config.ConfigException, OSError, ValueError, TypeError) as exc:
        if path or context or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            raise ConfigError(f"cannot load the kubeconfig{f' {kubeconfig}' if path else ''}"
                              f"{f' for context {context!r}' if context else ''}: {exc}",
                              "check `kubectl config get-contexts`, or set services.<name>.host, "
                              "kubeconfig or context in deploystate.toml") from exc
    try:                                         # running inside a pod with a service account
        k8s_config.load_incluster_config(client_configuration=cfg)
    except k8s_config.ConfigException as exc:
        raise ConfigError(f"no kubeconfig and the in-cluster config failed: {exc}",
                          "set KUBECONFIG or services.<name>.kubeconfig") from exc
    return f"{cfg.host} (in-cluster)"


class KubeApi:
    """The few calls deploystate makes, each returning parsed JSON and raising deploystate errors."""

    def __init__(self, api_client: Any, endpoint: str) -> None:
        self.apps = k8s.AppsV1Api(api_client)
        self.core = k8s.CoreV1Api(api_client)
        self.endpoint = endpoint

    def deployment(self, ns: str, name: str, deadline: Deadline) -> dict[str, Any]:
        return self.workload("deployment", ns, name, deadline)

    def patch_deployment(self, ns: str, name: str, body: Any, deadline: Deadline) -> dict[str, Any]:
        return self.patch_workload("deployment", ns, name, body, deadline)

    def workload(self, kind: str, ns: str, name: str, deadline: Deadline) -> dict[str, Any]:
        """A Deployment, StatefulSet or DaemonSet (``kind`` as in deploystate.toml)."""
        read = getattr(self.apps, f"read_namespaced_{_API_NAME[kind]}")
        return self._json(f"{kind} {ns}/{name}", deadline, read, name, ns, not_found=_workload_missing(kind, ns, name))

    def patch_workload(self, kind: str, ns: str, name: str, body: Any, deadline: Deadline) -> dict[str, Any]:
        content = JSON_PATCH if isinstance(body, list) else STRATEGIC
        patch = getattr(self.apps, f"patch_namespaced_{_API_NAME[kind]}")
        return self._json(f"patch {kind} {ns}/{name}", deadline, patch, name, ns, body, _content_type=content,
                          not_found=_workload_missing(kind, ns, name))

    def controller_revisions(self, ns: str, selector: str, deadline: Deadline) -> list[dict[str, Any]]:
        data = self._json(f"controllerrevisions in {ns} ({selector})", deadline,
                          self.apps.list_namespaced_controller_revision, ns, label_selector=selector)
        return list(data.get("items") or [])

    def replicasets(self, ns: str, selector: str, deadline: Deadline) -> list[dict[str, Any]]:
        data = self._json(f"replicasets in {ns} ({selector})", deadline,
                          self.apps.list_namespaced_replica_set, ns, label_selector=selector)
        return list(data.get("items") or [])

    def pods(self, ns: str, selector: str, deadline: Deadline) -> list[dict[str, Any]]:
        data = self._json(f"pods in {ns} ({selector})", deadline, self.core.list_namespaced_pod, ns,
                          label_selector=selector)
        return list(data.get("items") or [])

    def pod_log(self, ns: str, pod: str, container: str, deadline: Deadline, **params: Any) -> str | None:
        """The log text, or None when the pod or (for previous=True) the earlier instance is gone."""
        try:
            raw = self._call(f"logs of {ns}/{pod}/{container}", deadline, self.core.read_namespaced_pod_log,
                             pod, ns, container=container, **params)
        except _Missing:
            return None
        return raw.decode("utf-8", "replace")

    def _json(self, what: str, deadline: Deadline, fn: Callable[..., Any], *args: Any,
              not_found: TargetNotFound | None = None, **kwargs: Any) -> dict[str, Any]:
        try:
            raw = self._call(what, deadline, fn, *args, **kwargs)
        except _Missing as exc:
            raise (not_found or TargetNotFound(f"{what}: not found ({self.endpoint})",
                                               "check the namespace and name in deploystate.toml")) from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise PlatformError(f"Kubernetes API {self.endpoint} answered {what} with something that is not "
                                "JSON", "check that services.<name>.host points at a Kubernetes API") from exc
        if not isinstance(data, dict):
            raise PlatformError(f"Kubernetes API {self.endpoint} answered {what} with unexpected JSON",
                                "check that services.<name>.host points at a Kubernetes API")
        return data

    def _call(self, what: str, deadline: Deadline, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        timeout = deadline.left(what, self.endpoint)
        try:
            resp = fn(*args, _preload_content=False, _request_timeout=timeout, **kwargs)
            try:
                return resp.data
            finally:
                resp.release_conn()
        except ApiException as exc:
            raise self._translate(what, exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:     # refused, reset, DNS, read timeout
            cause = getattr(exc, "reason", None) if isinstance(exc, urllib3.exceptions.MaxRetryError) else None
            cause = cause or exc
            raise PlatformUnreachable(f"Kubernetes API {self.endpoint} did not answer {what} within "
                                      f"{timeout:.1f}s: {type(cause).__name__}: {_short(str(cause), 160)}",
                                      "check that the API server is up and reachable (`kubectl cluster-info`), "
                                      "the context is right, or raise the timeout") from exc

    def _translate(self, what: str, exc: ApiException) -> Exception:
        status, message = exc.status or 0, _status_message(exc)
        if status == 404 or (status == 400 and "previous terminated container" in message):
            return _Missing(message)
        if status in (401, 403):
            return PlatformError(f"Kubernetes API {self.endpoint} refused {what} ({status}): {message}",
                                 "check credentials and RBAC: deploystate needs get/list/patch on deployments, "
                                 "statefulsets and daemonsets, list on replicasets, controllerrevisions and pods, "
                                 "get on pods/log in that namespace")
        if status == 429 or status >= 500 or status == 0:
            return PlatformUnreachable(f"Kubernetes API {self.endpoint} failed {what} (HTTP {status}): {message}",
                                       "the API server is unhealthy or throttling; retry shortly and check "
                                       "`kubectl get --raw /readyz`")
        return PlatformError(f"Kubernetes API {self.endpoint} rejected {what} (HTTP {status}): {message}",
                             "read the message above; the request was not applied")


class _Missing(Exception):
    """A 404 (or a missing previous container instance), for the caller to word."""


_API_NAME = {"deployment": "deployment", "statefulset": "stateful_set", "daemonset": "daemon_set"}


def _workload_missing(kind: str, ns: str, name: str) -> TargetNotFound:
    return TargetNotFound(f"{kind} {name!r} not found in namespace {ns!r}",
                          f"check services.<name>.{kind}/namespace/context in deploystate.toml "
                          f"(`kubectl get {kind}s -n {ns}`)")


def _status_message(exc: ApiException) -> str:
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    try:
        data = json.loads(body)
        message = data.get("message") if isinstance(data, dict) else None
    except ValueError:
        message = None
    return _short(message or body or str(exc.reason or "no message"))


def _short(text: str, limit: int = 300) -> str:
    text = redact(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
