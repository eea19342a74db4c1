"""Truth by default on a real dockerd and compose v2: `state`, DEPLOYMENT_STATE.md, read_deployment_state and
system_health ask the runtime without any flag, so drift and dead containers show with no verify run."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from deploystate.state.git import proc
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder
from tests.server._cli import ds, ds_json
from tests.server.mcp_support import run

pytestmark = pytest.mark.docker

DOCKERFILE = "FROM scratch\nCOPY rootfs/ /\nSTOPSIGNAL SIGKILL\nCMD [\"sh\", \"-c\", \"exec sleep 3600\"]\n"


@pytest.fixture
def stack(git_repo: Any, dockerd: DockerEngine, compose_bin: ComposeBin, docker_images: ImageBuilder,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    """A compose project whose web image (labelled with commit A) already runs; deploystate sees DOCKER_HOST
    and the compose plugin as a user's shell would. Yields (repo, compose project name, image tag)."""
    name = f"dst{uuid.uuid4().hex[:8]}"
    tag = docker_images.name(name)
    for key, value in compose_bin.env.items():
        monkeypatch.setenv(key, value)
    shutil.copytree(docker_images.context / "rootfs", git_repo.path / "web" / "rootfs", symlinks=True)
    git_repo.write("web/Dockerfile", DOCKERFILE)
    git_repo.write("web/app.txt", "v1\n")
    yield git_repo, name, tag
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--remove-orphans"], cwd=git_repo.path,
             env=compose_bin.env, timeout=60)


def _compose(repo: Any, name: str, *args: str) -> None:
    proc.run(["docker", "compose", "-p", name, *args], cwd=repo.path, timeout=90, check=True)


def _call(root: Path, tool: str, args: dict | None = None) -> Any:
    async def body():
        async with Client(build_server(root=str(root))) as client:
            return await client.call_tool(tool, args or {})
    return run(body)


def _until(fn, ok, seconds: float = 60.0) -> Any:
    """Poll ``fn`` until ``ok`` (the engine moves containers through states on its own clock)."""
    end = time.monotonic() + seconds
    while True:
        got = fn()
        if ok(got) or time.monotonic() > end:
            return got
        time.sleep(0.5)


def test_adopting_a_running_stack_shows_the_drift_everywhere_without_a_flag(stack, capsys, docker_images):
    """init on a running stack, no deploy recorded, a fix committed to web/: state, DEPLOYMENT_STATE.md and
    read_deployment_state say DRIFT naming web, the commit it runs and HEAD's."""
    repo, name, tag = stack
    repo.write("compose.yml", f"name: {name}\nservices:\n  web:\n    image: {tag}\n    build: {{context: web}}\n")
    first = repo.commit("v1")
    docker_images.build(tag, first)           # the image the stack runs, labelled with commit A
    _compose(repo, name, "up", "-d", "--no-build")
    assert ds(capsys, "--root", str(repo.path), "init")[0] == 0
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "adopt")
    head = repo.commit("fix web", {"web/app.txt": "v2\n"})
    code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "30")
    web = next(s for s in data["services"] if s["name"] == "web")
    assert web["running_commit"] is None and web["observed"]["revision"] == first
    assert data["status"] == "DRIFT", data["reason"]
    assert f"web runs {first[:10]}, HEAD's code for web is {head[:10]}" in data["reason"]
    state_file = (repo.path / "DEPLOYMENT_STATE.md").read_text()
    assert "**Status: DRIFT**" in state_file and f"web runs {first[:10]}" in state_file
    result = _call(repo.path, "read_deployment_state")
    assert result.structured_content["status"] == "DRIFT"
    assert result.structured_content["drift"][0]["service"] == "web"
    assert result.structured_content["drift"][0]["source"] == "runtime"


def test_oom_killed_and_restarting_containers_are_broken_without_a_verify(stack, capsys, docker_images,
                                                                         monkeypatch):
    """An OOM-killed (exit 137) and a crash-looping container are BROKEN with their reasons in state and
    system_health, with nothing in the ledger; with the engine gone, the stored answer is used with its age."""
    repo, name, tag = stack
    docker_images.build(tag, None)
    repo.write("compose.yml", f"name: {name}\nservices:\n"
               f"  hog:\n    image: {tag}\n    mem_limit: 8m\n    memswap_limit: 8m\n"
               "    command: [\"sh\", \"-c\", \"a=$$(head -c 50000000 /dev/zero | tr '\\\\0' a); echo survived\"]\n"
               f"  loop:\n    image: {tag}\n    restart: always\n    command: [\"sh\", \"-c\", \"echo boom; exit 3\"]\n")
    repo.commit("stack")
    _compose(repo, name, "up", "-d")
    assert ds(capsys, "--root", str(repo.path), "init")[0] == 0
    root = ["--root", str(repo.path)]

    def observed() -> dict:
        return ds_json(capsys, *root, "state", "--deadline", "30")[1]

    data = _until(observed, lambda d: all(s["observed"]["verdict"] == "broken" for s in d["services"]))
    assert data["status"] == "BROKEN", data["reason"]
    by = {s["name"]: s["observed"] for s in data["services"]}
    assert "OOM-killed (exit 137)" in by["hog"]["reason"]
    assert any(w in by["loop"]["reason"] for w in ("restarting", "exited with code 3", "crash-looping"))
    assert "hog" in data["reason"] and "loop" in data["reason"]
    assert data["broken"] == [] and data["records"] == 0      # nothing recorded: the runtime said it
    code, out, _ = ds(capsys, *root, "health", "--deadline", "30")
    assert code == 1 and out.startswith("UNHEALTHY:") and "OOM-killed" in out
    result = _call(repo.path, "system_health")
    assert result.structured_content["headline"] == "UNHEALTHY"
    assert {r["service"]: r["verdict"] for r in result.structured_content["runtime"]} == {"hog": "broken",
                                                                                          "loop": "broken"}
    # the engine is unreachable now: the last stored answer stands, with its age and the reason
    monkeypatch.setenv("DOCKER_HOST", f"unix://{repo.path / 'no-engine.sock'}")
    code, data = ds_json(capsys, *root, "state", "--deadline", "10")
    assert data["status"] == "BROKEN"
    hog = next(s["observed"] for s in data["services"] if s["name"] == "hog")
    assert hog["verdict"] == "broken" and "OOM-killed" in hog["reason"]
    assert hog["error"] and hog["age"] is not None and hog["at"] < hog["error_at"]
