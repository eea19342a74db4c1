"""The pure Kubernetes rules: kubectl's rollout status, ReplicaSet history, pod failure reasons, revisions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deploystate.platforms.kubernetes import k8s_pods as pods
from deploystate.platforms.kubernetes import k8s_rollout as rules
from deploystate.state.config.config import KubernetesService, Revision
from deploystate.state.errors import PlatformError, TargetNotFound

OLD, NEW = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
SEED = "homeeasy-ai-service-v3"


def deployment(generation: int = 2, observed: int = 2, desired: int | None = 2, **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "web"}}, "template": template(NEW)}
    if desired is not None:
        spec["replicas"] = desired
    return {"metadata": {"name": "web", "uid": "u-1", "generation": generation},
            "spec": spec, "status": {"observedGeneration": observed, **status}}


def template(commit: str, pth: str | None = None) -> dict[str, Any]:
    labels = {"app": "web", **({"pod-template-hash": pth} if pth else {})}
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": f"reg.example/web:{commit}"},
                                    {"name": "proxy", "image": "envoy:1.29"}]}}


def replicaset(name: str, revision: int, commit: str, owner_uid: str = "u-1") -> dict[str, Any]:
    return {"metadata": {"name": name, "annotations": {rules.REVISION_ANNOTATION: str(revision)},
                         "creationTimestamp": f"2026-01-0{revision}T00:00:00Z",
                         "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": owner_uid}]},
            "spec": {"template": template(commit, name.rsplit("-", 1)[-1])}}


def k8s_service(**kw: Any) -> KubernetesService:
    return KubernetesService(deployment="web", revision=Revision(source="image_tag"), **kw)


# -- kubectl rollout status ---------------------------------------------------------------------------

def test_unobserved_generation_is_not_complete() -> None:
    """A spec change the controller has not observed yet is 'waiting for the update to be observed'."""
    st = rules.rollout_status(deployment(generation=3, observed=2, updatedReplicas=2, availableReplicas=2,
                                         replicas=2))
    assert (st.complete, st.failed, st.reason) == (False, False, "stale")
    assert "observed" in st.message


def test_progress_deadline_exceeded_is_a_failure() -> None:
    """Progressing=False with ProgressDeadlineExceeded fails the rollout, as kubectl does."""
    dep = deployment(updatedReplicas=1, replicas=2,
                     conditions=[{"type": "Progressing", "status": "False", "reason": rules.TIMED_OUT}])
    st = rules.rollout_status(dep)
    assert st.failed and not st.complete and st.reason == "deadline-exceeded"
    assert "exceeded its progress deadline" in st.message


@pytest.mark.parametrize("status,reason,message", [
    ({"updatedReplicas": 1, "replicas": 2, "availableReplicas": 2}, "updating", "1 out of 2 new replicas"),
    ({"updatedReplicas": 2, "replicas": 3, "availableReplicas": 2}, "terminating-old", "1 old replicas"),
    ({"updatedReplicas": 2, "replicas": 2, "availableReplicas": 1}, "waiting-available", "1 of 2 updated"),
    ({"updatedReplicas": 2, "replicas": 2, "availableReplicas": 2, "readyReplicas": 2}, "complete",
     "successfully rolled out"),
])
def test_rollout_status_follows_kubectl_order(status: dict, reason: str, message: str) -> None:
    """Updated, then old pending termination, then available: kubectl's checks in kubectl's order."""
    st = rules.rollout_status(deployment(**status))
    assert st.reason == reason and message in st.message
    assert st.complete is (reason == "complete")


def test_missing_replicas_defaults_to_one() -> None:
    """spec.replicas absent means 1 (the API default), not 0 ('nothing to wait for')."""
    st = rules.rollout_status(deployment(desired=None, updatedReplicas=0))
    assert st.desired == 1 and not st.complete


def test_paused_rollout_says_so() -> None:
    """A paused deployment that is not done says how to resume it."""
    dep = deployment(updatedReplicas=0, replicas=2)
    dep["spec"]["paused"] = True
    st = rules.rollout_status(dep)
    assert st.paused and "kubectl rollout resume" in st.message


def test_selector_string_covers_labels_and_expressions() -> None:
    """matchLabels and matchExpressions become the labelSelector query the API understands."""
    sel = {"matchLabels": {"app": "web", "tier": "api"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "canary"]},
                                {"key": "legacy", "operator": "DoesNotExist"}]}
    assert rules.selector_string(sel) == "app=web,tier=api,env in (prod,canary),!legacy"


# -- ReplicaSets: new, previous, rollback targets --------------------------------------------------------

def test_new_replicaset_is_the_one_with_the_current_template() -> None:
    """The new ReplicaSet matches the deployment's template ignoring pod-template-hash, whatever its revision."""
    old, new = replicaset("web-old1", 1, OLD), replicaset("web-new1", 2, NEW)
    assert rules.rs_name(rules.new_replicaset(deployment(), [old, new])) == "web-new1"
    assert rules.pod_template_hash(new) == "new1"


