"""The pure parts of init's discovery: build links (skaffold, cloudbuild, GitHub Actions, compose), one
workload across files (kustomize namespace and patches, StatefulSet/DaemonSet, Helm), revision choices."""

from __future__ import annotations

from pathlib import Path

import yaml

from deploystate.state.discovery import found_build as fb
from deploystate.state.discovery.discover import discover
from deploystate.state.discovery.found_k8s import collect, kustomization, strip_helm, workload_docs
from deploystate.state.discovery.found_revision import bind_mounts, kubernetes_plan, watcher
from deploystate.state.discovery.found_workloads import kubernetes_services

GHA = """\
jobs:
  build:
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: services/api
          file: docker/api.Dockerfile
          tags: ghcr.io/acme/api:${{ github.sha }}, ghcr.io/acme/api:latest
      - run: |
          docker build -t ghcr.io/acme/worker:$GITHUB_SHA \\
            -f services/worker/Dockerfile services/worker
"""


def test_github_actions_build_push_action_and_run_docker_build_name_contexts():
    """Both step shapes link an image repository to its context (tags with ${{ }} keep their repository)."""
    links = fb.actions_links(yaml.safe_load(GHA), ".github/workflows/ci.yml")
    by = {link.image: link for link in links}
    assert by["ghcr.io/acme/api"].context == "services/api" and by["ghcr.io/acme/api"].dockerfile == "docker/api.Dockerfile"
    assert by["ghcr.io/acme/worker"].context == "services/worker"
    assert "jobs.build.steps[1] docker/build-push-action" in by["ghcr.io/acme/api"].origin


def test_cloudbuild_docker_build_steps_name_contexts_relative_to_dir():
    """A Cloud Build docker step's last positional argument is the context, under the step's dir."""
    doc = {"steps": [{"name": "gcr.io/cloud-builders/docker", "dir": "src",
                      "args": ["build", "-t", "gcr.io/$PROJECT_ID/cart:$SHORT_SHA", "--build-arg", "X=1", "cart"]},
                     {"name": "gcr.io/cloud-builders/docker", "args": ["push", "gcr.io/p/cart"]}]}
    [link] = fb.cloudbuild_links(doc, "cloudbuild.yaml")
    assert (link.context, link.image) == ("src/cart", "gcr.io/$PROJECT_ID/cart")
    assert fb.source_for(["us-docker.pkg.dev/p/r/cart:v1"], [], [link], []).context == "src/cart"   # by its name


def test_skaffold_profiles_and_contexts_outside_the_repo():
    """Profiles' artifacts count; a context outside the repository is not a link."""
    doc = {"build": {"artifacts": [{"image": "a", "context": "../elsewhere"}]},
           "profiles": [{"name": "gcb", "build": {"artifacts": [{"image": "b", "context": "src/b"}]}}]}
    [link] = fb.skaffold_links(doc, "skaffold.yaml")
    assert (link.image, link.context) == ("b", "src/b") and "profiles[gcb]" in link.origin


def test_source_for_prefers_the_full_repository_then_the_short_name_then_a_folder_guess():
    """An exact repository beats a short-name match; a Dockerfile folder named like it is only a guess."""
    links = [fb.BuildLink("other/api", "x", None, "o1"), fb.BuildLink("reg/acme/api", "src/api", None, "o2")]
    assert fb.source_for(["reg/acme/api:v1"], [], links, []).context == "src/api"
    assert fb.source_for(["elsewhere/api:v1"], [], links[:1], []).context == "x"
    guess = fb.source_for(["zzz:1"], ["web"], [], ["apps/web/Dockerfile"])
    assert guess.context == "apps/web" and guess.guessed


