"""CI deploys on the real dockerd and compose v2: the remote's post-receive hook plays CI, building the
pushed commit's image (labelled with it) and recreating the service after a delay; verify --wait judges."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from deploystate.hooks.git import install
from deploystate.platforms import registry
from deploystate.state.git import proc
from deploystate.state.config.project import Project
from tests.fixtures.dockerd import SESSION_LABEL

from . import ci_play
from ._cli import ds

pytestmark = pytest.mark.docker

CONFIG = """\
[project]
deployed_by = "ci"

[services.api]
platform = "compose"
service = "api"
compose_files = ["compose.yml"]
project_name = "{name}"
paths = ["api/**"]

[[services.api.checks]]
type = "logs"
must_not_match = ["Traceback"]
window = "1h"
"""

BUILDER = '''
import json, subprocess, sys, docker
cfg = json.loads({cfg!r})
commit = sys.argv[1]
broken = cfg["broken"]
cmd = 'echo "app $GIT_SHA started"; ' + ('echo "Traceback (most recent call last)"; ' if broken else '') + 'exec sleep 3600'
df = f"Dockerfile.ci-{{commit[:12]}}"
open(cfg["context"] + "/" + df, "w").write(
    "FROM scratch\\nCOPY rootfs/ /\\nSTOPSIGNAL SIGKILL\\n" + f'ENV GIT_SHA="{{commit}}"\\n' + "CMD " + json.dumps(["sh", "-c", cmd]) + "\\n")
client = docker.DockerClient(base_url=cfg["host"])
client.images.build(path=cfg["context"], dockerfile=df, tag=cfg["tag"], rm=True, forcerm=True,
                    labels={{"org.opencontainers.image.revision": commit, cfg["label"]: cfg["session"]}})
subprocess.run([cfg["compose"], "-f", "compose.yml", "-p", cfg["name"], "up", "-d", "--no-deps", "--force-recreate",
                "api"], cwd=cfg["root"], env={{**__import__("os").environ, **cfg["env"]}}, check=True, timeout=120)
'''


@pytest.fixture
def stack(git_repo, git_remote, dockerd, docker_images, compose_bin, monkeypatch, tmp_path):
    """The api service running an image labelled with commit A, pushed, hooks installed; yields (repo, bare, a, cfg)."""
    name = f"dstci{uuid.uuid4().hex[:8]}"
    tag = f"{docker_images.name('ci')}:{name}"
    monkeypatch.setenv("DOCKER_HOST", dockerd.host)
    monkeypatch.setenv("DOCKER_CONFIG", compose_bin.env["DOCKER_CONFIG"])
    registry.reset()
    git_repo.write("compose.yml", f"services:\n  api:\n    image: {tag}\n")
    a = git_repo.commit("A", {"deploystate.toml": CONFIG.format(name=name), "api/app.py": "v1\n"})
    docker_images.build(tag, a, cmd=["sh", "-c", 'echo "app $GIT_SHA started"; exec sleep 3600'])
    proc.run([compose_bin.path, "-f", "compose.yml", "-p", name, "up", "-d"], cwd=git_repo.path,
             env=compose_bin.env, timeout=120, check=True)
    git_repo.git("push", "-q", "origin", "main")
    install.install(git_repo.path, python=sys.executable)
    cfg = {"host": dockerd.host, "context": str(docker_images.context), "tag": tag, "name": name,
           "root": str(git_repo.path), "compose": compose_bin.path, "env": compose_bin.env,
           "label": SESSION_LABEL, "session": docker_images.session, "broken": False}
    yield git_repo, git_remote, a, cfg, tmp_path
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0"], cwd=git_repo.path, env=compose_bin.env, timeout=120)
    registry.reset()


def _ci(bare: Path, cfg: dict, tmp: Path, *, broken: bool, delay: float) -> None:
    builder = tmp / "ci_builder.py"
    builder.write_text(BUILDER.format(cfg=json.dumps({**cfg, "broken": broken})))
    ci_play.install(bare, Path(cfg["root"]), "compose", delay=delay, extra={"builder": str(builder)})


def _records(repo, kind):
    path = Project.discover(repo.path).ledger.path
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["kind"] == kind]


def test_verify_wait_sees_the_old_container_then_the_new_image_then_passes(stack, capsys):
    """push B → pending; CI builds B's image and recreates api after 2 s; verify --wait sees A, then B; PASS."""
    repo, bare, a, cfg, tmp = stack
    _ci(bare, cfg, tmp, broken=False, delay=2.0)
    b = repo.commit("B: fix api", {"api/app.py": "v2\n"})
    push = repo.git("push", "origin", "main", check=False)
    assert push.returncode == 0 and "CI deploy pending" in push.stderr, push.stderr
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "300",
                        "--wait-interval", "1", "--json")
    data = json.loads(out)
    assert code == 0, err + out
    assert f"api runs {a[:12]}" in err and f"rolled out: api runs {b[:12]}" in err
    observed = _records(repo, "deploy")[-1]["payload"]
    assert observed["status"] == "restarted" and observed["commit"] == b and observed["performed_by"] == "ci"
    assert observed["platform_ids"]["observed"] and observed["platform_ids"].get("instances")
    assert data["services"][0]["verdict"] == "pass" and data["rollouts"][0]["running"] == b


def test_a_broken_build_rolls_out_and_fails_on_its_logs(stack, capsys):
    """CI deploys B, whose process logs a Traceback: rolled out, then the logs check fails the verdict."""
    repo, bare, a, cfg, tmp = stack
    _ci(bare, cfg, tmp, broken=True, delay=1.0)
    repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert repo.git("push", "origin", "main", check=False).returncode == 0
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "300",
                        "--wait-interval", "1", "--ci")
    assert code == 1, out + err
    assert "deploystate: FAIL api" in out and "Traceback" in out
    assert _records(repo, "deploy")[-1]["payload"]["status"] == "restarted"  # it did roll out


def test_a_ci_that_never_deploys_fails_with_the_old_container_named(stack, capsys):
    """No post-receive CI: A keeps running; verify --wait fails 'CI did not deploy it (still running A)'."""
    repo, bare, a, cfg, tmp = stack
    ci_play.install(bare, repo.path, "never")
    repo.commit("B: fix api", {"api/app.py": "v2\n"})
    assert repo.git("push", "origin", "main", check=False).returncode == 0
    code, out, err = ds(capsys, "--root", str(repo.path), "verify", "--wait", "--wait-timeout", "4",
                        "--wait-interval", "1", "--ci")
    assert code == 1 and f"CI did not deploy it within 4s (still running {a[:12]})" in out, out + err
