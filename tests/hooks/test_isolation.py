"""The hooks never import the application: a broken app module that shadows the standard library
cannot break them (incident 7: the guardrail must not share the app's blast radius)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.hooks.__main__ import isolate

BROKEN = "raise RuntimeError('the application module {name} was imported by the hook')\n"
SHADOWS = ("token.py", "json.py", "signal.py", "re.py", "tomllib.py", "shlex.py")


@pytest.fixture
def shadowed(shop):
    """The shop repository with broken top-level modules named like standard-library ones."""
    shop.change("token.py", BROKEN.format(name="token"), "app modules")
    for name in SHADOWS:
        shop.repo.write(name, BROKEN.format(name=name))
    shop.git("add", "-A")
    shop.git("commit", "-q", "--no-verify", "-m", "more app modules")
    return shop


def _env(shop) -> dict[str, str]:
    return {"PYTHONPATH": str(shop.path)}  # an app's usual dev setting: must not matter either


def test_commit_msg_with_shadowing_modules_still_judges(shadowed):
    """With the app's token.py/json.py/signal.py broken, commit-msg refuses a claim with its own reason."""
    shadowed.deploy("api")
    shadowed.repo.write("api/app.py", "print(3)\n")
    shadowed.git("add", "-A")
    res = shadowed.git("commit", "-m", "api deployed", env=_env(shadowed))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "refusing this commit message" in out
    assert "was imported by the hook" not in out
    res = shadowed.git("commit", "-m", "api: print three", env=_env(shadowed))
    assert res.returncode == 0, res.stdout + res.stderr


def test_pre_push_with_shadowing_modules_refuses_for_its_reason_and_takes_the_override(shadowed):
    """pre-push refuses the unverified deploy (not an ImportError), and DEPLOYSTATE_OVERRIDE still works."""
    shadowed.deploy("api")
    res = shadowed.push(env=_env(shadowed))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "refusing to push main to origin" in out and "imported by the hook" not in out
    res = shadowed.push(env={**_env(shadowed), "DEPLOYSTATE_OVERRIDE": "hotfix for the outage; verifying next"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OVERRIDE recorded" in res.stderr
    assert [r["payload"]["hook"] for r in shadowed.ledger_records() if r["kind"] == "override"] == ["pre-push"]


def test_agent_launcher_with_shadowing_modules(shadowed):
    """The installed agent command, run in the app's directory with PYTHONPATH on it, still decides."""
    from deploystate.hooks.agents import agent_install

    agent_install.install(shadowed.path, "claude")
    doc = json.loads((shadowed.path / ".claude" / "settings.json").read_text())
    command = doc["hooks"]["PreToolUse"][-1]["hooks"][0]["command"]
    payload = {"session_id": "s", "cwd": str(shadowed.path), "tool_name": "Bash",
               "tool_input": {"command": "git commit --no-veri -m wip"}}
    res = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(payload), text=True, capture_output=True,
                         cwd=shadowed.path, timeout=60,
                         env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **_env(shadowed)})
    assert res.returncode == 0, res.stderr
    assert "denied (no-verify)" in json.loads(res.stdout)["hookSpecificOutput"]["permissionDecisionReason"]


def test_isolate_drops_the_working_directory_and_pythonpath(tmp_path):
    """isolate() removes '', the working directory and PYTHONPATH entries, and keeps the rest."""
    app, lib = tmp_path / "app", tmp_path / "lib"
    path = ["", str(app), str(lib), "/usr/lib/python3.11", str(tmp_path / "extra")]
    assert isolate(path, cwd=str(app), pythonpath=str(tmp_path / "extra")) == [str(lib), "/usr/lib/python3.11"]


def test_git_shims_start_python_isolated(shop):
    """The installed shims run the interpreter in isolated mode (-I)."""
    hooks = Path(shop.git("rev-parse", "--git-path", "hooks").stdout.strip())
    hooks = hooks if hooks.is_absolute() else shop.path / hooks
    for name in ("pre-push", "commit-msg", "post-commit", "post-merge"):
        assert '"$PY" -I -m deploystate.hooks' in (hooks / name).read_text()
