"""KubernetesPlatform against the kmock emulator over HTTP with the official client (tests/fixtures/kube.py
adds generation, label selection, a controller step and canned logs): restart, rollout, crashes, rollback,
logs. Reaching the cluster and its failures: test_kubernetes_connection.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform
from deploystate.state.errors import Refused, TargetNotFound
from tests.fixtures.kube import DEPLOYMENTS, FakeCluster, crash_loop, now, oom_killed, waiting
from tests.platforms.kube_support import BEAT, NEW, OLD, SEED, WEB, WORKER, WORKER2, seed_containers, service, set_image


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
