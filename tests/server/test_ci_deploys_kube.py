"""CI deploys on the Kubernetes emulator: the second report's shape (image tag `latest`, the commit in a
GIT_COMMIT env var); a controller applies the new template a little after the push; verify --wait judges."""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

from deploystate.hooks.git import install
from deploystate.platforms import registry
from deploystate.state.config.project import Project
from tests.fixtures.kube import FakeCluster

from ._cli import ds

CONFIG = """\
[project]
deployed_by = "ci"

[services.ai]
platform = "kubernetes"
deployment = "ai"
namespace = "default"
host = "{host}"
paths = ["app/**"]
revision = {{ source = "env", name = "GIT_COMMIT" }}
"""


def _containers(commit: str) -> list[dict]:
    return [{"name": "web", "image": "us-docker.pkg.dev/p/app/ai-service:latest",
             "env": [{"name": "GIT_COMMIT", "value": commit}]}]


@pytest.fixture
def shop(git_repo, git_remote, kube_cluster: FakeCluster):
    registry.reset()
    a = git_repo.commit("A", {"deploystate.toml": CONFIG.format(host=kube_cluster.host), "app/main.py": "v1\n"})
    kube_cluster.add_deployment("ai", _containers(a))
    git_repo.git("push", "-q", "origin", "main")
    install.install(git_repo.path, python=sys.executable)
    yield git_repo, kube_cluster, a
    registry.reset()


def _ci_applies(cluster: FakeCluster, commit: str, delay: float) -> threading.Thread:
    """Cloud Build's last step, later: the manifest's env rewritten to the commit, applied, rolled out."""
    def run() -> None:
        # "later" means after deploystate has looked at least once (no wall-clock race under load)
        seen = len(cluster.requests())
        for _ in range(600):
            if len(cluster.requests()) > seen:
                break
            time.sleep(0.1)
        time.sleep(delay)
        def change(dep: dict) -> None:
            dep["spec"]["template"]["spec"]["containers"] = _containers(commit)
        cluster.edit_deployment("ai", change)
        cluster.controller_step("ai")
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _records(repo, kind):
    path = Project.discover(repo.path).ledger.path
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["kind"] == kind]


def test_verify_wait_passes_once_the_controller_rolls_out_the_pushed_commit(shop, capsys):
    """push B (pending) → a controller applies B's template 3 s after deploystate first looks → verify --wait sees A, then B, and passes."""
    repo, cluster, a = shop
    b = repo.commit("B: fix", {"app/main.py": "v2\n"})
    push = repo.git("push", "origin", "main", check=False)
    assert push.returncode == 0 and "ai: pushed" in push.stderr, push.stderr
    ci = _ci_applies(cluster, b, 3.0)
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "240",
                        "--wait-interval", "0.5", "--json")
    ci.join(timeout=60)
    assert code == 0, err + out
    assert f"ai runs {a[:12]}" in err and f"rolled out: ai runs {b[:12]}" in err
    observed = _records(repo, "deploy")[-1]["payload"]
    assert observed["performed_by"] == "ci" and observed["commit"] == b and observed["status"] == "restarted"


def test_a_template_that_is_never_applied_fails_with_the_running_commit(shop, capsys):
    """The pipeline built but never applied: the env still says A; --wait fails 'CI did not deploy it'."""
    repo, cluster, a = shop
    repo.commit("B: fix", {"app/main.py": "v2\n"})
    assert repo.git("push", "origin", "main", check=False).returncode == 0
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "3",
                        "--wait-interval", "0.5", "--ci")
    assert code == 1 and f"CI did not deploy it within 3s (still running {a[:12]})" in out, out + err
