"""KubernetesPlatform reaching the cluster: a missing deployment, an API that fails or hangs, nothing
listening, how a host, an injected client or a kubeconfig context choose the API; and one opt-in test on a
real cluster."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform
from deploystate.platforms.registry import get_platform
from deploystate.state.config.config import KubernetesService, Revision
from deploystate.state.errors import ConfigError, PlatformUnreachable, TargetNotFound
from tests.fixtures.kube import FakeCluster
from tests.platforms.kube_support import NEW, OLD, SEED, seed_containers, service
from tests.timing import GENEROUS


@pytest.fixture
def platform() -> KubernetesPlatform:
    return KubernetesPlatform()


def test_missing_deployment_names_namespace_and_name(kube_cluster: FakeCluster,
                                                     platform: KubernetesPlatform) -> None:
    """A 404 is TargetNotFound naming the deployment and namespace."""
    with pytest.raises(TargetNotFound) as err:
        platform.observe(service(kube_cluster, "ghost", namespace="prod"), timeout=5)
    assert "'ghost'" in err.value.message and "'prod'" in err.value.message


def test_api_returning_500_is_unreachable(kube_cluster: FakeCluster, platform: KubernetesPlatform) -> None:
    """An API server answering 500 is PlatformUnreachable naming the endpoint and the status."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    kube_cluster.fail_with(500)
    with pytest.raises(PlatformUnreachable) as err:
        platform.restart(service(kube_cluster), "auto", timeout=5)
    assert "HTTP 500" in err.value.message and kube_cluster.host in err.value.message


def test_hanging_api_is_unreachable_within_the_timeout(kube_cluster: FakeCluster,
                                                       platform: KubernetesPlatform) -> None:
    """An API that never answers gives PlatformUnreachable once the timeout is spent, not a hang."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    kube_cluster.hang()
    began = time.monotonic()
    with pytest.raises(PlatformUnreachable) as err:
        platform.observe(service(kube_cluster), timeout=3)   # the API hangs until teardown
    assert time.monotonic() - began < GENEROUS
    assert "did not answer" in err.value.message and "timeout" in err.value.hint


def test_unreachable_port_and_bad_strategy(platform: KubernetesPlatform, tmp_path: Path) -> None:
    """Nothing listening is PlatformUnreachable; a strategy Kubernetes has no meaning for is a ConfigError."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = KubernetesService(deployment="web", host=f"http://127.0.0.1:{port}")
    with pytest.raises(PlatformUnreachable):
        platform.observe(ServiceRef("web", cfg, tmp_path), timeout=2)
    with pytest.raises(ConfigError):
        platform.restart(ServiceRef("web", cfg, tmp_path), "force_new_deployment", timeout=2)
    missing = KubernetesService(deployment="web", kubeconfig=str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        platform.observe(ServiceRef("web", missing, tmp_path), timeout=2)


def test_registry_builds_the_platform_with_a_host(kube_cluster: FakeCluster) -> None:
    """get_platform('kubernetes', host=...) reaches the cluster for services that name no host."""
    kube_cluster.add_deployment("api", [{"name": "api", "image": f"reg/api:{NEW}"}])
    plat = get_platform("kubernetes", host=kube_cluster.host)
    cfg = KubernetesService(deployment="api", revision=Revision(source="image_tag"))
    obs = plat.observe(ServiceRef("api", cfg, Path(".")), timeout=5)
    assert isinstance(plat, KubernetesPlatform) and obs.revision == NEW and obs.state == "running"


def test_injected_api_client_is_the_transport(kube_cluster: FakeCluster) -> None:
    """An ApiClient passed to the constructor is used for every service (tests, custom auth)."""
    from kubernetes import client
    kube_cluster.add_deployment("api", [{"name": "api", "image": f"reg/api:{OLD}"}])
    cfg = client.Configuration(host=kube_cluster.host)
    cfg.retries = 0
    plat = KubernetesPlatform(api_client=client.ApiClient(cfg))
    svc = ServiceRef("api", KubernetesService(deployment="api", host="http://127.0.0.1:9"), Path("."))
    result = plat.restart(svc, "restart", timeout=5)
    assert result.platform_ids["generation"] == 2 and plat.observe(svc, timeout=5).facts["api"] == kube_cluster.host


def test_kubeconfig_and_context_select_the_cluster(kube_cluster: FakeCluster, tmp_path: Path) -> None:
    """A service's kubeconfig and context choose the API; an unknown context is a ConfigError."""
    kube_cluster.add_deployment("api", [{"name": "api", "image": f"reg/api:{NEW}"}])
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "elsewhere",
        "clusters": [{"name": "emu", "cluster": {"server": kube_cluster.host}},
                     {"name": "down", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "dev", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "emulated", "context": {"cluster": "emu", "user": "dev"}},
                     {"name": "elsewhere", "context": {"cluster": "down", "user": "dev"}}]}))
    plat = KubernetesPlatform()
    cfg = KubernetesService(deployment="api", kubeconfig=str(kubeconfig), context="emulated",
                            revision=Revision(source="image_tag"))
    assert plat.observe(ServiceRef("api", cfg, tmp_path), timeout=5).revision == NEW
    wrong = cfg.model_copy(update={"context": "nope"})
    with pytest.raises(ConfigError, match="context 'nope'"):
        plat.observe(ServiceRef("api", wrong, tmp_path), timeout=5)