def test_kustomization_namespace_and_listed_patches():
    """A kustomization's namespace applies to its resources; files under `patches` are not definitions."""
    dep = yaml.safe_load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"
                         "spec: {template: {spec: {containers: [{name: api, image: api}]}}}\n")
    k = kustomization({"namespace": "prod", "resources": ["api.yaml"], "patches": [{"path": "more.yaml"}]},
                      "k/kustomization.yaml")
    [w] = collect({"k/api.yaml": [dep], "k/more.yaml": [dep]}, [k])
    assert w.namespace == "prod" and w.defined_in == ["k/api.yaml"]
    assert set(w.files) == {"k/api.yaml", "k/more.yaml", "k/kustomization.yaml"}


def test_statefulsets_and_daemonsets_are_services_of_their_kind():
    """A StatefulSet and a DaemonSet with pod templates become services naming their kind."""
    docs = [{"apiVersion": "apps/v1", "kind": k, "metadata": {"name": n},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}
            for k, n in (("StatefulSet", "db"), ("DaemonSet", "agent"))]
    found = {f.name: f for f in kubernetes_services(docs, "k8s/all.yaml", set())}
    assert found["db"].target["statefulset"] == "db" and found["agent"].target["daemonset"] == "agent"


def test_helm_values_fill_names_and_templated_names_are_not_guessed():
    """`.Values.x` from values.yaml fills a name; `include` stays templated and gives no workload."""
    text = ("{{- if .Values.on }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.app.name }}\n"
            "spec: {template: {spec: {containers: [{name: c, image: i}]}}}\n{{- end }}\n")
    assert [n for _, n, _, _ in workload_docs(yaml.safe_load_all(strip_helm(text, {"app": {"name": "web"}})))] == ["web"]
    templated = text.replace(".Values.app.name", 'include "chart.fullname" .')
    assert workload_docs(yaml.safe_load_all(strip_helm(templated, {}))) == []


def test_bind_mounts_skip_named_volumes_and_data_folders_and_watchers_are_found():
    """Named volumes, ${VAR} sources and data folders are not code mounts; nodemon/--reload are watchers."""
    rel = lambda s: s.lstrip("./")  # noqa: E731
    vols = ["db:/var/lib/mysql", "./data:/data", "./src:/app/src:ro", {"type": "bind", "source": "./lib", "target": "/l"},
            "${HOME}/x:/x", "/code/node_modules"]
    assert bind_mounts(vols, rel) == ["src", "lib"]                  # /code/node_modules: anonymous volume
    assert watcher(["CMD npm run dev", "nodemon src/index.js"]) == "nodemon"
    assert watcher(["uvicorn app:app --reload"]) == "--reload" and watcher(["node src/index.js"]) is None


def test_kubernetes_revision_placeholder_tags_ask_for_the_env_line():
    """`latest` or no tag names no commit: env GIT_COMMIT with the exact line to add; a commit tag is read."""
    plan = kubernetes_plan([{"name": "web", "image": "acme/web:latest"}], "web")
    assert plan.table == {"source": "env", "name": "GIT_COMMIT"} and "'latest'" in plan.why
    assert "kubectl set env deployment/web -c web GIT_COMMIT=$(git rev-parse HEAD)" in plan.todo
    assert kubernetes_plan([{"name": "w", "image": "acme/web:3f2a9c1d"}], "web").table == {"source": "image_tag"}


def test_image_only_compose_service_built_in_ci_gets_its_source_and_the_label_to_add(tmp_path: Path):
    """compose runs ghcr.io/acme/api (no build); GitHub Actions builds it from services/api: that is its path."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(GHA)
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: ghcr.io/acme/api:latest\n"
                                           "  cache:\n    image: redis:7\n")
    found = {f.name: f for f in discover(tmp_path).services}
    assert found["api"].paths[0] == "services/api/**" and "build-push-action" in found["api"].origins["services/api/**"]
    assert "docker build --label org.opencontainers.image.revision=$(git rev-parse HEAD)" in found["api"].revision.todo
    assert found["cache"].revision.todo is None and any("revision_waiver" in n for n in found["cache"].notes)
