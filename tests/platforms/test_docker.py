"""The Docker Engine platform against a real dockerd (containers by name or label), plus the
conversion of inspect data and the unreachable-engine faults (no socket, a killed engine's socket, a hanging one)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.docker.docker import DockerPlatform
from deploystate.platforms.docker.docker_view import observation_of
from deploystate.platforms.revision import RevisionReading
from deploystate.state.config.config import DockerService
from deploystate.state.errors import PlatformError, PlatformUnreachable, TargetNotFound
from tests.fixtures.dockerd import DockerEngine, ImageBuilder
from tests.timing import GENEROUS, HANG

pytestmark = pytest.mark.docker

OLD = "a1d0" + "0" * 35 + "1"
NEW = "be70" + "0" * 35 + "2"


@pytest.fixture(scope="module")
def images(docker_images: ImageBuilder) -> dict[str, str]:
    repo = docker_images.name("api")
    return {"repo": repo, "old": docker_images.build(f"{repo}:old", OLD),
            "new": docker_images.build(f"{repo}:new", NEW)}


@pytest.fixture
def unique(docker_images: ImageBuilder, images: dict[str, str]) -> Iterator[str]:
    """A per-test name and image tag (starting at the old image); its containers are removed after."""
    name = f"dst{uuid.uuid4().hex[:8]}"
    docker_images.tag(images["old"], f"{images['repo']}:{name}")
    yield name
    client = docker_images.client
    for c in client.api.containers(all=True, filters={"label": f"test={name}"}):
        client.api.remove_container(c["Id"], force=True)
    for n in client.api.networks(names=[name]):
        client.api.remove_network(n["Id"])


@pytest.fixture
def platform(dockerd: DockerEngine) -> DockerPlatform:
    return DockerPlatform(docker_host=dockerd.host)


def _run(builder: ImageBuilder, image: str, name: str, **kw: Any) -> Any:
    labels = {"test": name, **kw.pop("labels", {})}
    return builder.client.containers.run(image, name=kw.pop("cname", name), detach=True, labels=labels, **kw)


def _svc(**cfg: Any) -> ServiceRef:
    return ServiceRef("api", DockerService(**cfg), Path("."))


def test_observe_by_name_and_by_label(platform: DockerPlatform, docker_images: ImageBuilder,
                                      images: dict[str, str], unique: str) -> None:
    """A container by name, and several by label, report state, start time, image id and revision."""
    tag = f"{images['repo']}:{unique}"
    _run(docker_images, tag, unique, labels={"app": unique})
    _run(docker_images, tag, unique, cname=f"{unique}-2", labels={"app": unique})
    one = platform.observe(_svc(container=unique), timeout=10)
    both = platform.observe(_svc(label=f"app={unique}"), timeout=10)
    assert one.state == "running" and one.revision == OLD and one.target == f"container:{unique}"
    assert one.instances[0].image_id == images["old"] and one.started_at
    assert both.state == "running" and both.revision == OLD and len(both.instances) == 2
    assert both.restart_count == 0 and not both.oom_killed and both.problems == []


def test_instances_on_different_revisions_have_no_single_revision(platform: DockerPlatform,
                                                                  docker_images: ImageBuilder,
                                                                  images: dict[str, str], unique: str) -> None:
    """Half-rolled: one container on OLD, one on NEW -> no revision, and a problem naming both."""
    _run(docker_images, f"{images['repo']}:old", unique, labels={"app": unique})
    _run(docker_images, f"{images['repo']}:new", unique, cname=f"{unique}-2", labels={"app": unique})
    obs = platform.observe(_svc(label=f"app={unique}"), timeout=10)
    assert obs.revision is None and any("different revisions" in p for p in obs.problems)


def test_restart_keeps_the_old_image_and_recreate_brings_the_new_one(platform: DockerPlatform,
                                                                      docker_images: ImageBuilder,
                                                                      images: dict[str, str], unique: str) -> None:
    """`restart` after the tag moved keeps OLD (with a warning); recreate runs NEW and keeps the container's own config."""
    tag = f"{images['repo']}:{unique}"
    network = docker_images.client.networks.create(unique)
    _run(docker_images, tag, unique, labels={"team": "core"}, environment={"MODE": "live"}, network=network.name)
    docker_images.tag(images["new"], tag)
    svc = _svc(container=unique)
    restarted = platform.restart(svc, "restart", timeout=30)
    assert restarted.ok and platform.observe(svc, timeout=10).revision == OLD
    assert any("still runs" in w and "use recreate" in w for w in restarted.warnings)
    recreated = platform.restart(svc, "auto", timeout=30)
    assert recreated.strategy == "recreate" and recreated.platform_ids["revision"] == NEW
    attrs = docker_images.client.api.inspect_container(unique)
    assert attrs["Image"] == images["new"] and attrs["Config"]["Labels"]["team"] == "core"
    assert "MODE=live" in attrs["Config"]["Env"] and f"GIT_SHA={NEW}" in attrs["Config"]["Env"]
    assert list(attrs["NetworkSettings"]["Networks"]) == [unique]
    assert platform.observe(svc, timeout=10).revision == NEW