def test_no_new_replicaset_before_the_controller_acts() -> None:
    """Right after a template change no ReplicaSet matches: the old pods are not presented as new."""
    dep = deployment(generation=3, observed=2)
    dep["metadata"]["annotations"] = {rules.REVISION_ANNOTATION: "1"}
    assert rules.new_replicaset(dep, [replicaset("web-old1", 1, OLD)]) is None


def test_owned_by_matches_uid_not_just_name() -> None:
    """A ReplicaSet of a re-created deployment with the same name (another uid) is not ours."""
    dep = deployment()
    assert rules.owned_by(replicaset("web-a", 1, OLD), dep, "Deployment")
    assert not rules.owned_by(replicaset("web-b", 1, OLD, owner_uid="u-other"), dep, "Deployment")


def test_previous_is_the_second_highest_revision() -> None:
    """rollout undo without a revision goes to the second-highest revision, as kubectl's LastRevision."""
    history = [replicaset("web-r1", 1, OLD), replicaset("web-r3", 3, NEW), replicaset("web-r2", 2, OLD)]
    assert rules.rs_name(rules.previous_replicaset(history)) == "web-r2"
    assert rules.previous_replicaset(history[:1]) is None


def test_rollback_target_by_previous_number_and_commit() -> None:
    """``to`` may be previous, a revision number, or a commit (prefix) read from the template."""
    history = [replicaset("web-r1", 1, OLD), replicaset("web-r2", 2, NEW), replicaset("web-r3", 3, NEW)]
    svc = k8s_service()
    assert rules.rs_name(rules.rollback_target(history, None, svc)) == "web-r2"
    assert rules.rs_name(rules.rollback_target(history, "1", svc)) == "web-r1"
    assert rules.rs_name(rules.rollback_target(history, "revision:2", svc)) == "web-r2"
    assert rules.rs_name(rules.rollback_target(history, OLD[:9], svc)) == "web-r1"
    assert rules.rs_name(rules.rollback_target(history, NEW, svc)) == "web-r3"   # newest that ran it


def test_rollback_target_that_was_not_kept_lists_history() -> None:
    """An unknown commit or revision is TargetNotFound naming the kept revisions and commits."""
    history = [replicaset("web-r1", 1, OLD), replicaset("web-r2", 2, NEW)]
    with pytest.raises(TargetNotFound) as err:
        rules.rollback_target(history, "3333333cccccccc", k8s_service())
    assert "1 (1111111aaa" in err.value.message and "revisionHistoryLimit" in err.value.hint
    with pytest.raises(TargetNotFound):
        rules.rollback_target(history, "9", k8s_service())
    with pytest.raises(PlatformError, match="no earlier revision"):
        rules.rollback_target(history[:1], None, k8s_service())


def test_seven_digit_number_is_a_commit_not_a_revision() -> None:
    """An all-digit value of commit length is matched as a commit, never as revision 1234567."""
    digits = "1234567" + "0" * 33
    history = [replicaset("web-r1", 1, digits), replicaset("web-r2", 2, NEW)]
    assert rules.rs_name(rules.rollback_target(history, "1234567", k8s_service())) == "web-r1"


def test_pull_warning_for_mutable_tag_without_always() -> None:
    """A restart keeps the image reference: a re-pushed non-latest tag with IfNotPresent is warned about."""
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"] = [
        {"name": "web", "image": "reg/web:v2"},
        {"name": "pinned", "image": "reg/web@sha256:" + "a" * 64},
        {"name": "always", "image": "reg/web:v2", "imagePullPolicy": "Always"},
        {"name": "latest", "image": "reg/web:latest"},
        {"name": "commit", "image": f"reg/web:main-{OLD[:9]}"}]
    warnings = rules.pull_warnings(dep)
    assert len(warnings) == 1 and "container web" in warnings[0] and "IfNotPresent" in warnings[0]


# -- pods: every container, failure reasons --------------------------------------------------------------

def seed_pod(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The seed report's pod: web, beat and two workers from one image."""
    names = [f"{SEED}-web", f"{SEED}-celery-beat", f"{SEED}-celery-worker", f"{SEED}-celery-worker-2"]
    ok = {"state": {"running": {"startedAt": "2026-02-14T10:00:00Z"}}, "ready": True, "restartCount": 0}
    return {"metadata": {"name": f"{SEED}-7d9f-x1", "labels": {"pod-template-hash": "7d9f"}},
            "spec": {"containers": [{"name": n, "image": f"reg/{SEED}:{NEW}"} for n in names]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": n, "image": f"reg/{SEED}:{NEW}", "imageID": "sha256:1", **copy.deepcopy(states.get(n, ok))}
                for n in names]}}


