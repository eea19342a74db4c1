"""KubernetesPlatform against the kmock emulator over HTTP with the official client (tests/fixtures/kube.py
adds generation, label selection, a controller step and canned logs), plus one real-cluster test."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform
from deploystate.platforms.registry import get_platform
from deploystate.state.config.config import KubernetesService, Revision
from deploystate.state.errors import ConfigError, PlatformUnreachable, Refused, TargetNotFound
from tests.fixtures.kube import DEPLOYMENTS, FakeCluster, crash_loop, now, oom_killed, waiting
from tests.timing import GENEROUS

OLD, NEW = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
SEED = "homeeasy-ai-service-v3"
WEB, BEAT, WORKER, WORKER2 = (f"{SEED}-web", f"{SEED}-celery-beat", f"{SEED}-celery-worker",
                              f"{SEED}-celery-worker-2")


def seed_containers(commit: str) -> list[dict[str, Any]]:
    """The seed report's pod: four containers from one image, tagged with the commit."""
    return [{"name": n, "image": f"us-central1-docker.pkg.dev/p/r/{SEED}:{commit}"}
            for n in (WEB, BEAT, WORKER, WORKER2)]


def service(cluster: FakeCluster, name: str = SEED, **kw: Any) -> ServiceRef:
    cfg = KubernetesService(deployment=name, host=cluster.host, revision=Revision(source="image_tag"), **kw)
    return ServiceRef(name, cfg, Path("."))


def set_image(cluster: FakeCluster, name: str, commit: str) -> None:
    def change(dep: dict[str, Any]) -> None:
        for c in dep["spec"]["template"]["spec"]["containers"]:
            c["image"] = c["image"].rsplit(":", 1)[0] + f":{commit}"
    cluster.edit_deployment(name, change)


@pytest.fixture
def platform() -> KubernetesPlatform:
    return KubernetesPlatform()


