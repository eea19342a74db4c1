"""What init discovers from parsed compose files, manifests and task definitions (pure parts)."""

from __future__ import annotations

import tomllib

from deploystate.state.config.config import validate_config
from deploystate.state.discovery.found import Discovery, Found, compose_services, safe_name, share_files
from deploystate.state.discovery.found_workloads import ecs_service, kubernetes_services
from deploystate.state.discovery.starter import starter_toml, toml_value


def test_safe_name_makes_valid_unique_service_names():
    """Upper case, dots and clashes become valid, distinct deploystate names."""
    assert safe_name("Celery.Worker") == "celery-worker"
    assert safe_name("_x_") == "x"
    assert safe_name("api", {"api", "api-2"}) == "api-3"
    assert safe_name("!!!") == "service"


def test_compose_build_context_and_outside_dockerfile_become_paths():
    """build: {context, dockerfile} gives the context glob plus a Dockerfile kept outside it."""
    doc = {"services": {"api": {"build": {"context": "../src/api", "dockerfile": "../../docker/api.Dockerfile"}}}}
    [api] = compose_services(doc, "deploy", ["deploy/compose.yaml"], False)
    assert api.paths == ["src/api/**", "docker/api.Dockerfile"]
    assert api.target == {"service": "api", "compose_files": ["deploy/compose.yaml"], "build": True}
    assert api.restart == "recreate"


def test_compose_remote_or_interpolated_context_is_not_guessed():
    """A git URL or ${VAR} context gives no paths and a note saying what to add."""
    doc = {"services": {"a": {"build": "https://github.com/x/y.git"}, "b": {"build": {"context": "${CTX}"}}}}
    a, b = compose_services(doc, "", ["docker-compose.yml"], False)
    assert a.paths == [] and b.paths == []
    assert all("not a folder of this repository" in " ".join(f.notes) for f in (a, b))


def test_compose_image_only_service_recreates_and_pulls_only_when_asked():
    """An image-only service is recreated, pull stays false, and the note explains pull = true."""
    [cache] = compose_services({"services": {"cache": {"image": "redis:7"}}}, "", ["compose.yml"], False)
    assert cache.restart == "recreate" and cache.target["pull"] is False and "build" not in cache.target
    assert "pull = true" in cache.notes[0]


def test_compose_names_are_sanitised_and_keep_the_compose_name():
    """A compose name that is not a valid service name keeps it in `service`."""
    [f] = compose_services({"services": {"Web.App": {"image": "x"}}}, "", ["compose.yml"], False)
    assert f.name == "web-app" and f.target["service"] == "Web.App"


def test_compose_published_port_suggests_the_http_check_url():
    """Short and long port syntax both give the published host port."""
    doc = {"services": {"a": {"image": "x", "ports": ["80", "127.0.0.1:8081:80/tcp"]},
                        "b": {"image": "x", "ports": [{"target": 80, "published": "9000"}]}}}
    a, b = compose_services(doc, "", ["compose.yml"], False)
    assert (a.http_port, b.http_port) == (8081, 9000)


def test_env_file_shared_by_some_services_joins_their_paths_not_all_services():
    """A file used by two of three services goes into those two services' paths only."""
    found = Discovery(services=[Found("a", "compose", "c", shared=["c.yml", "shared.env"]),
                                Found("b", "compose", "c", shared=["c.yml", "shared.env"]),
                                Found("c", "compose", "c", shared=["c.yml"])])
    share_files(found)
    assert found.all_services == [(["c.yml"], "defines every service")]
    assert [f.paths for f in found.services] == [["shared.env"], ["shared.env"], []]


def test_kubernetes_list_items_and_default_namespace():
    """Deployments inside a `kind: List` are found; a missing namespace means 'default'."""
    docs = [{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
         "spec": {"template": {"spec": {"containers": [{"name": "api"}]}}}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}}]}]
    [api] = kubernetes_services(docs, "k8s/all.yaml", set())
    assert api.target == {"deployment": "api", "namespace": "default"} and api.paths == ["k8s/all.yaml"]


def test_ecs_task_definition_plain_or_wrapped():
    """A registered task definition is found as it is or inside describe-task-definition's wrapper."""
    plain = {"family": "api", "containerDefinitions": []}
    assert ecs_service(plain, "td.json").target == {"cluster": "default", "service": "api"}
    assert ecs_service({"taskDefinition": plain}, "td.json").name == "api"
    assert ecs_service({"family": "x"}, "td.json") is None


def test_starter_toml_escapes_values_and_validates():
    """Names and paths with quotes or unicode are written as valid TOML that the schema accepts."""
    f = Found("web", "compose", 'odd "dir"/compose.yml', target={"compose_files": ['odd "dir"/compose.yml']},
              paths=['odd "dir"/web/**', "é/**"], restart="recreate")
    text = starter_toml(Discovery(services=[f], skipped=['x.yaml: "bad"']), 'proj "q"', ["main"])
    data = tomllib.loads(text)
    assert data["services"]["web"]["paths"] == ['odd "dir"/web/**', "é/**"]
    assert validate_config(data, text).services["web"].restart == "recreate"
    assert toml_value(["a", 1, True]) == '["a", 1, true]'
