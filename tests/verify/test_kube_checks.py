"""Kubernetes through the kmock emulator with the official client: config_refs on real ConfigMaps (incident 4),
rollout on pod states (incident 5: OOMKilled, CrashLoopBackOff), logs from the new pods, and API faults."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client as k8s

from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform
from deploystate.platforms.registry import use
from deploystate.verify.service import verify_services
from tests.fixtures.gitrepo import GitRepo
from tests.fixtures.kube import DEPLOYMENTS, FakeCluster, crash_loop, oom_killed
from tests.verify.support import make_project, record_deploy
from tests.timing import GENEROUS

COMMIT = "set by _running_commit"  # a real commit of the test repository, older than HEAD
WEB, WORKER = "web", "celery-worker"

CONFIG = """\
[services.app]
platform = "kubernetes"
deployment = "app"
host = "{host}"
paths = ["app/**"]
revision = {{ source = "image_tag" }}

[[services.app.checks]]
type = "rollout"

[[services.app.checks]]
type = "revision"

[[services.app.checks]]
type = "config_refs"
configmap = "app-config"

[[services.app.checks]]
type = "logs"
must_not_match = ["using fallback"]
"""


@pytest.fixture(autouse=True)
def _running_commit(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pods run a commit before HEAD whose app/ is HEAD's: HEAD's code for the service, not HEAD itself."""
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "COMMIT",
                        git_repo.commit("app v1", {"app/main.py": "print('v1')\n"}))


def containers(env: list[dict[str, Any]] | None = None, env_from: list[dict[str, Any]] | None = None) -> list[dict]:
    image = f"registry.test/app:{COMMIT}"
    web = {"name": WEB, "image": image, "env": env or []}
    if env_from:
        web["envFrom"] = env_from
    return [web, {"name": WORKER, "image": image}]


def key_ref(key: str) -> dict[str, Any]:
    return {"name": key, "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": key}}}


def configmap(cluster: FakeCluster, data: dict[str, str]) -> None:
    cfg = k8s.Configuration()
    cfg.host = cluster.host
    k8s.CoreV1Api(k8s.ApiClient(cfg)).create_namespaced_config_map(
        "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"}, "data": data})


def verify(git_repo: GitRepo, cluster: FakeCluster, deadline: float = 2 * GENEROUS):  # noqa: ANN201
    project, config = make_project(git_repo, CONFIG.format(host=cluster.host))
    # The restart is the rollout of the deployment, not the moment this helper runs: on a loaded machine
    # setting the project up can take longer than the 1 s clock tolerance, and the pods would look stale.
    created = cluster.get(DEPLOYMENTS, "default", "app")["metadata"]["creationTimestamp"]
    record_deploy(project, "app", COMMIT, started_at=created)
    with use("kubernetes", KubernetesPlatform()):
        report = verify_services(project, config, ["app"], deadline=deadline, alert=False)
    sv = report.services[0]
    return sv, {c.type: c for c in sv.checks}


def test_incident4_configmap_key_never_wired_into_the_pod_fails(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """A key added to the ConfigMap but referenced by no container fails config_refs, naming the key."""
    configmap(kube_cluster, {"DATABASE_URL": "postgres://db", "RL_ENDPOINT": "rl", "FEATURE_NEW_MODEL": "1"})
    kube_cluster.add_deployment("app", containers([key_ref("DATABASE_URL"), key_ref("RL_ENDPOINT")]))
    sv, by = verify(git_repo, kube_cluster)
    assert by["config_refs"].result == "fail" and "FEATURE_NEW_MODEL" in by["config_refs"].summary
    assert by["config_refs"].evidence["unreferenced"] == ["FEATURE_NEW_MODEL"]
    others = {k: (by[k].result, by[k].summary) for k in ("rollout", "revision", "logs")}
    assert {k: r for k, (r, _) in others.items()} == dict.fromkeys(others, "pass"), others
    assert sv.verdict == "fail"


def test_config_refs_pass_when_envfrom_pulls_the_whole_map(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """envFrom configMapRef references every key: config_refs passes and so does the verdict."""
    configmap(kube_cluster, {"DATABASE_URL": "postgres://db", "FEATURE_NEW_MODEL": "1"})
    kube_cluster.add_deployment("app", containers(env_from=[{"configMapRef": {"name": "app-config"}}]))
    sv, by = verify(git_repo, kube_cluster)
    assert by["config_refs"].result == "pass", by["config_refs"].summary
    assert sv.verdict == "pass"


def test_missing_configmap_fails(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """The ConfigMap the check names does not exist: fail, saying so."""
    kube_cluster.add_deployment("app", containers())
    _, by = verify(git_repo, kube_cluster)
    assert by["config_refs"].result == "fail" and "does not exist" in by["config_refs"].summary


def test_incident5_oom_killed_worker_fails_rollout(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """A worker container that was OOMKilled (exit 137) since the rollout fails the verdict."""
    configmap(kube_cluster, {})
    kube_cluster.add_deployment("app", containers())
    kube_cluster.controller_step("app", containers={WORKER: oom_killed(restarts=2)})
    sv, by = verify(git_repo, kube_cluster)
    assert by["rollout"].result == "fail" and "OOM" in by["rollout"].summary
    assert sv.verdict == "fail"


def test_crash_loop_fails_rollout(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """CrashLoopBackOff in the new pods fails the rollout check."""
    configmap(kube_cluster, {})
    kube_cluster.add_deployment("app", containers())
    kube_cluster.controller_step("app", containers={WEB: crash_loop()})
    _, by = verify(git_repo, kube_cluster)
    assert by["rollout"].result == "fail" and "CrashLoopBackOff" in by["rollout"].summary


def test_fallback_in_pod_logs_fails(kube_cluster: FakeCluster, git_repo: GitRepo) -> None:
    """Incident 3 on Kubernetes: the new pod logs 'using fallback' and the logs check fails."""
    configmap(kube_cluster, {})
    kube_cluster.add_deployment("app", containers())
    pod = kube_cluster.pods("app")[0]["metadata"]["name"]
    kube_cluster.add_logs(pod, WEB, ["decision: using fallback (model endpoint 503)"])
    _, by = verify(git_repo, kube_cluster)
    assert by["logs"].result == "fail" and "using fallback" in by["logs"].summary


@pytest.mark.parametrize("fault", ["500", "hang"])
def test_api_faults_are_inconclusive_never_pass(kube_cluster: FakeCluster, git_repo: GitRepo, fault: str) -> None:
    """An API answering 500 or hanging (until teardown): every check is inconclusive and the verdict arrives by
    the deadline."""
    configmap(kube_cluster, {})
    kube_cluster.add_deployment("app", containers())
    if fault == "500":
        kube_cluster.fail_with(500)
    else:
        kube_cluster.hang()
    t0 = time.monotonic()
    sv, by = verify(git_repo, kube_cluster, deadline=5)
    assert time.monotonic() - t0 < GENEROUS                   # the hang never ends: only the deadline can
    assert sv.verdict == "inconclusive"
    assert {c.result for c in by.values()} == {"inconclusive"}
