"""logs, rollout and revision checks against a real Docker engine (busybox images built from scratch):
container logs since the restart, a real OOM kill, an unhealthy healthcheck, a crash-looping container,
an instance the restart did not replace, the running image's revision label, and an engine that is gone."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.docker.docker import DockerPlatform
from deploystate.platforms.registry import use
from deploystate.state.config.checks import LogsCheck, RevisionCheck, RolloutCheck
from deploystate.state.config.config import DockerService, load_config
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.verify.context import CheckContext
from deploystate.verify.runner import Job, run_jobs
from deploystate.verify.service import verify_services
from tests.fixtures.dockerd import DockerEngine, ImageBuilder
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import ledger_text, make_project, record_deploy

pytestmark = pytest.mark.docker

OLD = "0ld0" + "0" * 35 + "1"
# First start: the fallback path; every later start (docker restart keeps /tmp): the model path.
FLIP = ('if [ -f /tmp/started ]; then echo "RL model made decision BUY"; else touch /tmp/started; '
        'echo "ERROR endpoint failed; using fallback"; fi; echo "token=Bearer abcdefghijklmnop1234"; exec sleep 3600')


@pytest.fixture(scope="module")
def image(docker_images: ImageBuilder) -> str:
    return docker_images.build(f"{docker_images.name('verify')}:old", OLD)


@pytest.fixture
def containers(docker_images: ImageBuilder) -> Iterator[list[str]]:
    """Names of containers a test starts; removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        try:
            docker_images.client.api.remove_container(name, force=True)
        except Exception:  # noqa: BLE001 (already gone)
            pass


def start(builder: ImageBuilder, image: str, names: list[str], cmd: str, **kw: Any) -> str:
    name = f"dsv{uuid.uuid4().hex[:8]}"
    names.append(name)
    # No network: these containers need none, and the default bridge is shared with other test sessions.
    builder.client.containers.run(image, command=["sh", "-c", cmd], name=name, detach=True, network_mode="none",
                                  labels={"deploystate.test.session": builder.session}, **kw)
    return name


def ctx_for(engine: DockerEngine, name: str, **kw: Any) -> CheckContext:
    svc = ServiceRef("api", DockerService(container=name), Path("."))
    return CheckContext(root=Path("."), service=svc, platform=DockerPlatform(docker_host=engine.host), **kw)


def run_one(check, ctx: CheckContext, deadline: float = 30):  # noqa: ANN001, ANN201
    return run_jobs([Job(check.label(), check, ctx.fork(), "api")], deadline=deadline)[0]


def wait_for(builder: ImageBuilder, name: str, pred, timeout: float = 15) -> dict:  # noqa: ANN001
    end = time.monotonic() + timeout
    while True:
        attrs = builder.client.api.inspect_container(name)
        if pred(attrs) or time.monotonic() > end:
            return attrs
        time.sleep(0.2)


def test_logs_since_the_restart_from_real_container_logs(dockerd: DockerEngine, docker_images: ImageBuilder,
                                                         image: str, containers: list[str]) -> None:
    """Incident 3: the first start took the fallback path (fail); after a restart only the new lines count."""
    before = utc_now() - timedelta(seconds=2)
    name = start(docker_images, image, containers, FLIP)
    check = LogsCheck(must_match=["RL model made"], must_not_match=["using fallback"], window=600)
    time.sleep(0.5)
    first = run_one(check, ctx_for(dockerd, name, restart_time=before, restart_source="first start"))
    assert first.result == "fail" and "using fallback" in first.summary and "RL model made" in first.summary
    restarted_at = utc_now()
    time.sleep(1.1)  # docker's `since` has one-second resolution
    docker_images.client.api.restart(name, timeout=0)
    time.sleep(0.5)
    after = run_one(check, ctx_for(dockerd, name, restart_time=restarted_at, restart_source="restart"))
    assert after.result == "pass", after.summary
    assert "abcdefghijklmnop1234" not in first.model_dump_json() + after.model_dump_json()


def test_real_oom_kill_fails_rollout(dockerd: DockerEngine, docker_images: ImageBuilder, image: str,
                                     containers: list[str]) -> None:
    """Incident 5: a container killed by the kernel OOM killer (exit 137, no trace) fails the rollout."""
    name = start(docker_images, image, containers,
                 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); sleep 3600', mem_limit="16m", memswap_limit="16m")
    attrs = wait_for(docker_images, name, lambda a: a["State"]["Status"] != "running")
    assert attrs["State"]["OOMKilled"], "the engine did not OOM-kill the container"
    res = run_one(RolloutCheck(), ctx_for(dockerd, name))
    assert res.result == "fail" and ("OOM" in res.summary or "137" in res.summary)


