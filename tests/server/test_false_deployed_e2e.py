"""Issue 21's three false-"deployed" paths, each end to end on the real dockerd and compose v2, on the CLI and
over the installed MCP server on real stdio: the container keeps running the image labelled with the old
commit A while HEAD's fix B (committed and pushed to the service's files) is not running, and nothing may say
"deployed": verify does not pass, mark-deployed / mark_deployed re-read the runtime and refuse, state never
says "running HEAD's code", and the restart plan never skips the service as "unchanged"."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from deploystate.state.git import proc
from deploystate.state.config.project import Project
from tests.fixtures.dockerd import ComposeBin, DockerEngine, ImageBuilder
from tests.server._cli import ds, ds_json
from tests.server.mcp_support import run, text
from tests.server.test_mcp_stdio import deploystate_bin

pytestmark = pytest.mark.docker

DOCKERFILE = "FROM scratch\nCOPY rootfs/ /\nSTOPSIGNAL SIGKILL\nCMD [\"sh\", \"-c\", \"exec sleep 3600\"]\n"


@pytest.fixture
def stack(git_repo: Any, git_remote: Path, dockerd: DockerEngine, compose_bin: ComposeBin,
          docker_images: ImageBuilder, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A compose project (backend: image + build section) in a repo with a remote; deploystate sees
    DOCKER_HOST and the compose plugin as a user's shell would, and so does the stdio server it spawns."""
    name = f"dsf{uuid.uuid4().hex[:8]}"
    tag = docker_images.name(name)
    for key, value in compose_bin.env.items():
        monkeypatch.setenv(key, value)
    shutil.copytree(docker_images.context / "rootfs", git_repo.path / "backend" / "rootfs", symlinks=True)
    git_repo.write("backend/Dockerfile", DOCKERFILE)
    git_repo.write("backend/app.txt", "v1\n")
    git_repo.write("compose.yml", f"name: {name}\nservices:\n  backend:\n    image: {tag}\n"
                                  "    build: {context: backend}\n    network_mode: none\n")
    env = {**{k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}, **compose_bin.env}
    yield {"repo": git_repo, "name": name, "tag": tag, "env": env, "root": ["--root", str(git_repo.path)]}
    proc.run([compose_bin.path, "-p", name, "down", "-t", "0", "--remove-orphans"], cwd=git_repo.path,
             env=compose_bin.env, timeout=60)


def _run_old_image(s: dict[str, Any], docker_images: ImageBuilder, commit: str) -> None:
    """What CI did: the image compose runs is labelled with ``commit``; compose starts it (no build)."""
    docker_images.build(s["tag"], commit)
    proc.run(["docker", "compose", "-p", s["name"], "up", "-d", "--no-build"], cwd=s["repo"].path, timeout=90,
             check=True)


def _init(s: dict[str, Any], capsys: Any, edit: tuple[str, str] | None = None) -> str:
    """`deploystate init`, nothing edited but the one line ``edit`` (old, new) replaces; commit A."""
    repo = s["repo"]
    code, out, err = ds(capsys, *s["root"], "init")
    assert code == 0, out + err
    if edit:
        written = (repo.path / "deploystate.toml").read_text()
        assert edit[0] in written
        repo.write("deploystate.toml", written.replace(edit[0], edit[1], 1))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "A")
    repo.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    return repo.head()


def _fix(s: dict[str, Any]) -> str:
    """The fix B, committed and pushed to backend's files, and never restarted."""
    repo = s["repo"]
    fixed = repo.commit("fix: B", {"backend/app.txt": "v2\n"})
    repo.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    return fixed