def test_restart_patches_restarted_at_and_bumps_generation(kube_cluster: FakeCluster, platform: KubernetesPlatform,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """rollout restart stamps the template annotation; the result carries the new generation and stamp."""
    frozen = now().replace(microsecond=250_000)
    monkeypatch.setattr("deploystate.platforms.kubernetes.kubernetes.utc_now", lambda: frozen)
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    result = platform.restart(service(kube_cluster), "auto", timeout=5)
    dep = kube_cluster.get(DEPLOYMENTS, "default", SEED)
    stamp = dep["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert result.ok and dep["metadata"]["generation"] == 2
    assert result.platform_ids["generation"] == 2 and result.platform_ids["restartedAt"] == stamp
    assert result.started_at and result.warnings == []          # commit tags: nothing to warn about
    patches = [r for r in kube_cluster.requests() if r[0] == "PATCH"]
    assert len(patches) == 1 and patches[0][1] == f"/apis/apps/v1/namespaces/default/deployments/{SEED}"
    assert stamp == frozen.strftime("%Y-%m-%dT%H:%M:%SZ")                 # kubectl's format
    again = platform.restart(service(kube_cluster), "auto", timeout=5)   # same second: still a new template
    assert again.platform_ids["generation"] == 3 and again.platform_ids["restartedAt"].endswith(".250000Z")


def test_observe_is_progressing_until_the_controller_rolls_the_pods(kube_cluster: FakeCluster,
                                                                   platform: KubernetesPlatform) -> None:
    """Before the controller step the rollout is not complete; after it, complete with the new pods."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    svc = service(kube_cluster)
    before = platform.observe(svc, timeout=5)
    assert before.state == "running" and before.rollout["complete"] and before.revision == OLD

    set_image(kube_cluster, SEED, NEW)
    platform.restart(svc, "rollout", timeout=5)
    pending = platform.observe(svc, timeout=5)
    assert pending.state == "progressing" and not pending.rollout["complete"]
    assert pending.rollout["code"] == "stale" and pending.instances == []   # old pods are not "new"
    assert pending.revision == OLD                                             # what still runs

    kube_cluster.controller_step(SEED)
    done = platform.observe(svc, timeout=5)
    assert done.state == "running" and done.rollout["complete"] and done.healthy is True
    assert done.revision == NEW and done.replicas["old_pods"] == 0
    assert len(done.instances) == 4 and {i.generation for i in done.instances} == {done.facts["pod_template_hash"]}
    assert done.rollout["k8s_revision"] == 2 and done.problems == []
    lists = [r for r in kube_cluster.requests() if r[0] == "GET" and r[1].endswith(("/pods", "/replicasets"))]
    assert lists and all(r[2].get("labelSelector") == f"app={SEED}" for r in lists)


def test_crash_loop_and_oom_in_a_four_container_pod(kube_cluster: FakeCluster,
                                                    platform: KubernetesPlatform) -> None:
    """A CrashLoopBackOff worker and an OOM-killed (137) worker are reported by container name."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    svc = service(kube_cluster)
    platform.restart(svc, "auto", timeout=5)
    kube_cluster.controller_step(SEED, containers={WORKER: crash_loop(exit_code=1, restarts=5),
                                                   WORKER2: oom_killed(restarts=1)})
    obs = platform.observe(svc, timeout=5)
    assert obs.state == "degraded" and obs.oom_killed and obs.restart_count == 6
    by_container = {i.name.split("/")[1]: i for i in obs.instances}
    assert set(by_container) == {WEB, BEAT, WORKER, WORKER2}
    assert by_container[WORKER].reason == "CrashLoopBackOff" and by_container[WORKER].state == "waiting"
    assert by_container[WORKER2].oom_killed and by_container[WORKER2].exit_code == 137
    assert any(f"container {WORKER} in pod" in p and "CrashLoopBackOff" in p for p in obs.problems)
    assert any(f"container {WORKER2} in pod" in p and "OOMKilled" in p for p in obs.problems)
    assert not any(WEB + " " in p or BEAT in p for p in obs.problems)


def test_image_pull_backoff_and_deadline_exceeded(kube_cluster: FakeCluster, platform: KubernetesPlatform) -> None:
    """A rollout stuck on ImagePullBackOff past its deadline is failed, and the old revision still runs."""
    kube_cluster.add_deployment("api", [{"name": "api", "image": f"reg/api:{OLD}"}], replicas=2)
    set_image(kube_cluster, "api", NEW)
    kube_cluster.controller_step("api", containers={"api": waiting("ImagePullBackOff", "not found")},
                                 deadline_exceeded=True, keep_old=True)
    obs = platform.observe(service(kube_cluster, "api"), timeout=5)
    assert obs.state == "degraded" and obs.rollout["failed"] and obs.rollout["code"] == "deadline-exceeded"
    assert any("exceeded its progress deadline" in p for p in obs.problems)
    assert sum("ImagePullBackOff" in p for p in obs.problems) == 2 and len(obs.instances) == 2
    assert obs.revision == OLD and obs.replicas["old_pods"] == 2        # the old pods still serve
    assert obs.healthy is None and obs.replicas["updated"] == 2 and obs.replicas["running"] == 0


def test_paused_deployment_is_refused(kube_cluster: FakeCluster, platform: KubernetesPlatform) -> None:
    """Restarting or rolling back a paused deployment is refused and changes nothing."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD), paused=True)
    with pytest.raises(Refused) as err:
        platform.restart(service(kube_cluster), "auto", timeout=5)
    assert "paused" in err.value.message and "kubectl rollout resume" in err.value.hint
    with pytest.raises(Refused):
        platform.rollback(service(kube_cluster), None, timeout=5)
    assert kube_cluster.get(DEPLOYMENTS, "default", SEED)["metadata"]["generation"] == 1
    assert not [r for r in kube_cluster.requests() if r[0] == "PATCH"]


def test_rollback_to_previous_reuses_the_old_replicaset(kube_cluster: FakeCluster,
                                                       platform: KubernetesPlatform) -> None:
    """rollout undo puts the previous template back; the controller reuses its ReplicaSet as revision 3."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    svc = service(kube_cluster)
    first_hash = platform.observe(svc, timeout=5).facts["pod_template_hash"]
    set_image(kube_cluster, SEED, NEW)
    kube_cluster.controller_step(SEED)
    assert platform.observe(svc, timeout=5).revision == NEW

    result = platform.rollback(svc, None, timeout=5)
    assert result.ok and result.platform_ids["to_revision"] == 1 and result.platform_ids["commit"] == OLD
    assert result.platform_ids["pod_template_hash"] == first_hash and result.platform_ids["generation"] == 3
    template = kube_cluster.get(DEPLOYMENTS, "default", SEED)["spec"]["template"]
    assert "pod-template-hash" not in template["metadata"]["labels"]
    assert all(c["image"].endswith(OLD) for c in template["spec"]["containers"])

    kube_cluster.controller_step(SEED)
    after = platform.observe(svc, timeout=5)
    assert after.revision == OLD and after.rollout["complete"]
    assert after.facts["pod_template_hash"] == first_hash and after.rollout["k8s_revision"] == 3


def test_rollback_to_last_verified_commit(kube_cluster: FakeCluster, platform: KubernetesPlatform) -> None:
    """Rolling back to a commit picks the ReplicaSet whose pods ran it; an unkept commit is TargetNotFound."""
    third = "3333333ccccccccccccccccccccccccccccccccc"
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    for commit in (NEW, third):
        set_image(kube_cluster, SEED, commit)
        kube_cluster.controller_step(SEED)
    result = platform.rollback(service(kube_cluster), OLD[:7], timeout=5)
    assert result.platform_ids["to_revision"] == 1 and result.platform_ids["commit"] == OLD
    with pytest.raises(TargetNotFound) as err:
        platform.rollback(service(kube_cluster), "4444444dddd", timeout=5)
    assert "kept no ReplicaSet that ran commit 4444444dddd" in err.value.message


def test_rollback_to_the_running_revision_is_a_no_op(kube_cluster: FakeCluster,
                                                    platform: KubernetesPlatform) -> None:
    """Asking for the revision already running patches nothing (kubectl: 'skipped rollback')."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    result = platform.rollback(service(kube_cluster), OLD, timeout=5)
    assert result.ok and "skipped rollback" in result.message
    assert not [r for r in kube_cluster.requests() if r[0] == "PATCH"]


def test_logs_since_and_previous_per_container(kube_cluster: FakeCluster, platform: KubernetesPlatform) -> None:
    """Logs come from every container of the new pods; previous reads only crashed instances; since filters."""
    kube_cluster.add_deployment(SEED, seed_containers(OLD))
    platform.restart(service(kube_cluster), "auto", timeout=5)
    kube_cluster.controller_step(SEED, containers={WEB: crash_loop()})
    pod = kube_cluster.pods(SEED)[0]["metadata"]["name"]
    kube_cluster.add_logs(pod, WEB, ["ModuleNotFoundError: No module named 'agent_core'"], previous=True)
    kube_cluster.add_logs(pod, WORKER, ["old line"], at=now() - timedelta(hours=2))
    kube_cluster.add_logs(pod, WORKER, ["RL model made decision", "using fallback"])
    kube_cluster.add_logs(pod, BEAT, ["beat: Starting..."])
    svc = service(kube_cluster)
    since = now() - timedelta(minutes=5)
    current = list(platform.logs(svc, since=since, timeout=5))
    assert current == ["beat: Starting...", "RL model made decision", "using fallback"]
    previous = list(platform.logs(svc, since=since, previous=True, timeout=5))
    assert previous == ["ModuleNotFoundError: No module named 'agent_core'"]
    log_reads = [r for r in kube_cluster.requests() if r[1].endswith("/log")]
    assert all("sinceSeconds" in r[2] and "limitBytes" in r[2] for r in log_reads)
    assert [r[2]["container"] for r in log_reads if "previous" in r[2]] == [WEB]
    only_worker = service(kube_cluster, containers=[WORKER])
    assert list(platform.logs(only_worker, since=None, timeout=5)) == ["old line", "RL model made decision",
                                                                      "using fallback"]


def test_pods_of_other_deployments_are_not_counted(kube_cluster: FakeCluster,
                                                   platform: KubernetesPlatform) -> None:
    """Only the deployment's own pods (by label selector and ownership) are observed."""
    kube_cluster.add_deployment("api", [{"name": "api", "image": f"reg/api:{NEW}"}])
    kube_cluster.add_deployment("api-worker", [{"name": "worker", "image": f"reg/api:{OLD}"}], replicas=3)
    kube_cluster.controller_step("api-worker", containers={"worker": crash_loop()})
    obs = platform.observe(service(kube_cluster, "api"), timeout=5)
    assert [i.name.split("/")[1] for i in obs.instances] == ["api"]
    assert obs.revision == NEW and obs.problems == [] and obs.state == "running"


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
