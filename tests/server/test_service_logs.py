"""service_logs (MCP) and `deploystate logs` on real runtimes: the Docker engine (current and previous
container instance) and the Kubernetes emulator; bounded, filtered and redacted."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from mcp.client import Client

from deploystate.platforms.registry import use
from deploystate.server import cli
from deploystate.server.mcp.mcp_app import build_server
from tests.fixtures.kube import DEPLOYMENTS, FakeCluster, oom_killed
from tests.server.mcp_support import make_project, project, run, text  # noqa: F401 (fixture)

SECRET = "DB_PASSWORD=hunter2hunter2value"
CRASH_ONCE = ("if [ -f /tmp/ran ]; then echo 'second run: serving'; exec sleep 300; fi; touch /tmp/ran; "
              f"echo 'first run: {SECRET}'; echo 'Traceback: worker died'; exit 3")


def _logs(root, *calls):
    async def body():
        async with Client(build_server(root=str(root))) as client:
            return [await client.call_tool("service_logs", args) for args in calls]
    return run(body)


@pytest.fixture
def crashed_container(dockerd, docker_images):
    """A container that crashed once (restart policy) and now runs its second instance."""
    name = f"dsl{uuid.uuid4().hex[:8]}"
    image = docker_images.build(f"{docker_images.name('logs')}:{name}", None)
    container = docker_images.client.containers.run(image, name=name, detach=True, labels={"test": name},
                                                    restart_policy={"Name": "on-failure"},
                                                    command=["sh", "-c", CRASH_ONCE])
    end = time.monotonic() + 60
    while "second run" not in container.logs().decode():
        assert time.monotonic() < end, "the container never reached its second run"
        time.sleep(0.1)
    yield name
    container.remove(force=True)


@pytest.mark.docker
def test_docker_current_and_previous_instance_logs_redacted(git_repo, dockerd, crashed_container, capsys):
    """Docker: the current instance's lines by default, the crashed one's with previous=true, secrets hidden."""
    from deploystate.platforms.docker.docker import DockerPlatform

    project = make_project(git_repo, f'[services.api]\nplatform = "docker"\ncontainer = "{crashed_container}"\n'
                                     'paths = ["web/**"]\n')
    with use("docker", DockerPlatform(docker_host=dockerd.host)):
        current, previous, grepped = _logs(project.root, {"service": "api", "since": "1h"},
                                           {"service": "api", "previous": True},
                                           {"service": "api", "previous": True, "grep": "Traceback"})
        code = cli.main(["logs", "api", "--previous", "--json", "--root", str(project.root)])
    for result in (current, previous, grepped):
        assert not result.is_error, text(result)
        assert "hunter2hunter2value" not in text(result) + json.dumps(result.structured_content)
    assert any("second run" in line for line in current.structured_content["lines"])
    prev = previous.structured_content["lines"]
    assert any("first run" in line and "[REDACTED]" in line for line in prev)
    assert not any("second run" in line for line in prev)  # only the instance that crashed
    assert [line for line in grepped.structured_content["lines"]] == ["Traceback: worker died"]
    out = capsys.readouterr().out
    assert code == 0 and "hunter2hunter2value" not in out and json.loads(out)["previous"] is True


def test_kubernetes_logs_previous_grep_and_bounds(git_repo, kube_cluster: FakeCluster):
    """Kubernetes: pod logs and the previous container's, a grep, the last max_lines only, redacted."""
    from deploystate.platforms.kubernetes.kubernetes import KubernetesPlatform

    kube_cluster.add_deployment("app", [{"name": "web", "image": "registry.test/app:1"}])
    kube_cluster.controller_step("app", containers={"web": oom_killed(restarts=1)})  # it died once
    assert kube_cluster.get(DEPLOYMENTS, "default", "app")
    pod = kube_cluster.pods("app")[0]["metadata"]["name"]
    kube_cluster.add_logs(pod, "web", [f"line {i}" for i in range(30)] + [f"connecting with {SECRET}"])
    kube_cluster.add_logs(pod, "web", ["OOMKilled soon: allocating"], previous=True)
    project = make_project(git_repo, f'[services.app]\nplatform = "kubernetes"\ndeployment = "app"\n'
                                     f'host = "{kube_cluster.host}"\npaths = ["web/**"]\n')
    with use("kubernetes", KubernetesPlatform()):
        tail, previous, grepped = _logs(project.root, {"service": "app", "since": "1h", "max_lines": 5},
                                        {"service": "app", "previous": True},
                                        {"service": "app", "since": "1h", "grep": "line 1[0-9]"})
    assert not tail.is_error, text(tail)
    t = tail.structured_content
    assert len(t["lines"]) == 5 and t["matched"] == 31 and t["truncated"] is True
    assert "[REDACTED]" in t["lines"][-1] and "hunter2hunter2value" not in text(tail)
    assert any("OOMKilled soon" in line for line in previous.structured_content["lines"])
    assert grepped.structured_content["matched"] == 10


def test_unknown_service_and_bad_grep_are_clear_errors(project):
    """A service not in deploystate.toml lists the known ones; an invalid regex says how to fix it."""
    unknown, bad = _logs(project.root, {"service": "nginx"}, {"service": "web", "grep": "("})
    assert unknown.is_error and "unknown service: nginx" in text(unknown)
    assert bad.is_error and "not a valid regular expression" in text(bad)
