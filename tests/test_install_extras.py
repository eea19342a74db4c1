"""Fresh virtual environments: the core install runs the demo and names the extra a platform needs.

Marked ``install``: each test makes a new virtualenv and pip-installs the wheel into it (about a
minute each, from pip's warm cache); ``-m "not install"`` leaves them out of a quick local run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.install, pytest.mark.timeout(900)]  # pip under a loaded CI machine

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_CFG = '[services.api]\nplatform = "compose"\nservice = "api"\npaths = ["api/**"]\n'
KUBE_CFG = '[services.web]\nplatform = "kubernetes"\ndeployment = "shop"\nnamespace = "prod"\npaths = ["web/**"]\n'
COMMAND_CFG = '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["api/**"]\n'


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package built once as a wheel (what pip, pipx, uv tool and pre-commit install)."""
    out = tmp_path_factory.mktemp("wheel")
    got = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)])
    assert got.returncode == 0, got.stderr[-2000:]
    (whl,) = out.glob("deploystate-*.whl")
    return whl


def _venv(tmp: Path, spec: str) -> Path:
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    got = _run([str(venv / "bin" / "pip"), "install", "-q", spec])
    assert got.returncode == 0, got.stderr[-2000:]
    return venv


def _importable(venv: Path, module: str) -> bool:
    return _run([str(venv / "bin" / "python"), "-c", f"import {module}"]).returncode == 0


def _repo(tmp: Path, config: str, name: str = "repo") -> Path:
    repo = tmp / name
    repo.mkdir()
    (repo / "deploystate.toml").write_text(config)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.test", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.test"}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "cfg"]):
        assert _run(argv, cwd=repo, env=env).returncode == 0
    return repo


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.relative_to(root).parts}


def test_core_install_has_no_sdks_runs_the_demo_and_names_the_docker_extra(wheel, tmp_path):
    """Core only: no docker/kubernetes/boto3; the demo passes; a compose restart exits 2 naming [docker], writing nothing."""
    venv = _venv(tmp_path, str(wheel))
    for module in ("docker", "kubernetes", "boto3", "git"):
        assert not _importable(venv, module), f"{module} is installed by the core"
    demo = _run([str(venv / "bin" / "deploystate"), "demo", "--dir", str(tmp_path / "demo")], timeout=900)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-2000:]
    repo = _repo(tmp_path, COMPOSE_CFG)
    before = _files(repo)
    got = _run([str(venv / "bin" / "deploystate"), "--root", str(repo), "restart", "api"])
    assert got.returncode == 2, got.stdout + got.stderr
    assert "pip install 'deploystate[docker]'" in got.stderr
    assert _files(repo) == before, "a refused command wrote files"
    kube = _repo(tmp_path, KUBE_CFG, "kube")
    before = _files(kube)
    got = _run([str(venv / "bin" / "deploystate"), "--root", str(kube), "restart", "web"])
    assert got.returncode == 2 and "pip install 'deploystate[kubernetes]'" in got.stderr, got.stdout + got.stderr
    assert _files(kube) == before, "a refused command wrote files"


def test_core_install_says_its_version_and_reads_state(wheel, tmp_path):
    """Core only: `deploystate --version` names the wheel's version; `state` on a command service answers."""
    from deploystate import __version__

    venv = _venv(tmp_path, str(wheel))
    got = _run([str(venv / "bin" / "deploystate"), "--version"])
    assert got.returncode == 0 and got.stdout.strip() == f"deploystate {__version__}", got.stdout + got.stderr
    repo = _repo(tmp_path, COMMAND_CFG)
    got = _run([str(venv / "bin" / "deploystate"), "--root", str(repo), "state", "--json"])
    assert got.returncode == 0, got.stdout + got.stderr
    assert json.loads(got.stdout)["status"] in ("UNKNOWN", "UNVERIFIED"), got.stdout[:500]
    # deploystate-hook, what committed agent settings call on every tool call: a plain script whose run imports
    # no `re` (pip's console-script wrapper would import it, with enum and functools, before the hook starts)
    hook = venv / "bin" / "deploystate-hook"
    payload = json.dumps({"session_id": "s", "cwd": str(repo), "tool_name": "Bash", "tool_input": {"command": "ls"}})
    got = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime", str(hook), "agent", "claude", "pre-tool"],
                         cwd=repo, input=payload, capture_output=True, text=True, timeout=120)
    imported = {line.rpartition("|")[2].strip() for line in got.stderr.splitlines() if line.startswith("import time:")}
    assert got.returncode == 0 and "deploystate.hooks.agents.agents" in imported, got.stderr[-2000:]
    assert hook.read_text().startswith(f"#!{venv / 'bin'}/python") and "re" not in imported


def test_all_extra_brings_every_sdk_and_each_platform_gets_past_the_extra_check(wheel, tmp_path):
    """[all]: docker, kubernetes and boto3 importable; a kubernetes service is tried (unreachable), not refused."""
    venv = _venv(tmp_path, f"{wheel}[all]")
    for module in ("docker", "kubernetes", "boto3"):
        assert _importable(venv, module), f"{module} is missing from [all]"
    assert _run([str(venv / "bin" / "deploystate"), "--version"]).returncode == 0
    kube = _repo(tmp_path, KUBE_CFG, "kube")
    got = _run([str(venv / "bin" / "deploystate"), "--root", str(kube), "verify", "web", "--deadline", "20"],
               env={"KUBECONFIG": str(tmp_path / "no-kubeconfig")})
    assert "needs the optional" not in got.stderr and got.returncode in (1, 3), got.stdout + got.stderr


def test_docker_extra_brings_the_docker_sdk_and_only_it(wheel, tmp_path):
    """[docker]: the docker SDK is importable, kubernetes and boto3 are not; compose gets past the extra check."""
    venv = _venv(tmp_path, f"{wheel}[docker]")
    assert _importable(venv, "docker")
    assert not _importable(venv, "kubernetes") and not _importable(venv, "boto3")
    repo = _repo(tmp_path, COMPOSE_CFG)
    got = _run([str(venv / "bin" / "deploystate"), "--root", str(repo), "verify", "api", "--deadline", "20"],
               env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert "needs the optional" not in got.stderr and got.returncode in (1, 3), got.stdout + got.stderr
