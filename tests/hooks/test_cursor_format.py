"""Cursor's hook engine does not run offline, so the installed .cursor/hooks.json is checked against its
documented format by an installed validator: skillsaw's `cursor-hooks-valid` rule (a PyPI linter that
encodes Cursor's published hooks.json format: `version` 1, the event names Cursor dispatches, each entry an
object with a non-empty `command`, a numeric `timeout`, a string `matcher`), run with --strict so that
an unknown event name (a hook that would never fire) fails too. What no validator knows is pinned here:
the three events we need and `failClosed` on the shell hook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.hooks.agents import agent_install
from tests.fixtures.parts import missing

INSTALL = "pip install 'skillsaw>=0.22,<0.23' (in the test extra)"


def _lint(root: Path) -> dict:
    exe = shutil.which("skillsaw") or str(Path(sys.executable).with_name("skillsaw"))
    if not Path(exe).exists():
        missing("skillsaw", INSTALL)
    res = subprocess.run([exe, "lint", "--strict", "--rule", "cursor-hooks-valid", "--format", "json", "--no-plugins",
                          "--no-baseline", str(root)], capture_output=True, text=True, timeout=120, cwd=root)
    out = json.loads(res.stdout)
    assert out["stats"]["rules_run"] == 1 and "cursor" in out["stats"]["repo_types"], out["stats"]
    return out


def _installed(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    agent_install.install(tmp_path, "cursor")
    return tmp_path / ".cursor" / "hooks.json"


def test_the_installed_file_passes_cursors_format(tmp_path):
    """Our .cursor/hooks.json has no finding under the validator, not even a warning."""
    _installed(tmp_path)
    out = _lint(tmp_path)
    assert out["violations"] == [] and out["summary"]["errors"] == out["summary"]["warnings"] == 0


@pytest.mark.parametrize("break_it,finding", [
    (lambda d: d.pop("version"), "Missing 'version'"),
    (lambda d: d["hooks"].__setitem__("beforeShellExec", d["hooks"].pop("beforeShellExecution")),
     "Unknown hook event 'beforeShellExec'"),
    (lambda d: d["hooks"]["stop"][0].__setitem__("timeout", "30"), "'timeout' must be a number"),
    (lambda d: d["hooks"]["sessionStart"][0].__setitem__("command", ""), "command"),
])
def test_the_validator_catches_a_broken_file(tmp_path, break_it, finding):
    """The check is real: the same file with one documented rule broken fails it, naming the rule."""
    path = _installed(tmp_path)
    doc = json.loads(path.read_text())
    break_it(doc)
    path.write_text(json.dumps(doc))
    messages = [v["message"] for v in _lint(tmp_path)["violations"]]
    assert any(finding in m for m in messages), messages


def test_our_events_and_fail_closed(tmp_path):
    """The file wires exactly Cursor's sessionStart, stop and beforeShellExecution, and the shell hook
    carries failClosed (a crash or timeout blocks the command)."""
    doc = json.loads(_installed(tmp_path).read_text())
    assert doc["version"] == 1 and set(doc["hooks"]) == {"sessionStart", "stop", "beforeShellExecution"}
    (shell,) = doc["hooks"]["beforeShellExecution"]
    assert shell["failClosed"] is True and "deploystate-hook agent cursor pre-tool" in shell["command"]
