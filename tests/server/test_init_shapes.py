"""``deploystate init`` on repositories shaped like microservices-demo and awesome-compose (real git repos)."""

from __future__ import annotations

import pytest

from deploystate.state.config.config import load_config
from deploystate.state.config.mapping import matches

from ._cli import ds, ds_json
from .init_shapes import MICROSERVICES, REACT_EXPRESS_MYSQL, WORKLOADS


def _init(git_repo, capsys, files: dict[str, str], *extra: str) -> dict:
    for rel, text in files.items():
        git_repo.write(rel, text)
    git_repo.commit("import")
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init", *extra)
    assert code == 0, data
    return data


def test_one_service_per_workload_however_many_files_define_it(git_repo, capsys):
    """Manifests, kustomize base, Helm template and release bundle give one service per Deployment; the
    `$patch: delete` component is not a service, and every defining file is in that service's paths."""
    _init(git_repo, capsys, MICROSERVICES)
    cfg = load_config(git_repo.path / "deploystate.toml")
    assert sorted(cfg.services) == sorted(WORKLOADS)
    ad = cfg.services["adservice"]
    assert ad.deployment == "adservice" and ad.namespace == "default"
    for f in ("kubernetes-manifests/adservice.yaml", "kustomize/base/adservice.yaml",
              "release/kubernetes-manifests.yaml", "helm-chart/templates/adservice.yaml",
              "kustomize/base/kustomization.yaml"):
        assert f in ad.paths, f
    lg = cfg.services["loadgenerator"].paths
    assert "kustomize/components/without-loadgenerator/delete-loadgenerator.yaml" in lg
    assert "kustomize/components/without-loadgenerator/delete-loadgenerator.yaml" not in ad.paths


def test_each_service_paths_include_its_source_folder_from_skaffold(git_repo, capsys):
    """skaffold.yaml's artifact contexts become the paths of the workloads running those images."""
    data = _init(git_repo, capsys, MICROSERVICES)
    cfg = load_config(git_repo.path / "deploystate.toml")
    for name, src in WORKLOADS.items():
        if src:
            assert cfg.services[name].paths[0] == f"{src}/**", name
    text = (git_repo.path / "deploystate.toml").read_text()
    assert "# src/adservice/**: image adservice <- skaffold.yaml build.artifacts[adservice].context" in text
    redis = data["services"]["redis-cart"]
    assert any("no build of its image (redis:alpine)" in w for w in redis["warnings"])


def test_affected_on_a_change_under_src_adservice_names_adservice_only(git_repo, capsys):
    """After init, a commit touching src/adservice/ affects adservice and nothing else."""
    _init(git_repo, capsys, MICROSERVICES)
    base = git_repo.commit("config")
    git_repo.commit("fix ads", {"src/adservice/src/main/AdService.java": "class AdService { int fixed; }\n"})
    code, data = ds_json(capsys, "--root", str(git_repo.path), "affected", "--base", base)
    assert code == 0 and data["affected"] == ["adservice"]


def test_kubernetes_revision_is_the_env_the_manifest_sets_else_the_line_to_add(git_repo, capsys):
    """A manifest env GIT_SHA becomes the env source; without one init prints the env line to add."""
    files = dict(MICROSERVICES)
    files["kubernetes-manifests/adservice.yaml"] = files["kubernetes-manifests/adservice.yaml"].replace(
        "          image: adservice", "          image: adservice\n          env: [{name: GIT_SHA, value: abc}]")
    data = _init(git_repo, capsys, files)
    cfg = load_config(git_repo.path / "deploystate.toml")
    assert (cfg.services["adservice"].revision.source, cfg.services["adservice"].revision.name) == ("env", "GIT_SHA")
    cart = cfg.services["cartservice"].revision
    assert (cart.source, cart.name) == ("env", "GIT_COMMIT")
    todo = data["services"]["cartservice"]["revision"]["todo"]
    assert "deployment/cartservice" in todo and "GIT_COMMIT" in todo
    code, out, _ = ds(capsys, "--root", str(git_repo.path), "init", "--force")
    assert code == 0 and "cartservice: add: in the pod template of deployment/cartservice" in out


def test_bind_mounted_source_with_a_watcher_gets_the_worktree_revision(git_repo, capsys):
    """react-express-mysql: backend/src is bind-mounted and run under nodemon -> worktree, reloads."""
    _init(git_repo, capsys, REACT_EXPRESS_MYSQL)
    cfg = load_config(git_repo.path / "deploystate.toml")
    backend, frontend, db = cfg.services["backend"], cfg.services["frontend"], cfg.services["db"]
    assert backend.revision.source == "worktree" and backend.revision.reloads is True
    assert backend.revision.mounted == ["backend/src/**"] and backend.paths == ["backend/**"]
    assert frontend.revision.source == "worktree" and frontend.revision.reloads is True   # react-scripts start
    assert db.revision.source == "label" and db.paths == []


def test_bind_mount_without_a_watcher_does_not_claim_to_reload(git_repo, capsys):
    """The production target (plain `npm start` = node) reloads nothing: reloads = false."""
    files = dict(REACT_EXPRESS_MYSQL)
    files["compose.yaml"] = files["compose.yaml"].replace("target: development", "target: production", 1)
    _init(git_repo, capsys, files)
    backend = load_config(git_repo.path / "deploystate.toml").services["backend"]
    assert backend.revision.source == "worktree" and backend.revision.reloads is False


