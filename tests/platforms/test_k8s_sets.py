"""StatefulSets and DaemonSets on the kmock emulator (tests/fixtures/kube_sets.py adds their controllers):
restart, observe and verify like a Deployment; the kubectl rollout-status rules directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.kubernetes.k8s_sets import daemonset_status, statefulset_status
from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform
from deploystate.platforms.registry import use
from deploystate.state.config.config import KubernetesService, Revision
from deploystate.state.errors import PlatformError, Refused
from deploystate.verify.service import verify_services
from tests.fixtures.kube import FakeCluster, crash_loop
from tests.fixtures.kube_sets import RESOURCE, add_set, edit_set, set_step
from tests.verify.support import make_project

OLD, NEW = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
KINDS = ["statefulset", "daemonset"]


def containers(commit: str) -> list[dict[str, Any]]:
    return [{"name": "db", "image": f"reg/db:{commit}", "env": [{"name": "GIT_COMMIT", "value": commit}]}]


def ref(cluster: FakeCluster, kind: str, name: str = "db") -> ServiceRef:
    cfg = KubernetesService(**{kind: name}, host=cluster.host, revision=Revision(source="env", name="GIT_COMMIT"))
    return ServiceRef(name, cfg, Path("."))


def set_commit(cluster: FakeCluster, kind: str, commit: str) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"] = containers(commit)
    edit_set(cluster, kind, "db", change)


@pytest.mark.parametrize("kind", KINDS)
def test_restart_stamps_the_template_and_the_rollout_completes_after_the_controller(kube_cluster: FakeCluster,
                                                                                    kind: str) -> None:
    """rollout restart patches restartedAt (generation rises); observe is in progress until the controller
    step, then complete with every new pod running the same revision."""
    add_set(kube_cluster, kind, "db", containers(OLD))
    platform, svc = KubernetesPlatform(), ref(kube_cluster, kind)
    before = platform.observe(svc, timeout=5)
    assert before.state == "running" and before.rollout["complete"] and before.revision == OLD
    result = platform.restart(svc, "rollout", timeout=5)
    obj = kube_cluster.get(RESOURCE[kind], "default", "db")
    assert result.ok and obj["metadata"]["generation"] == 2 and result.platform_ids[kind] == "default/db"
    assert "kubectl.kubernetes.io/restartedAt" in obj["spec"]["template"]["metadata"]["annotations"]
    mid = platform.observe(svc, timeout=5)
    assert mid.rollout["complete"] is False and mid.rollout["code"] == "stale" and mid.state == "progressing"
    set_step(kube_cluster, kind, "db")
    after = platform.observe(svc, timeout=5)
    assert after.rollout["complete"] and after.state == "running" and after.revision == OLD
    assert after.target == f"{kind}/default/db" and len(after.instances) == 2 and after.replicas["old_pods"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_crash_looping_new_pods_are_degraded_with_the_reason(kube_cluster: FakeCluster, kind: str) -> None:
    """A new revision whose pods crash-loop is degraded and names CrashLoopBackOff."""
    add_set(kube_cluster, kind, "db", containers(OLD))
    set_commit(kube_cluster, kind, NEW)
    set_step(kube_cluster, kind, "db", containers={"db": crash_loop()})
    obs = KubernetesPlatform().observe(ref(kube_cluster, kind), timeout=5)
    assert obs.state == "degraded" and any("CrashLoopBackOff" in p for p in obs.problems)


@pytest.mark.parametrize("kind", KINDS)
def test_verify_passes_on_the_expected_revision_and_fails_on_the_old_one(kube_cluster: FakeCluster, git_repo: Any,
                                                                        kind: str) -> None:
    """verify of a StatefulSet/DaemonSet: the env revision against the deploy's commit, like a Deployment."""
    from tests.verify.support import record_deploy

    created = add_set(kube_cluster, kind, "db", containers(OLD))["metadata"]["creationTimestamp"]
    config_text = (f'[services.db]\nplatform = "kubernetes"\n{kind} = "db"\nhost = "{kube_cluster.host}"\n'
                   'paths = ["db/**"]\nrevision = { source = "env", name = "GIT_COMMIT" }\n'
                   '[[services.db.checks]]\ntype = "rollout"\n[[services.db.checks]]\ntype = "revision"\n')
    project, config = make_project(git_repo, config_text)
    head = git_repo.head()  # the rule compares what runs with HEAD's code: the new revision is HEAD
    # The restart is the set's creation, not the moment this line runs: on a loaded machine setting the
    # project up can outlast the 1 s clock tolerance, and the pods would look "not replaced" (a fail).
    record_deploy(project, "db", head, started_at=created)
    with use("kubernetes", KubernetesPlatform()):
        stale = verify_services(project, config, ["db"], deadline=20, alert=False).services[0]
        # OLD is not a commit of this clone: the rule cannot compare it with HEAD, so never a pass
        assert stale.verdict == "inconclusive" and stale.running_revision == OLD
        set_commit(kube_cluster, kind, head)
        set_step(kube_cluster, kind, "db")
        fresh = verify_services(project, config, ["db"], deadline=20, alert=False).services[0]
    assert fresh.verdict == "pass" and fresh.running_revision == head, fresh


