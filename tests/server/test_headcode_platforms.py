"""The one "runs HEAD's code" rule on a Kubernetes Deployment (kmock emulator, official client; the commit in
the pod's GIT_SHA env) and on a command service (a real observe_cmd printing the commit), through `verify` and
`state` on the CLI: unchanged since the running commit passes, a change to the service's files fails naming
them, and a runtime that moved away from the recorded deploy is drift whatever the ledger says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.fixtures.gitrepo import GitRepo
from tests.fixtures.kube import FakeCluster
from tests.server._cli import ds, ds_json
from tests.verify.support import make_project, record_deploy

KUBE = """\
[services.app]
platform = "kubernetes"
deployment = "app"
host = "{host}"
paths = ["app/**"]
revision = {{ source = "env", name = "GIT_SHA" }}

[[services.app.checks]]
type = "revision"
"""

COMMAND = """\
[services.app]
platform = "command"
paths = ["app/**"]
restart_cmd = ["true"]
observe_cmd = ["cat", "{state}"]

[[services.app.checks]]
type = "revision"
"""


def _kube(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Callable[[str], None]]:
    cluster: FakeCluster = request.getfixturevalue("kube_cluster")

    def runs(commit: str) -> None:
        """What a rollout of ``commit`` leaves: the pods' container env says GIT_SHA=commit."""
        env = [{"name": "GIT_SHA", "value": commit}]
        containers = [{"name": "web", "image": "registry.test/app:latest", "env": env}]
        try:
            cluster.get("apps/v1/deployments", "default", "app")
        except KeyError:
            cluster.add_deployment("app", containers)
            return
        cluster.edit_deployment("app", lambda d: d["spec"]["template"]["spec"].update(containers=containers))
        cluster.controller_step("app")
    return KUBE.format(host=cluster.host), runs


def _command(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Callable[[str], None]]:
    state = tmp_path / "app-state.json"

    def runs(commit: str) -> None:
        """What the app's own status file says (observe_cmd reads it: a real subprocess)."""
        state.write_text(json.dumps({"state": "running", "pid": 4242, "revision": commit}))
    return COMMAND.format(state=state), runs


@pytest.fixture(params=[_kube, _command], ids=["kubernetes-env", "command"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Callable[[str], None]]:
    """(deploystate.toml text, a function making the runtime report a commit)."""
    return request.param(request, tmp_path)


def _verify(capsys: Any, repo: GitRepo) -> tuple[int, str]:
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "app", "--deadline", "30", "--quiet")
    return code, out + err


def _state(capsys: Any, repo: GitRepo) -> tuple[dict[str, Any], dict[str, Any]]:
    _code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "30")
    return data, next(s for s in data["services"] if s["name"] == "app")


def test_unchanged_passes_changed_fails_and_runtime_drift_is_not_deployed(git_repo: GitRepo, capsys: Any,
                                                                         runtime) -> None:
    """Runtime at A; HEAD B changes docs only -> verify passes and state says it runs HEAD's code; HEAD C
    changes app/main.py -> state is DRIFT and verify fails naming it; a deploy of C on record and running C
    passes, then the runtime moves back to A -> verify fails and state is DRIFT although the ledger says C."""
    config, runs = runtime
    project, _ = make_project(git_repo, config, {"docs/readme.md": "v1\n"})
    first = git_repo.head()
    runs(first)
    git_repo.commit("docs", {"docs/readme.md": "v2\n"})
    code, out = _verify(capsys, git_repo)
    assert code == 0 and "VERIFY PASS" in out, out                # B's code for app is A's
    data, app = _state(capsys, git_repo)
    assert app["observed"]["verdict"] == "runs_head", app["observed"]

    fixed = git_repo.commit("fix app", {"app/main.py": "print('v2')\n"})
    data, app = _state(capsys, git_repo)
    assert data["status"] == "DRIFT" and app["observed"]["verdict"] == "not_head", data["reason"]
    assert app["observed"]["files"] == ["app/main.py"] and f"app runs {first[:10]}" in data["reason"]
    code, out = _verify(capsys, git_repo)
    assert code != 0 and "VERIFY PASS" not in out and "app/main.py" in out and first[:12] in out, out

    record_deploy(project, "app", fixed)
    runs(fixed)
    code, out = _verify(capsys, git_repo)
    assert code == 0 and "VERIFY PASS" in out, out
    runs(first)                                                   # rolled back outside deploystate
    data, app = _state(capsys, git_repo)
    assert app["running_commit"] == fixed                         # the ledger's word
    assert data["status"] == "DRIFT" and app["drift"]["state"] == "committed, not running", data["reason"]
    assert app["drift"]["files"] == ["app/main.py"]
    code, out = _verify(capsys, git_repo)
    assert code != 0 and "app/main.py" in out, out
    code, out, err = ds(capsys, "--root", str(git_repo.path), "mark-deployed", "app", "--note", "x")
    assert code == 1 and "not marking deployed" in err, out + err