@pytest.mark.parametrize("project", ["angular", "react-express-mysql"])
def test_names_say_which_compose_project_they_come_from(git_repo, capsys, project):
    """Several compose projects sharing service names give `<project>-<service>` names, still valid."""
    files = {"angular/compose.yaml": "services:\n  web:\n    build: .\n",
             "angular/Dockerfile": "FROM scratch\n",
             "react-express-mysql/compose.yaml": "services:\n  web:\n    build: .\n  db:\n    image: mariadb\n",
             "react-express-mysql/Dockerfile": "FROM scratch\n"}
    _init(git_repo, capsys, files)
    cfg = load_config(git_repo.path / "deploystate.toml")
    assert f"{project}-web" in cfg.services and "db" in cfg.services and "web" not in cfg.services
    web = cfg.services[f"{project}-web"]
    assert web.service == "web" and web.paths[0] == f"{project}/**"


def test_same_deployment_name_in_two_namespaces_gets_the_namespace_in_front(git_repo, capsys):
    """`api` in namespaces payments and shop become payments-api and shop-api."""
    dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: {ns}}}\n" \
          "spec: {{template: {{spec: {{containers: [{{name: api, image: api}}]}}}}}}\n"
    _init(git_repo, capsys, {"k8s/payments.yaml": dep.format(ns="payments"), "k8s/shop.yaml": dep.format(ns="shop")})
    cfg = load_config(git_repo.path / "deploystate.toml")
    assert sorted(cfg.services) == ["payments-api", "shop-api"]
    assert cfg.services["payments-api"].namespace == "payments"


def test_build_context_at_the_root_is_warned_about_not_written_silently(git_repo, capsys):
    """A root build context gives paths ["**"] with a printed warning and a suggestion."""
    for rel, text in {"compose.yaml": "services:\n  app:\n    build: .\n", "Dockerfile": "FROM scratch\n"}.items():
        git_repo.write(rel, text)
    code, out, _ = ds(capsys, "--root", str(git_repo.path), "init")
    assert code == 0 and "WARNING app: its build context is the whole repository" in out
    assert 'paths = ["**"]' in (git_repo.path / "deploystate.toml").read_text()
    assert matches("**", "anything/at/all")


def test_dry_run_prints_the_config_and_where_each_field_came_from_and_writes_nothing(git_repo, capsys):
    """--dry-run writes no file and prints the TOML plus per-service provenance (paths, revision)."""
    for rel, text in MICROSERVICES.items():
        git_repo.write(rel, text)
    code, out, _ = ds(capsys, "--root", str(git_repo.path), "init", "--dry-run")
    assert code == 0 and not (git_repo.path / "deploystate.toml").exists()
    assert not (git_repo.path / ".deploystate").exists()
    assert "[services.adservice]" in out and "# adservice:" in out
    assert "#   paths src/adservice/**: image adservice <- skaffold.yaml build.artifacts[adservice].context" in out
    assert "#   deployment: kubernetes-manifests/adservice.yaml: kind Deployment, metadata.name" in out
    assert "#   revision: image adservice has no tag" in out
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init", "--dry-run")
    assert data["dry_run"] and "[services.cartservice]" in data["toml"]
    assert data["services"]["adservice"]["origins"]["namespace"] == "no file sets one: the API's default"


def _many(git_repo, n: int) -> None:
    for i in range(n):
        git_repo.write(f"k8s/svc{i:02d}.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: svc%02d}\n"
                       "spec: {template: {spec: {containers: [{name: c, image: img}]}}}\n" % i)


def test_more_than_twenty_workloads_without_a_tty_is_refused_with_how_to_pass_only(git_repo, capsys):
    """21 candidates and no --only: exit 2, nothing written, the message says how to pass --only."""
    _many(git_repo, 21)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "init")
    assert code == 2 and "found 21 candidate workloads" in err and "--only 'GLOB'" in err
    assert not (git_repo.path / "deploystate.toml").exists()
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init", "--only", "svc0*", "--only", "k8s/svc20.yaml")
    assert code == 0 and sorted(data["services"]) == [f"svc{i:02d}" for i in range(10)] + ["svc20"]
    assert data["candidates"] == 21
    assert sorted(load_config(git_repo.path / "deploystate.toml").services) == sorted(data["services"])


def test_twenty_workloads_are_written_without_asking(git_repo, capsys):
    """At the limit (20) init writes them all."""
    _many(git_repo, 20)
    code, data = ds_json(capsys, "--root", str(git_repo.path), "init")
    assert code == 0 and len(data["services"]) == 20


def test_only_matching_nothing_is_an_input_error(git_repo, capsys):
    """--only that selects nothing writes nothing and says how to list the names."""
    _many(git_repo, 2)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "init", "--only", "nope*")
    assert code == 2 and "matches none of the 2 services" in err and "--dry-run" in err
    assert not (git_repo.path / "deploystate.toml").exists()


def test_more_than_twenty_workloads_on_a_terminal_asks_which(git_repo):
    """On a tty init lists the candidates and writes only the services matching the globs typed in."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    _many(git_repo, 21)
    exe = Path(sys.executable).with_name("deploystate")
    primary, secondary = os.openpty()
    child = subprocess.Popen([str(exe), "--root", str(git_repo.path), "init"], stdin=secondary, stdout=secondary,
                             stderr=secondary, close_fds=True)
    os.close(secondary)
    os.write(primary, b"svc1*\n")                       # read by input() once it asks; the tty buffers it
    try:
        assert child.wait(timeout=120) == 0
    finally:
        output = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        os.close(primary)
    text = output.decode(errors="replace")
    assert "found 21 candidate workloads" in text and "globs of the services to configure" in text
    assert sorted(load_config(git_repo.path / "deploystate.toml").services) == [f"svc{i}" for i in range(10, 20)]