def test_failed_recreate_puts_the_old_container_back(platform: DockerPlatform, docker_images: ImageBuilder,
                                                    images: dict[str, str], unique: str) -> None:
    """When the copy cannot be created (image gone), the original container is renamed back and running."""
    from deploystate.platforms.docker.docker_recreate import recreate
    from deploystate.platforms.docker.dockerutil import Deadline

    original = _run(docker_images, f"{images['repo']}:{unique}", unique)
    attrs = docker_images.client.api.inspect_container(original.id)
    with pytest.raises(TargetNotFound):
        recreate(platform.engine, attrs, f"{images['repo']}:no-such-tag", Deadline(30))
    back = docker_images.client.api.inspect_container(unique)
    assert back["Id"] == original.id and back["State"]["Running"]


def test_crashing_container_shows_restarts_and_previous_logs(platform: DockerPlatform,
                                                            docker_images: ImageBuilder,
                                                            images: dict[str, str], unique: str) -> None:
    """A restart-policy crash: RestartCount, exit code, and the crashed run's log as `previous`."""
    _run(docker_images, f"{images['repo']}:{unique}", unique, restart_policy={"Name": "always"},
         command=["sh", "-c", "echo 'Traceback: worker died'; exit 3"])
    svc = _svc(container=unique)
    end = time.monotonic() + 15
    # a crash loop is "running" for the instant between a restart and the next crash: wait past it
    while ((obs := platform.observe(svc, timeout=5)).restart_count or 0) < 2 or obs.state == "running":
        if time.monotonic() > end:
            break
        time.sleep(0.1)
    assert (obs.restart_count or 0) >= 2 and obs.state in ("degraded", "stopped")
    assert any("exit 3" in p for p in obs.problems)
    previous = list(platform.logs(svc, since=None, previous=True, timeout=5))
    assert previous and set(previous) == {"Traceback: worker died"}


def test_rollback_to_a_local_image_of_that_revision(platform: DockerPlatform, docker_images: ImageBuilder,
                                                    images: dict[str, str], unique: str) -> None:
    """rollback(to=OLD) recreates from the image labelled OLD under its own tag; unknown revisions fail clearly."""
    _run(docker_images, f"{images['repo']}:new", unique)
    svc = _svc(container=unique)
    result = platform.rollback(svc, OLD[:10], timeout=30)
    assert result.ok and result.platform_ids["image_id"] == images["old"]
    assert result.platform_ids["image"].startswith(f"{images['repo']}:")   # one of the OLD image's own tags
    assert platform.observe(svc, timeout=10).revision == OLD
    with pytest.raises(PlatformError, match="no local image"):
        platform.rollback(svc, "c0ffee1", timeout=30)


def test_missing_targets(platform: DockerPlatform, dockerd: DockerEngine) -> None:
    """An unknown container name is TargetNotFound; a label matching nothing observes as missing."""
    with pytest.raises(TargetNotFound, match="container:no-such-container"):
        platform.observe(_svc(container="no-such-container"), timeout=5)
    obs = platform.observe(_svc(label="app=nothing-here"), timeout=5)
    assert obs.state == "missing" and obs.instances == []
    with pytest.raises(TargetNotFound):
        platform.restart(_svc(label="app=nothing-here"), "restart", timeout=5)


def test_dead_socket_is_unreachable_at_once(tmp_path: Path) -> None:
    """No engine on the socket: PlatformUnreachable naming the endpoint, without waiting."""
    platform = DockerPlatform(docker_host=f"unix://{tmp_path}/gone.sock")
    t0 = time.monotonic()
    with pytest.raises(PlatformUnreachable, match="gone.sock") as info:
        platform.observe(_svc(container="x"), timeout=HANG)
    assert time.monotonic() - t0 < GENEROUS and "start dockerd" in info.value.hint