def _stdio(s: dict[str, Any], *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """One installed `deploystate serve` over real stdio; the calls in order, their results."""
    params = StdioServerParameters(command=deploystate_bin(), args=["serve", "--root", str(s["repo"].path)],
                                   cwd=str(s["repo"].path), env=s["env"])

    async def body() -> list[Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return [await client.call_tool(tool, args) for tool, args in calls]
    return run(body)


def _marked(s: dict[str, Any]) -> list[str]:
    ledger = Project.discover(s["repo"].path).ledger.path
    return [line for line in ledger.read_text().splitlines() if '"mark_deployed"' in line] if ledger.exists() else []


def _refused_verify_and_mark(s: dict[str, Any], capsys: Any, old: str) -> None:
    """verify does not pass and names the changed file, on the CLI and over stdio; both marks refused."""
    code, out, err = ds(capsys, *s["root"], "verify", "backend", "--deadline", "60", "--quiet")
    assert code != 0 and "VERIFY PASS" not in out, out + err
    assert "backend/app.txt" in out and old[:12] in out and "committed, not running" in out, out
    code, out, err = ds(capsys, *s["root"], "mark-deployed", "backend", "--note", "the fix is live")
    assert code == 1 and "not marking deployed" in err, out + err
    verified, marked = _stdio(s, ("verify_deploy", {"services": ["backend"], "wait_seconds": 60}),
                              ("mark_deployed", {"services": ["backend"], "note": "the fix is live"}))
    assert verified.structured_content["verdict"] == "fail", text(verified)
    assert "backend/app.txt" in text(verified)
    assert marked.is_error and "not marking deployed" in text(marked)
    assert _marked(s) == []


def test_path1_init_config_with_only_paths_catches_old_code(stack, capsys, docker_images):
    """(1) The config init writes, nothing added: the container runs A, HEAD's fix B changed backend/app.txt
    -> verify FAILS naming the file (CLI and stdio), mark-deployed / mark_deployed refused, state DRIFT."""
    s = stack
    first = _init(s, capsys)
    _run_old_image(s, docker_images, first)
    _fix(s)
    code, data = ds_json(capsys, *s["root"], "state", "--deadline", "30")
    backend = next(x for x in data["services"] if x["name"] == "backend")
    assert data["status"] == "DRIFT" and backend["observed"]["verdict"] == "not_head", data["reason"]
    _refused_verify_and_mark(s, capsys, first)


def test_path2_a_pass_on_record_does_not_cover_a_later_fix_never_restarted(stack, capsys, docker_images):
    """(2) A verified deploy of A on record, then fix B committed and pushed to backend/, never restarted:
    mark-deployed / mark_deployed (whose ledger still shows A's pass) re-read the runtime and refuse, then
    verify fails naming the file, on the CLI and over stdio."""
    s = stack
    first = _init(s, capsys)
    _run_old_image(s, docker_images, first)
    code, out, err = ds(capsys, *s["root"], "verify", "backend", "--deadline", "60", "--quiet")
    assert code == 0 and "VERIFY PASS" in out, out + err           # A runs, A is HEAD: a real pass
    _fix(s)
    code, out, err = ds(capsys, *s["root"], "mark-deployed", "backend", "--note", "fix is live")
    assert code == 1 and "the runtime, asked now" in err and "backend/app.txt" in err, out + err
    (marked,) = _stdio(s, ("mark_deployed", {"services": ["backend"], "note": "fix is live"}))
    assert marked.is_error and "the runtime, asked now" in text(marked) and "backend/app.txt" in text(marked)
    assert _marked(s) == []
    _refused_verify_and_mark(s, capsys, first)


def test_path3_a_restart_that_kept_the_old_image_is_not_running_heads_code(stack, capsys, docker_images):
    """(3) restart = "restart" keeps the old image: after `restart backend` at B the deploy record says B, but
    state does not say "running HEAD's code", the plan (CLI and restart_affected) does not skip backend,
    `restart backend` is not refused, verify fails and both marks are refused."""
    s = stack
    first = _init(s, capsys, ('restart = "recreate"', 'restart = "restart"'))
    _run_old_image(s, docker_images, first)
    code, out, err = ds(capsys, *s["root"], "verify", "backend", "--deadline", "60", "--quiet")
    assert code == 0, out + err
    fixed = _fix(s)
    code, out, err = ds(capsys, *s["root"], "restart", "backend")
    assert code == 0, out + err                                    # docker compose restart: same image A
    code, data = ds_json(capsys, *s["root"], "state", "--deadline", "30")
    backend = next(x for x in data["services"] if x["name"] == "backend")
    assert backend["running_commit"] == fixed                      # what the deploy record says
    assert backend["drift"]["state"] != "running HEAD's code", backend["drift"]
    assert backend["observed"]["verdict"] == "not_head" and data["status"] != "OK", data["reason"]
    code, out, err = ds(capsys, *s["root"], "state", "--deadline", "30")
    assert "running HEAD's code" not in out and "committed, not running" in out, out
    code, plan = ds_json(capsys, *s["root"], "restart", "backend", "--dry-run")
    (item,) = plan["plan"]["items"] if "plan" in plan else plan["items"]
    assert item["action"] == "restart" and "backend/app.txt" in item["why"], item
    code, out, err = ds(capsys, *s["root"], "restart", "backend")
    assert code == 0 and "refused" not in (out + err).lower(), out + err
    state, planned = _stdio(s, ("read_deployment_state", {}),
                            ("restart_affected", {"services": ["backend"], "dry_run": True}))
    assert state.structured_content["status"] != "OK" and "running HEAD's code" not in text(state), text(state)
    assert planned.structured_content["refused"] == [], text(planned)
    assert [e["action"] for e in planned.structured_content["plan"]] == ["restart"], text(planned)
    _refused_verify_and_mark(s, capsys, first)