def test_unhealthy_and_crash_looping_containers_fail_rollout(dockerd: DockerEngine, docker_images: ImageBuilder,
                                                             containers: list[str]) -> None:
    """A failing healthcheck fails (after waiting while 'starting'); a crash loop fails; a healthy one passes."""
    sick = docker_images.build(f"{docker_images.name('sick')}:1", OLD, healthcheck=["false"])
    well = docker_images.build(f"{docker_images.name('well')}:1", OLD, healthcheck=["true"])
    sick_name = start(docker_images, sick, containers, "exec sleep 3600")
    well_name = start(docker_images, well, containers, "exec sleep 3600")
    loop_name = start(docker_images, sick, containers, "exit 3", restart_policy={"Name": "always"})
    results = run_jobs([Job("sick", RolloutCheck(timeout=15), ctx_for(dockerd, sick_name), "api"),
                        Job("well", RolloutCheck(timeout=15), ctx_for(dockerd, well_name), "api"),
                        Job("loop", RolloutCheck(timeout=15), ctx_for(dockerd, loop_name), "api")], deadline=30)
    sick_r, well_r, loop_r = results
    assert sick_r.result == "fail" and "unhealthy" in sick_r.summary
    assert well_r.result == "pass" and "healthy" in well_r.summary
    assert loop_r.result == "fail", loop_r.summary


def test_instance_not_replaced_by_the_restart_fails(dockerd: DockerEngine, docker_images: ImageBuilder,
                                                    image: str, containers: list[str]) -> None:
    """A container whose StartedAt predates the recorded restart was not restarted: fail."""
    name = start(docker_images, image, containers, "exec sleep 3600")
    time.sleep(1.5)
    deploy = {"id": "d1", "platform_ids": {}}
    res = run_one(RolloutCheck(), ctx_for(dockerd, name, deploy=deploy, restart_time=utc_now(),
                                          restart_source="deploy d1"))
    assert res.result == "fail" and "not replaced" in res.summary
    restart_time = utc_now()
    docker_images.client.api.restart(name, timeout=0)
    res = run_one(RolloutCheck(), ctx_for(dockerd, name, deploy=deploy, restart_time=restart_time,
                                          restart_source="deploy d1"))
    assert res.result == "pass", res.summary


def test_engine_gone_is_inconclusive_for_every_service_check(tmp_path: Path) -> None:
    """Nothing answers on the Docker socket: rollout, revision and logs are inconclusive, never pass."""
    svc = ServiceRef("api", DockerService(container="x"), tmp_path)
    platform = DockerPlatform(docker_host=f"unix://{tmp_path}/no.sock")
    ctx = CheckContext(root=tmp_path, service=svc, platform=platform, expected_commit=OLD)
    results = run_jobs([Job(c.type, c, ctx.fork(), "api") for c in (RolloutCheck(timeout=3), RevisionCheck(timeout=3),
                                                                     LogsCheck(timeout=3))], deadline=10)
    assert [r.result for r in results] == ["inconclusive"] * 3


DOCKER_CONFIG = """\
[services.api]
platform = "docker"
container = "{name}"
paths = ["app/**"]

[[services.api.checks]]
type = "revision"

[[services.api.checks]]
type = "rollout"

[[services.api.checks]]
type = "logs"
must_not_match = ["using fallback"]
"""


def test_incident1_docker_restart_keeps_the_old_image(dockerd: DockerEngine, docker_images: ImageBuilder,
                                                      containers: list[str], git_repo: GitRepo) -> None:
    """A fix committed and a deploy recorded at HEAD, but the container still runs the image labelled with the
    commit before the fix (restart, not recreate): verify fails on the revision check, naming the changed file."""
    project, config = make_project(git_repo, DOCKER_CONFIG.format(name="{name}"))
    before = git_repo.head()
    old_image = docker_images.build(f"{docker_images.name('verify')}:before-{before[:8]}", before)
    name = start(docker_images, old_image, containers, "echo started; exec sleep 3600")
    (git_repo.path / "deploystate.toml").write_text(DOCKER_CONFIG.format(name=name))
    fixed = git_repo.commit("fix", {"app/main.py": "print('v2')\n"})
    config = load_config(project.config_path)
    started = iso(utc_now())
    docker_images.client.api.restart(name, timeout=0)
    deploy = record_deploy(project, "api", fixed, started_at=started)
    with use("docker", DockerPlatform(docker_host=dockerd.host)):
        report = verify_services(project, config, ["api"], deadline=30, alert=False)
    sv = report.services[0]
    assert sv.verdict == "fail" and sv.commit == fixed and sv.running_revision == before
    by = {c.type: c for c in sv.checks}
    assert {t: c.result for t, c in by.items()} == {"revision": "fail", "rollout": "pass", "logs": "pass"}
    assert "app/main.py" in by["revision"].summary and "committed, not running" in by["revision"].summary
    assert deploy["id"] in ledger_text(project) and '"verdict":"fail"' in ledger_text(project).replace(" ", "")