# -- a real cluster (opt-in: it creates and deletes a deployment) ----------------------------------------

@pytest.mark.cluster
def test_opt_in_real_cluster_restart_and_observe_skips_without_a_kubeconfig(tmp_path: Path) -> None:
    """On a real cluster: create a deployment, see it complete, rollout-restart it, see new pods complete."""
    kubeconfig = os.environ.get("DEPLOYSTATE_TEST_KUBECONFIG")
    if not kubeconfig or not Path(kubeconfig).is_file():
        pytest.skip("set DEPLOYSTATE_TEST_KUBECONFIG to a kubeconfig of a disposable cluster to run this")
    from kubernetes import client, config
    namespace = os.environ.get("DEPLOYSTATE_TEST_NAMESPACE", "default")
    name = f"deploystate-e2e-{uuid.uuid4().hex[:6]}"
    api_client = config.new_client_from_config(config_file=kubeconfig, persist_config=False)
    apps = client.AppsV1Api(api_client)
    labels = {"app": name}
    apps.create_namespaced_deployment(namespace, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels, "annotations": {"org.opencontainers.image.revision": OLD}},
            "spec": {"containers": [{"name": "main", "image": "busybox:1.36",
                                     "command": ["sh", "-c", "echo started; exec sleep 3600"]}]}}}},
        _request_timeout=30)
    plat = KubernetesPlatform(kubeconfig=kubeconfig)
    svc = ServiceRef(name, KubernetesService(deployment=name, namespace=namespace, kubeconfig=kubeconfig), tmp_path)
    try:
        assert _wait_complete(plat, svc).revision == OLD
        result = plat.restart(svc, "auto", timeout=30)
        done = _wait_complete(plat, svc)
        assert done.facts["restarted_at"] == result.platform_ids["restartedAt"] and done.problems == []
        assert any("started" in line for line in plat.logs(svc, since=None, timeout=30))
    finally:
        apps.delete_namespaced_deployment(name, namespace, _request_timeout=30)


def _wait_complete(plat: KubernetesPlatform, svc: ServiceRef, limit: float = 180) -> Any:
    end = time.monotonic() + limit
    while True:
        obs = plat.observe(svc, timeout=30)
        if obs.rollout["complete"] or time.monotonic() > end:
            assert obs.rollout["complete"], obs.rollout
            return obs
        time.sleep(2)
