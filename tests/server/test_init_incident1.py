"""Incident 1 with the config `init` writes and nothing added: on the real dockerd, a container runs the
image labelled with commit A while HEAD = B changed the service's files -> verify does not pass and
mark-deployed is refused (the revision check is part of every verification, listed or not)."""

from __future__ import annotations

from deploystate.state.config.project import Project

import uuid
from typing import Any, Iterator

import pytest

from deploystate.platforms.compose.compose import ComposePlatform
from deploystate.platforms.registry import use
from deploystate.server.cli import main
from deploystate.state.git import proc
from deploystate.state.config.config import load_config
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder
from tests.fixtures.gitrepo import GitRepo

pytestmark = pytest.mark.docker

COMPOSE = """\
name: {name}
services:
  backend:
    build:
      context: backend
    network_mode: none
"""


@pytest.fixture
def stack(git_repo: GitRepo, compose_bin: ComposeBin, docker_images: ImageBuilder, dockerd: DockerEngine
          ) -> Iterator[tuple[GitRepo, str, str]]:
    name = f"dsi{uuid.uuid4().hex[:8]}"
    base = docker_images.name("inc1") + ":base"
    docker_images.build(base, None)
    git_repo.write("compose.yaml", COMPOSE.format(name=name))
    git_repo.write("backend/Dockerfile", f"FROM {base}\nCOPY app.sh /app.sh\nCMD [\"sh\", \"-c\", \"exec sleep 3600\"]\n")
    git_repo.write("backend/app.sh", "echo v1\n")
    yield git_repo, name, base
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--rmi", "local"], cwd=git_repo.path,
             env=compose_bin.env, timeout=60)


def _cli(capsys: Any, repo: GitRepo, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(repo.path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_config_from_init_catches_old_code_running(stack: tuple[GitRepo, str, str], compose_bin: ComposeBin,
                                                  dockerd: DockerEngine, docker_images: ImageBuilder,
                                                  capsys: Any) -> None:
    """init, commit A, CI builds the image labelled A and it runs; fix B committed in backend/ but not
    deployed: verify is not a pass and mark-deployed refuses; nothing was added to the config."""
    repo, name, _ = stack
    assert _cli(capsys, repo, "init")[0] == 0
    cfg = load_config(repo.path / "deploystate.toml").services["backend"]
    assert cfg.paths == ["backend/**", "compose.yaml"] and [c.type for c in cfg.checks] == ["rollout"]   # as init wrote it
    commit_a = repo.commit("A")
    # What CI (or `docker build --label ...` as init prints) does: the image compose runs, labelled A.
    docker_images.client.images.build(path=str(repo.path / "backend"), tag=f"{name}-backend", rm=True,
                                      labels={"org.opencontainers.image.revision": commit_a,
                                              "deploystate.test.session": docker_images.session})
    proc.run([compose_bin.path, "-f", "compose.yaml", "up", "-d", "--no-build"], cwd=repo.path,
             env=compose_bin.env, timeout=120, check=True)
    platform = ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)
    with use("compose", platform):
        code, out, err = _cli(capsys, repo, "verify", "backend", "--deadline", "60")
        assert code == 0 and "VERIFY PASS" in out, out + err          # A runs and A is HEAD: fine
        commit_b = repo.commit("fix: B", {"backend/app.sh": "echo v2\n"})
        code, out, err = _cli(capsys, repo, "verify", "backend", "--deadline", "60")
        assert code != 0 and "VERIFY PASS" not in out, out + err
        assert commit_a[:7] in out + err
        code, out, err = _cli(capsys, repo, "mark-deployed", "backend", "--note", "fix is live")
        assert code != 0, out + err
    marked = [line for line in Project.discover(repo.path).ledger.path.read_text().splitlines()
              if '"mark_deployed"' in line]
    assert not marked and commit_b
