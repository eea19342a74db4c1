"""What `verify` and `state` import for a command service: only what the checks and the one adapter need.

Each command runs in a fresh ``python -I`` process. For ``verify`` the probe takes ``sys.modules`` when the
CLI prints the first "check running" line, which the runner emits just before it starts the first check's
thread; what only the conclusion needs (the pydantic result and report models, the ledger's writer, the
alert) must come after that line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.state.config.project import Project
from deploystate.state.ledger.store import record

SDKS = ("boto3", "botocore", "docker", "kubernetes", "mcp", "deploystate.platforms.compose",
        "deploystate.platforms.docker", "deploystate.platforms.kubernetes", "deploystate.platforms.ecs")
# Needed only once the checks have ended (imported on a thread while they wait).
AFTER_CHECKS = ("deploystate.verify.check_result", "deploystate.verify.report", "deploystate.state.ledger.store",
                "deploystate.verify.alerts", "deploystate.state.memory.signature", "urllib.request")
# Never needed before a check starts: the value types are plain classes (state/plain.py), the config is parsed
# without pydantic; dataclasses alone (with inspect, ast, dis, tokenize) cost that start ~8 ms.
NOT_BEFORE_CHECKS = ("dataclasses", "inspect", "pydantic", "pydantic_core")

PROBE = """
import json, sys
out, argv = sys.argv[1], json.loads(sys.argv[2])
seen = {}

class Stderr:
    def __init__(self, inner):
        self.inner = inner

    def write(self, text):
        if "first" not in seen and "check running" in text:
            seen["first"] = sorted(sys.modules)
        return self.inner.write(text)

    def __getattr__(self, name):
        return getattr(self.inner, name)

sys.stderr = Stderr(sys.stderr)
from deploystate.server.cli import main
try:
    rc = main(argv)
except SystemExit as exc:
    rc = exc.code
json.dump({"rc": rc, "first": seen.get("first"), "end": sorted(sys.modules)}, open(out, "w"))
"""


def _run(root: Path, tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / "modules.json"
    # Not under coverage (tools/test.sh measures subprocesses): coverage itself imports more.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    res = subprocess.run([sys.executable, "-I", "-c", PROBE, str(out), json.dumps(["--root", str(root), *argv])],
                         cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text())


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.fixture
def command_service(git_repo):
    """A repository with one command-platform service whose one configured check is a command, deployed."""
    true = shutil.which("true") or "true"
    config = (f'[project]\nname = "lean"\n\n[services.web]\nplatform = "command"\npaths = ["web/**"]\n'
              f'restart_cmd = ["{true}"]\nobserve_cmd = ["{true}"]\n\n'
              f'[[services.web.checks]]\ntype = "command"\nargv = ["{true}"]\ntimeout = "60s"\n')
    head = git_repo.commit("web", {"deploystate.toml": config, "web/app.py": "# web\n"})
    record(Project.discover(git_repo.path), "deploy", {"service": "web", "commit": head, "strategy": "command",
                                                       "platform": "command", "status": "restarted"}, commit=head)
    return git_repo.path


def test_verify_starts_its_checks_before_importing_the_result_models(command_service, tmp_path):
    """At the first check's start no result/report model, ledger writer, alert, SDK, dataclasses or pydantic is
    imported; the run then does import the models (so the snapshot is of a run that used them) and records
    its verdict."""
    got = _run(command_service, tmp_path, "verify", "web")
    assert got["rc"] in (0, 1, 3) and got["first"] is not None
    assert _loaded(got["first"], AFTER_CHECKS + SDKS + NOT_BEFORE_CHECKS) == []
    assert "deploystate.verify.checks.command" in got["first"]  # the check's own runner is there already
    assert {"deploystate.verify.check_result", "deploystate.verify.report"} <= set(got["end"])


def test_state_observing_a_command_service_imports_only_the_command_adapter(command_service, tmp_path):
    """`state` asks the command service's runtime through the command adapter alone: no other adapter, no
    docker, boto3, kubernetes or mcp module is imported."""
    got = _run(command_service, tmp_path, "state", "--json")
    assert got["rc"] == 0
    assert "deploystate.platforms.command.command" in got["end"]  # the runtime was asked
    assert _loaded(got["end"], SDKS) == []


# What `state` and `render` must not import (issue 13: <= 3x `python -c pass`): the parser machinery, typing,
# the threads and processes a runtime answering at once does not need, strptime's locale tables, the config's
# pydantic twins. Each was once on this path; a module that comes back fails here.
NOT_IN_STATE = ("argparse", "gettext", "locale", "shutil", "bz2", "lzma", "typing", "threading", "subprocess",
                "_strptime", "calendar", "importlib.util", "dataclasses", "inspect", "pydantic", "tomllib",
                "deploystate.platforms.contract", "deploystate.state.config.tomllines")


@pytest.fixture
def instant_service(git_repo):
    """A repository with one command-platform service without observe_cmd (its runtime answers at once), deployed."""
    true = shutil.which("true") or "true"
    config = (f'[project]\nname = "lean"\n\n[services.web]\nplatform = "command"\npaths = ["web/**"]\n'
              f'restart_cmd = ["{true}"]\n')
    head = git_repo.commit("web", {"deploystate.toml": config, "web/app.py": "# web\n"})
    record(Project.discover(git_repo.path), "deploy", {"service": "web", "commit": head, "strategy": "command",
                                                       "platform": "command", "status": "restarted"}, commit=head)
    return git_repo.path


@pytest.mark.parametrize("argv", [["state"], ["state", "--json"], ["render"], ["state", "--no-observe"]])
def test_state_and_render_import_nothing_heavy(instant_service, tmp_path, argv):
    """`state` (observing) and `render` import no parser, typing, thread, process, locale or pydantic module."""
    got = _run(instant_service, tmp_path, *argv)
    bare = subprocess.run([sys.executable, "-I", "-c", "import sys; print(' '.join(sys.modules))"], capture_output=True,
                          text=True, timeout=60).stdout.split()  # what this interpreter's start loads (a dev venv's finder)
    assert got["rc"] == 0
    assert [m for m in _loaded(got["end"], NOT_IN_STATE + SDKS) if m not in bare] == []