def test_hanging_engine_times_out(tmp_path: Path) -> None:
    """An engine that accepts but never answers: PlatformUnreachable within the call's timeout, not a hang."""
    path = tmp_path / "hang.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_ignore() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:   # accept timed out: look at the stop flag again
                continue

    thread = threading.Thread(target=accept_and_ignore, daemon=True)
    thread.start()
    try:
        platform = DockerPlatform(docker_host=f"unix://{path}")
        t0 = time.monotonic()
        with pytest.raises(PlatformUnreachable, match="hang.sock"):
            platform.observe(_svc(container="x"), timeout=3)   # the engine would hang until the test ends
        assert time.monotonic() - t0 < GENEROUS
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def test_killed_engine_socket_is_unreachable(tmp_path: Path) -> None:
    """The socket file a killed dockerd leaves behind refuses connections: PlatformUnreachable, fast.

    Not a second real engine: one started with ``--bridge none`` deletes the shared docker0 bridge
    (libnetwork's removeDefaultBridgeInterface), and one with a bridge fights the session engine.
    """
    path = tmp_path / "docker.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()                       # the file stays; nobody listens: ECONNREFUSED
    platform = DockerPlatform(docker_host=f"unix://{path}")
    t0 = time.monotonic()
    for call in (lambda: platform.observe(_svc(container="api"), timeout=HANG),
                 lambda: platform.restart(_svc(label="app=api"), "restart", timeout=HANG),
                 lambda: platform.logs(_svc(container="api"), since=None, timeout=HANG)):
        with pytest.raises(PlatformUnreachable, match=str(path)):
            call()
    assert time.monotonic() - t0 < GENEROUS    # refused at once: none of the three waited out its timeout


def _inspect(status: str, **state: Any) -> dict[str, Any]:
    """The shape of `docker inspect` (engine 20.10) for one container, trimmed to what is read."""
    return {"Id": "f" * 64, "Name": "/web-1", "Image": "sha256:" + "1" * 64, "RestartCount": state.pop("restarts", 0),
            "Config": {"Image": "app:latest", "Labels": {"org.opencontainers.image.revision": OLD}},
            "State": {"Status": status, "Running": status == "running", "OOMKilled": False, "ExitCode": 0,
                      "StartedAt": "2026-01-05T21:00:00.123456789Z", **state}}


def test_inspect_shapes_become_states_and_problems() -> None:
    """Health starting is progressing, unhealthy is degraded with the probe's output, exited is stopped."""
    reading = [RevisionReading(OLD, "label")]
    starting = observation_of("web", "docker", "t", [_inspect("running", Health={"Status": "starting"})], reading, "l", {})
    sick = observation_of("web", "docker", "t", [_inspect("running", Health={
        "Status": "unhealthy", "Log": [{"Output": "curl: connection refused"}]})], reading, "l", {})
    dead = observation_of("web", "docker", "t", [_inspect("exited", ExitCode=137, OOMKilled=True)], reading, "l", {})
    assert starting.state == "progressing" and starting.healthy is None
    assert starting.started_at == "2026-01-05T21:00:00.123456Z"
    assert sick.state == "degraded" and sick.healthy is False and "connection refused" in sick.problems[0]
    assert dead.state == "stopped" and dead.oom_killed and dead.instances[0].reason == "OOMKilled"


def test_previous_instance_boundary() -> None:
    """`previous` ends between the last exit and the current start; exited means all; never exited means none."""
    from deploystate.platforms.docker.dockerutil import parse_time, previous_until

    restarted = {"Status": "running", "FinishedAt": "2026-01-05T21:00:00Z", "StartedAt": "2026-01-05T21:00:01Z"}
    middle = previous_until(restarted)
    assert isinstance(middle, float) and middle == parse_time("2026-01-05T21:00:00.5Z").timestamp()  # type: ignore[union-attr]
    assert previous_until({"Status": "exited", "FinishedAt": "2026-01-05T21:00:02Z",
                           "StartedAt": "2026-01-05T21:00:01Z"}) is None
    assert previous_until({"Status": "running", "FinishedAt": "0001-01-01T00:00:00Z",
                           "StartedAt": "2026-01-05T21:00:01Z"}) is False
