"""``deploystate init`` end to end on real temporary git repositories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from deploystate.state.config.config import ComposeService, load_config
from deploystate.state.config.project import Project

from ._cli import FILES, ds, ds_json, snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "compose"

K8S = """\
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - {name: web, image: "shop/web:1"}
        - {name: beat, image: "shop/web:1"}
"""

TASKDEF = {"taskDefinition": {"family": "Billing_Worker", "containerDefinitions": [{"name": "billing"}]}}


def test_init_from_compose_writes_a_valid_config_state_dir_and_state_file(git_repo, capsys):
    """init turns compose services into compose services (build -> recreate+build, image-only -> recreate)."""
    for rel, text in FILES.items():
        git_repo.write(rel, text)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "init")
    assert code == 0, err
    cfg = load_config(git_repo.path / "deploystate.toml")
    api, worker, cache = cfg.services["api"], cfg.services["worker"], cfg.services["cache"]
    assert isinstance(api, ComposeService)
    assert (api.restart, api.build, api.paths) == ("recreate", True, ["api/**"])
    assert worker.paths == ["worker/**", "worker/worker.env"] and worker.env_files == [".env", "worker/worker.env"]
    assert (cache.restart, cache.build, cache.pull, cache.paths) == ("recreate", False, False, [])
    assert api.compose_files == ["docker-compose.yml"] and api.project_name == "shop"
    rules = {tuple(r.paths): r.reason for r in cfg.all_services}
    assert ("docker-compose.yml",) in rules
    assert "every service" in rules[(".env",)], "compose reads .env for every service of the project"
    assert "worker/worker.env" not in api.paths + cache.paths
    state_dir = Project.discover(git_repo.path).state_dir
    assert state_dir == git_repo.path / ".git" / "deploystate"  # out of the work tree's reach
    assert (state_dir / "ledger.jsonl").is_file()
    assert (state_dir / ".gitattributes").read_text().count("merge=union") == 1
    assert "# Deployment state:" in (git_repo.path / "DEPLOYMENT_STATE.md").read_text()
    assert "api" in out and "compose" in out


def test_init_refuses_to_overwrite_without_force_and_keeps_the_ledger_with_it(git_repo, capsys):
    """A second init exits 2 and writes nothing; --force rewrites the config and keeps the ledger."""
    git_repo.write("docker-compose.yml", "services:\n  web:\n    image: nginx\n")
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    ledger = Project.discover(git_repo.path).ledger.path
    ledger.write_text('{"kept": true}\n')
    (git_repo.path / "deploystate.toml").write_text("# mine\n")
    before = snapshot(git_repo.path)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "init")
    assert code == 2 and "already exists" in err and "--force" in err
    assert snapshot(git_repo.path) == before
    assert ds(capsys, "--root", str(git_repo.path), "init", "--force")[0] == 0
    assert "[services.web]" in (git_repo.path / "deploystate.toml").read_text()
    assert ledger.read_text() == '{"kept": true}\n'


def test_init_validate_reports_ok_or_the_config_error(git_repo, capsys):
    """--validate writes nothing: exit 0 for a good file, 2 with file:line and key for a bad one."""
    cfg = git_repo.write("deploystate.toml", '[services.api]\nplatform = "compose"\npaths = ["api/**"]\n')
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init", "--validate")
    assert code == 0 and data == {"ok": True, "config": str(cfg), "services": {"api": "compose"}}
    cfg.write_text('[services.api]\nplatform = "compose"\nrestart = "bounce"\n')
    before = snapshot(git_repo.path)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "init", "--validate")
    assert code == 2 and f"{cfg}:3: services.api.restart" in err and "'recreate'" in err
    assert snapshot(git_repo.path) == before


def test_init_finds_kubernetes_deployments_and_ecs_task_definitions(git_repo, capsys):
    """Deployment manifests become kubernetes services, task definition JSON becomes ecs services."""
    git_repo.write("k8s/web.yaml", K8S)
    git_repo.write("k8s/chart/templates/dep.yaml", "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n")
    git_repo.write("web/main.py", "")
    git_repo.write("deploy/taskdef.json", json.dumps(TASKDEF))
    git_repo.write("package.json", '{"name": "not-a-task-definition"}')
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init")
    assert code == 0
    cfg = load_config(git_repo.path / "deploystate.toml")
    web = cfg.services["web"]
    assert (web.platform, web.deployment, web.namespace, web.restart) == ("kubernetes", "web", "shop", "rollout")
    assert web.containers == ["web", "beat"] and web.paths == ["web/**", "k8s/web.yaml"]
    billing = cfg.services["billing_worker"]
    assert (billing.platform, billing.service, billing.restart) == ("ecs", "Billing_Worker", "force_new_deployment")
    assert billing.paths == ["deploy/taskdef.json"]
    assert sorted(cfg.services) == ["billing_worker", "web"]
    assert any("templates/dep.yaml" in s and "template" in s for s in data["skipped"])


def test_init_with_nothing_found_writes_a_valid_commented_starter(git_repo, capsys):
    """An empty repository still gets a config that validates, with commented examples to copy."""
    git_repo.write("README.md", "hello\n")
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    text = (git_repo.path / "deploystate.toml").read_text()
    assert "# [services.api]" in text and tomllib.loads(text)["project"]["name"] == "repo"
    assert load_config(git_repo.path / "deploystate.toml").services == {}


def test_init_on_the_example_stack_matches_its_handwritten_paths(git_repo, capsys):
    """init on examples/compose finds api and worker with the paths the committed example config uses."""
    shutil.copytree(EXAMPLE, git_repo.path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".deploystate", "deploystate.toml", "DEPLOYMENT_STATE.md"))
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    found = load_config(git_repo.path / "deploystate.toml")
    written = load_config(EXAMPLE / "deploystate.toml")
    for name in ("api", "worker"):
        assert found.services[name].paths == written.services[name].paths
        assert found.services[name].restart == written.services[name].restart == "recreate"
    assert sorted(p for r in found.all_services for p in r.paths) == sorted(written.all_services[0].paths)


def test_installed_console_script_runs_init_and_state(git_repo):
    """The `deploystate` console script initialises a repository and shows its state (real process)."""
    for rel, text in FILES.items():
        git_repo.write(rel, text)
    git_repo.commit("shop")
    exe = Path(sys.executable).with_name("deploystate")
    init = subprocess.run([str(exe), "init"], cwd=git_repo.path, capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    state = subprocess.run([str(exe), "state"], cwd=git_repo.path / "api", capture_output=True, text=True,
                           timeout=60)
    assert state.returncode == 0, state.stderr
    assert "never deployed" in state.stdout and "worker" in state.stdout