def test_on_delete_refuses_a_restart_that_would_replace_nothing(kube_cluster: FakeCluster) -> None:
    """updateStrategy OnDelete: a restart would change the template and roll no pod: refused with the hint."""
    add_set(kube_cluster, "statefulset", "db", containers(OLD), strategy="OnDelete")
    with pytest.raises(Refused, match="OnDelete") as info:
        KubernetesPlatform().restart(ref(kube_cluster, "statefulset"), "rollout", timeout=5)
    assert "kubectl delete pod" in info.value.hint


def test_rollback_of_a_set_is_refused_with_the_kubectl_command(kube_cluster: FakeCluster) -> None:
    """rollback is Deployment-only for now: a clear error naming kubectl rollout undo."""
    add_set(kube_cluster, "daemonset", "db", containers(OLD))
    with pytest.raises(PlatformError, match="not supported") as info:
        KubernetesPlatform().rollback(ref(kube_cluster, "daemonset"), None, timeout=5)
    assert "kubectl rollout undo daemonset/db" in info.value.hint


def test_statefulset_status_follows_kubectl() -> None:
    """Stale generation, pods not ready, a partition, revisions differing, and complete: kubectl's order."""
    base = {"metadata": {"name": "db", "generation": 2}, "spec": {"replicas": 3}}
    assert statefulset_status({**base, "status": {"observedGeneration": 1}}).reason == "stale"
    status = {"observedGeneration": 2, "readyReplicas": 2, "updatedReplicas": 3}
    assert statefulset_status({**base, "status": status}).message == "waiting for 1 pods to be ready"
    part = {**base, "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate",
                                                              "rollingUpdate": {"partition": 2}}}}
    ok = {"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 1}
    assert statefulset_status({**part, "status": ok}).complete
    assert not statefulset_status({**part, "status": {**ok, "updatedReplicas": 0}}).complete
    rolling = {"observedGeneration": 2, "readyReplicas": 3, "updateRevision": "db-2", "currentRevision": "db-1"}
    assert statefulset_status({**base, "status": rolling}).reason == "updating"
    done = statefulset_status({**base, "status": {**rolling, "currentRevision": "db-2", "currentReplicas": 3}})
    assert done.complete and done.message == "statefulset rolling update complete 3 pods at revision db-2"


def test_daemonset_status_follows_kubectl() -> None:
    """Stale generation, pods not updated, updated but unavailable, then rolled out."""
    meta = {"metadata": {"name": "agent", "generation": 3}}
    assert daemonset_status({**meta, "status": {"observedGeneration": 2}}).reason == "stale"
    s = {"observedGeneration": 3, "desiredNumberScheduled": 2, "updatedNumberScheduled": 1, "numberAvailable": 2}
    assert daemonset_status({**meta, "status": s}).reason == "updating"
    s["updatedNumberScheduled"], s["numberAvailable"] = 2, 1
    assert daemonset_status({**meta, "status": s}).reason == "waiting-available"
    s["numberAvailable"] = 2
    assert daemonset_status({**meta, "status": s}).complete
