"""When deploystate builds a compose service, the image carries the commit with no user effort (real dockerd,
real compose v2): a Dockerfile with no LABEL and no exported variable still reports HEAD afterwards."""

from __future__ import annotations

import shutil
import uuid
from typing import Any, Iterator

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.compose.compose import ComposePlatform
from deploystate.platforms.compose.compose_label import stamped
from deploystate.state.git import proc
from deploystate.state.config.config import ComposeService, Revision
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder

DOCKERFILE = "FROM scratch\nCOPY rootfs/ /\nSTOPSIGNAL SIGKILL\nCMD [\"sh\", \"-c\", \"exec sleep 3600\"]\n"


def test_stamped_sets_the_label_or_env_the_revision_source_reads():
    """stamped (pure): label source -> build.labels (list form kept), env source -> environment only when
    rebuilding; a service without a build section or an image_tag source is left alone."""
    model = {"name": "p", "services": {"web": {"build": {"context": "/x", "labels": ["team=a"]}},
                                       "db": {"image": "postgres"}}}
    out, why = stamped(model, "web", Revision(), "c" * 40, rebuilding=False)
    assert why is None and out["services"]["web"]["build"]["labels"] == {
        "team": "a", "org.opencontainers.image.revision": "c" * 40}
    assert model["services"]["web"]["build"]["labels"] == ["team=a"]           # the input is not changed
    env = Revision(source="env", name="GIT_SHA")
    assert stamped(model, "web", env, "c" * 40, rebuilding=True)[0]["services"]["web"]["environment"] == {
        "GIT_SHA": "c" * 40}
    assert stamped(model, "web", env, "c" * 40, rebuilding=False)[0] is None   # an old image would lie
    assert stamped(model, "db", Revision(), "c" * 40, rebuilding=True) == (None, None)
    tagged, why = stamped(model, "web", Revision(source="image_tag"), "c" * 40, rebuilding=True)
    assert tagged is None and "cannot set" in why


@pytest.fixture
def built(git_repo: Any, dockerd: DockerEngine, compose_bin: ComposeBin,
          docker_images: ImageBuilder) -> Iterator[tuple[Any, str, str]]:
    name = f"dst{uuid.uuid4().hex[:8]}"
    tag = docker_images.name(name)
    shutil.copytree(docker_images.context / "rootfs", git_repo.path / "web" / "rootfs", symlinks=True)
    git_repo.write("web/Dockerfile", DOCKERFILE)
    git_repo.write("web/app.txt", "v1\n")
    git_repo.write("compose.yml", f"name: {name}\nservices:\n  web:\n    image: {tag}\n"
                                  "    build: {context: web}\n"
                                  f"    labels: [\"{docker_images.name('x')}=1\"]\n")
    yield git_repo, name, tag
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--remove-orphans", "--rmi", "local"],
             cwd=git_repo.path, env=compose_bin.env, timeout=60)
    try:
        docker_images.client.api.remove_image(tag, force=True)
    except Exception:  # noqa: BLE001 (already removed by down --rmi)
        pass


def _svc(repo: Any, **cfg: Any) -> ServiceRef:
    return ServiceRef("web", ComposeService(compose_files=["compose.yml"], build=True, **cfg), repo.path)


@pytest.mark.docker
def test_recreate_with_build_labels_the_image_with_head(built, dockerd, compose_bin):
    """No LABEL in the Dockerfile, nothing exported: after deploystate's recreate the runtime reports HEAD;
    a later commit rebuilt reports the new HEAD."""
    repo, name, tag = built
    first = repo.commit("v1")
    platform = ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)
    result = platform.restart(_svc(repo), "recreate", timeout=120)
    assert result.ok, result.message
    assert result.warnings == []
    assert platform.observe(_svc(repo), timeout=10).revision == first
    second = repo.commit("v2", {"web/app.txt": "v2\n"})
    assert platform.restart(_svc(repo), "recreate", timeout=120).ok
    obs = platform.observe(_svc(repo), timeout=10)
    assert obs.revision == second and obs.state == "running"


@pytest.mark.docker
def test_uncommitted_changes_in_the_build_context_are_not_labelled_as_a_commit(built, dockerd, compose_bin):
    """A dirty build context is built without the commit label, and the result says why."""
    repo, name, tag = built
    repo.commit("v1")
    repo.write("web/app.txt", "not committed\n")
    platform = ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)
    result = platform.restart(_svc(repo), "recreate", timeout=120)
    assert result.ok, result.message
    assert any("uncommitted changes" in w and "app.txt" in w for w in result.warnings)
    assert platform.observe(_svc(repo), timeout=10).revision is None


@pytest.mark.docker
def test_an_env_revision_source_gets_the_commit_in_the_environment(built, dockerd, compose_bin):
    """revision source env: the rebuilt service's container carries GIT_SHA=HEAD."""
    repo, name, tag = built
    first = repo.commit("v1")
    platform = ComposePlatform(docker_host=dockerd.host, compose_bin=compose_bin.path)
    env = {"revision": Revision(source="env", name="GIT_SHA")}
    assert platform.restart(_svc(repo, **env), "recreate", timeout=120).ok
    assert platform.observe(_svc(repo, **env), timeout=10).revision == first
