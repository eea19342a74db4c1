"""The agent pre-tool hook runs on every shell command an agent makes: it decides on str paths, without
pathlib, re or what they pull in (issue 18's budget: 2x `python -c pass`; pathlib and re alone cost more
than the interpreter's start)."""

from __future__ import annotations

import json

import pytest

from .conftest import AGENT
from .test_hook_imports import PATHLIB_AND_CO, _loaded, _modules


def _pre_tool(shop, tmp_path, command: str) -> list[str]:
    payload = {"session_id": "s", "cwd": str(shop.path), "tool_name": "Bash", "tool_input": {"command": command}}
    rc, modules = _modules(shop, tmp_path, ["agent", "claude", "pre-tool"], json.dumps(payload))
    assert rc == 0
    return modules


@pytest.mark.parametrize("command", ["npm test", "git status", "git push origin feature",
                                     "git -C sub push origin feature", "sh -c 'git push origin feature' | cat",
                                     "g=git; $g push origin feature", "git push --no-verify origin main",
                                     "bash -c \"git commit --no-veri -m 'api deployed'\""])
def test_pre_tool_commands_import_neither_pathlib_nor_re(shop, tmp_path, command):
    """Ordinary commands, a push to a feature branch (its refs read from git's files), quoted, piped and
    variable lines, and bypasses denied (the refusal written as the client's JSON) are decided without
    pathlib, re, shlex, json, enum, functools or collections."""
    (shop.path / "sub").mkdir(exist_ok=True)
    modules = _pre_tool(shop, tmp_path, command)
    assert "deploystate.hooks.shell.shellparse" in modules  # the command was parsed
    assert ("deploystate.state.ledger.redact" in modules) == ("no-ver" in command)  # a refusal's text is redacted
    assert _loaded(modules, (*PATHLIB_AND_CO, "shlex", "json")) == []


def test_a_judged_pre_tool_push_reads_refs_from_files_without_pathlib(shop, tmp_path):
    """`git push origin main` with everything verified: the refs come from git's files (gitrefs) and the
    push is judged (the snapshot read) without pathlib or re."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    modules = _pre_tool(shop, tmp_path, "git push origin main")
    assert "deploystate.hooks.agents.gitrefs" in modules and "deploystate.hooks.snapshot" in modules
    assert _loaded(modules, PATHLIB_AND_CO) == []
