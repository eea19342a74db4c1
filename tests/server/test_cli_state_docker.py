"""``deploystate state`` against the real Docker engine: the revision a running container reports (its image's
org.opencontainers.image.revision label) is judged against HEAD, before and after a new commit."""

from __future__ import annotations

import uuid

import pytest

from deploystate.state.config.project import Project
from tests.fixtures.dockerd import DockerEngine, ImageBuilder

from ._cli import ds, ds_json

pytestmark = pytest.mark.docker


def test_state_observe_compares_runtime_revision_with_head_on_a_real_engine(
        dockerd: DockerEngine, docker_images: ImageBuilder, git_repo, capsys, monkeypatch) -> None:  # noqa: ANN001
    """A container built from the first commit runs HEAD's code until api changes; then state says DRIFT,
    naming the commit the engine reports, and the JSON carries that revision."""
    name = f"dst{uuid.uuid4().hex[:8]}"
    git_repo.commit("shop", {"api/app.py": "v1\n", "deploystate.toml": f"""[project]
name = "shop"

[services.api]
platform = "docker"
label = "app={name}"
paths = ["api/**"]
"""})
    c1 = git_repo.head()
    Project.discover(git_repo.path).ledger.ensure()
    monkeypatch.setenv("DOCKER_HOST", dockerd.host)
    image = docker_images.build(f"{docker_images.name('state')}:{name}", c1)
    container = docker_images.client.containers.run(image, name=name, detach=True, labels={"app": name})
    try:
        code, data = ds_json(capsys, "--root", str(git_repo.path), "state", "--deadline", "60")
        assert data["observed"]["api"]["revision"] == c1, data["observed"]
        assert data["observed"]["api"]["verdict"] == "runs_head"
        c2 = git_repo.commit("fix api", {"api/app.py": "v2\n"})
        code, data = ds_json(capsys, "--root", str(git_repo.path), "state", "--deadline", "60")
        assert data["observed"]["api"]["revision"] == c1 and data["observed"]["api"]["verdict"] == "not_head"
        assert data["status"] == "DRIFT" and f"api runs {c1[:10]}" in data["reason"] and c2[:10] in data["reason"]
        code, out, _ = ds(capsys, "--root", str(git_repo.path), "state", "--deadline", "60")
        assert "Status: DRIFT" in out
    finally:
        container.remove(force=True)
