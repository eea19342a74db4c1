"""The ``worktree`` revision source on the real dockerd and compose v2: a service whose source is
bind-mounted from the checkout (the react-express-mysql shape), configured by ``deploystate init``."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from deploystate.platforms.compose.compose import ComposePlatform
from deploystate.platforms.registry import use
from deploystate.server.cli import main
from deploystate.state.git import proc
from deploystate.state.config.config import Revision, load_config
from deploystate.platforms.worktree import worktree_reading
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder
from tests.fixtures.gitrepo import GitRepo

pytestmark = pytest.mark.docker

# The shape of awesome-compose react-express-mysql's backend: built from backend/, its src bind-mounted
# read-only over the image's copy and run under a file watcher (the command names it; busybox sleeps).
COMPOSE = """\
name: {name}
services:
  backend:
    build:
      context: backend
    command: ["sh", "-c", "echo nodemon --inspect src/index.js; exec sleep 3600"]
    network_mode: none
    volumes:
      - ./backend/src:/code/src:ro
"""


class Stack:
    def __init__(self, repo: GitRepo, compose: ComposeBin, name: str, capsys: Any) -> None:
        self.repo, self.compose, self.name, self.capsys = repo, compose, name, capsys

    def up(self) -> None:
        proc.run([self.compose.path, "-f", "compose.yaml", "up", "-d", "--build"], cwd=self.repo.path,
                 env=self.compose.env, timeout=120, check=True)

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = main(["--root", str(self.repo.path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def stack(git_repo: GitRepo, compose_bin: ComposeBin, docker_images: ImageBuilder, dockerd: DockerEngine,
          capsys: Any) -> Iterator[Stack]:
    name = f"dsw{uuid.uuid4().hex[:8]}"
    base = docker_images.name("wt") + ":base"
    docker_images.build(base, None)
    git_repo.write("compose.yaml", COMPOSE.format(name=name))
    git_repo.write("backend/Dockerfile", f"FROM {base}\nCOPY src /code/src\nCOPY package.json /code/\n")
    git_repo.write("backend/package.json", '{"scripts": {"start-watch": "nodemon src/index.js"}}\n')
    git_repo.write("backend/src/index.js", "console.log('v1')\n")
    s = Stack(git_repo, compose_bin, name, capsys)
    assert s.cli("init")[0] == 0
    # The revision check is part of every verification once the truth-by-default rule is in; listed here
    # so this test does not depend on it.
    with open(git_repo.path / "deploystate.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[services.backend.checks]]\ntype = "revision"\n')
    git_repo.commit("backend")
    time.sleep(1.1)        # whole-second commit times: the container must start in a later second than this commit
    s.up()
    with use("compose", ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)):
        yield s
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--rmi", "local"], cwd=git_repo.path,
             env=compose_bin.env, timeout=60)


def test_init_chooses_the_worktree_source_for_the_bind_mounted_backend(stack: Stack) -> None:
    """init: worktree revision, mounted backend/src/**, reloads (a watcher in the command)."""
    rev = load_config(stack.repo.path / "deploystate.toml").services["backend"].revision
    assert (rev.source, rev.mounted, rev.reloads) == ("worktree", ["backend/src/**"], True)


def test_a_commit_to_the_mounted_source_verifies_without_any_restart(stack: Stack) -> None:
    """A committed change under backend/src is running at once: verify passes, mark-deployed records HEAD."""
    fixed = stack.repo.commit("fix backend", {"backend/src/index.js": "console.log('v2')\n"})
    code, out, err = stack.cli("verify", "backend", "--deadline", "60")
    assert code == 0 and "VERIFY PASS" in out, out + err
    code, out, err = stack.cli("mark-deployed", "backend", "--note", "live via the bind mount")
    assert code == 0 and fixed[:10] in out, out + err


def test_uncommitted_changes_in_its_paths_are_flagged_and_block_mark_deployed(stack: Stack) -> None:
    """An edit not committed runs but no commit has it: verify is not a pass, mark-deployed refuses."""
    (stack.repo.path / "backend" / "src" / "index.js").write_text("console.log('wip')\n")
    code, out, err = stack.cli("verify", "backend", "--deadline", "60")
    assert code in (1, 3) and "VERIFY PASS" not in out
    assert "uncommitted changes in the service's files (backend/src/index.js)" in out + err
    code, out, err = stack.cli("mark-deployed", "backend")
    assert code != 0


def test_a_commit_to_a_baked_file_needs_a_recreate(stack: Stack) -> None:
    """backend/package.json is copied into the image, not mounted: after committing it verify does not pass."""
    stack.repo.commit("deps", {"backend/package.json": '{"scripts": {"start-watch": "nodemon -w src"}}\n'})
    code, out, err = stack.cli("verify", "backend", "--deadline", "60")
    assert code != 0 and "backend/package.json (baked into the image, not mounted)" in out + err
    time.sleep(1.1)         # a container created in the same second as the commit counts as older (fail closed)
    stack.up()              # compose up --build recreates it from the new image
    code, out, err = stack.cli("verify", "backend", "--deadline", "60")
    assert code == 0 and "VERIFY PASS" in out, out + err


def test_without_a_watcher_a_mounted_change_after_the_start_needs_a_restart(git_repo: GitRepo) -> None:
    """reloads = false: a mounted file committed after the process started is not running (pure reading)."""
    git_repo.commit("v1", {"src/app.py": "v1\n"})
    paths, cfg = ["src/**"], Revision(source="worktree", reloads=False)
    head = git_repo.head()
    assert worktree_reading(cfg, git_repo.path, paths, "2099-01-01T00:00:00Z", "2099-01-01T00:00:00Z").value == head
    started = "2000-01-01T00:00:00.5Z"                     # long before the commit
    reading = worktree_reading(cfg, git_repo.path, paths, started, started)
    assert reading.value is None and "does not reload by itself" in (reading.error or "")
    reloading = worktree_reading(Revision(source="worktree", reloads=True), git_repo.path, paths, started, started)
    assert reloading.value == head
    assert worktree_reading(cfg, git_repo.path, paths, None, None).value is None   # unknown times: unknown