def test_every_container_of_a_multi_container_pod_is_an_instance() -> None:
    """Four containers in one pod are four instances named pod/container, each with the pod-template-hash."""
    report = pods.inspect_pod(seed_pod({}), revision=NEW)
    assert [i.name.split("/")[1] for i in report.instances] == [
        f"{SEED}-web", f"{SEED}-celery-beat", f"{SEED}-celery-worker", f"{SEED}-celery-worker-2"]
    assert all(i.state == "running" and i.ready and i.generation == "7d9f" and i.revision == NEW
               for i in report.instances)
    assert report.problems == []


def test_crash_loop_and_oom_kill_name_their_containers() -> None:
    """CrashLoopBackOff and OOMKilled (exit 137, running again) are reported with the container's name."""
    crash = {"state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}, "ready": False,
             "restartCount": 5, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}
    oom = {"state": {"running": {"startedAt": "2026-02-14T10:05:00Z"}}, "ready": True, "restartCount": 1,
           "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}
    report = pods.inspect_pod(seed_pod({f"{SEED}-web": crash, f"{SEED}-celery-worker-2": oom}))
    by_name = {i.name.split("/")[1]: i for i in report.instances}
    assert by_name[f"{SEED}-web"].reason == "CrashLoopBackOff" and by_name[f"{SEED}-web"].restart_count == 5
    assert by_name[f"{SEED}-celery-worker-2"].oom_killed and by_name[f"{SEED}-celery-worker-2"].exit_code == 137
    assert by_name[f"{SEED}-celery-worker-2"].reason == "OOMKilled"
    assert not by_name[f"{SEED}-celery-beat"].oom_killed
    assert len(report.problems) == 2
    web, worker = report.problems
    assert f"container {SEED}-web in pod" in web and "CrashLoopBackOff" in web and "last exit 1" in web
    assert f"container {SEED}-celery-worker-2" in worker and "OOMKilled (exit 137" in worker


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"])
def test_waiting_reasons_that_never_recover_are_problems(reason: str) -> None:
    """ImagePullBackOff, ErrImagePull and CreateContainerConfigError are failures; ContainerCreating is not."""
    bad = {"state": {"waiting": {"reason": reason, "message": "secret \"api\" not found"}}, "ready": False,
           "restartCount": 0}
    starting = {"state": {"waiting": {"reason": "ContainerCreating"}}, "ready": False, "restartCount": 0}
    report = pods.inspect_pod(seed_pod({f"{SEED}-celery-beat": bad, f"{SEED}-web": starting}))
    assert len(report.problems) == 1 and reason in report.problems[0] and "celery-beat" in report.problems[0]


def test_bare_exit_137_is_a_kill_and_restarts_are_counted() -> None:
    """Exit 137 without OOMKilled is still reported as a SIGKILL; plain restarts are worded as such."""
    killed = {"state": {"running": {}}, "ready": True, "restartCount": 2,
              "lastState": {"terminated": {"exitCode": 137, "reason": "Error"}}}
    restarted = {"state": {"running": {}}, "ready": True, "restartCount": 3,
                 "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}}}
    report = pods.inspect_pod(seed_pod({f"{SEED}-celery-worker": killed, f"{SEED}-celery-beat": restarted}))
    assert any("exit 137 (SIGKILL" in p and "celery-worker " in p for p in report.problems)
    assert any("celery-beat" in p and "restarted 3 times" in p for p in report.problems)


def test_pod_level_failures_and_init_containers() -> None:
    """An unschedulable pod and a crash-looping init container are reported."""
    pod = seed_pod({})
    pod["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes: Insufficient memory"}],
        "initContainerStatuses": [{"name": "migrate", "restartCount": 3, "ready": False,
                                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
    report = pods.inspect_pod(pod)
    assert any("cannot be scheduled" in p and "Insufficient memory" in p for p in report.problems)
    assert any(p.startswith("init container migrate") for p in report.problems)
    assert all(i.state == "unknown" for i in report.instances)   # no status yet: still listed


# -- the running revision of a pod -----------------------------------------------------------------------

def test_revision_from_image_tag_env_and_annotation() -> None:
    """image_tag reads the first container carrying one, env a literal variable, label a pod annotation."""
    pod = {"metadata": {"annotations": {"org.opencontainers.image.revision": OLD}},
           "spec": {"containers": [{"name": "proxy", "image": "envoy:1.29"},
                                   {"name": "web", "image": f"reg/web:{NEW}",
                                    "env": [{"name": "GIT_SHA", "value": OLD},
                                            {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "x"}}}]}]}}
    assert pods.pod_revision(pod, Revision(source="image_tag")).value == NEW
    assert pods.pod_revision(pod, Revision(source="env", name="GIT_SHA")).value == OLD
    assert pods.pod_revision(pod, Revision()).value == OLD
    reading = pods.pod_revision(pod, Revision(source="image_tag"), containers=["proxy"])
    assert reading.value is None and "does not match" in (reading.error or "")

