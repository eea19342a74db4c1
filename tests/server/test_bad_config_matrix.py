"""A bad deploystate.toml changes nothing, on every command that reads it: exit 2 naming file, line
and key, and no file written (no state directory, no state file, no hook, no ledger line)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server._cli import ds

GOOD = """\
[project]
name = "shop"

[services.api]
platform = "command"
paths = ["api/**"]
restart_cmd = ["true"]
"""

# name -> (config text, the key the error must name, its line)
BAD: dict[str, tuple[str, str, int]] = {
    "wrong type": (GOOD.replace('name = "shop"', 'name = "shop"\ndoom_loop_after = "three"'),
                   "project.doom_loop_after", 3),
    "unknown platform": (GOOD.replace('platform = "command"', 'platform = "nomad"'), "services.api.platform", 5),
    "bad glob": (GOOD.replace('paths = ["api/**"]', 'paths = ["api/[x"]'), "services.api.paths", 6),
    "unknown key": (GOOD.replace('name = "shop"', 'name = "shop"\ndeploy_branch = ["prod"]'),
                    "project.deploy_branch", 3),
    "invalid regex": (GOOD + '\n[[services.api.checks]]\ntype = "logs"\nmust_match = ["model (loaded"]\n',
                      "services.api.checks.0.must_match", 11),
    "wrong type deploy_branches": (GOOD.replace('name = "shop"', 'name = "shop"\ndeploy_branches = "prod"'),
                                   "project.deploy_branches", 3),
    "invalid hook regex": (GOOD.replace('name = "shop"', 'name = "shop"\n[project.hooks]\n'
                                        'commit_msg_patterns = ["(deployed"]'),
                           "project.hooks.commit_msg_patterns", 4),
}

COMMANDS: dict[str, list[str]] = {
    "attempt add": ["attempt", "add", "--summary", "restart api", "--outcome", "failed"],
    "attempt list": ["attempt", "list"],
    "attempt check": ["attempt", "check", "--summary", "restart api"],
    "session start": ["session", "start", "--goal", "fix api"],
    "session end": ["session", "end", "--did", "x", "--broke", "nothing", "--next", "y"],
    "hooks install": ["hooks", "install", "--git"],
    "hooks install claude": ["hooks", "install", "--claude"],
    "state": ["state"],
    "render": ["render"],
    "render check": ["render", "--check"],
    "verify": ["verify", "api"],
    "restart": ["restart", "api"],
    "mark-deployed": ["mark-deployed", "api"],
    "rollback": ["rollback", "api"],
    "health": ["health"],
    "affected": ["affected"],
    "preflight": ["preflight"],
    "sync": ["sync", "--timeout", "5"],
    "compact": ["compact"],
    "doctor": ["doctor"],
    "doctor fix": ["doctor", "--fix"],
    "config validate": ["config", "validate"],
    "serve": ["serve"],
}


def tree(root: Path) -> dict[str, str]:
    """Every file under the repository, .git included (git's own index refresh aside), by content hash."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_file() and rel != ".git/index":
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[rel + "/"] = ""
    return out


@pytest.fixture(params=sorted(BAD))
def bad_repo(request, git_repo, tmp_path, monkeypatch):
    """A fresh repository whose committed deploystate.toml is bad (nothing of deploystate exists yet)."""
    text, key, line = BAD[request.param]
    git_repo.commit("shop", {"deploystate.toml": text, "api/app.py": "print(1)\n"})
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))   # agent-client settings live here too
    (tmp_path / "home").mkdir(exist_ok=True)
    return git_repo, key, line


def _says_where(err: str, repo, key: str, line: int) -> None:
    assert f"deploystate.toml:{line}" in err, err
    assert key in err, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_config_exits_2_and_writes_nothing(bad_repo, command, capsys, tmp_path):
    """Each command refuses the bad config with exit 2, naming file, line and key, and writes nothing."""
    repo, key, line = bad_repo
    before = tree(repo.path), tree(tmp_path / "home")
    code, out, err = ds(capsys, "--root", str(repo.path), *COMMANDS[command])
    assert code == 2, (out, err)
    _says_where(out + err, repo, key, line)
    assert (tree(repo.path), tree(tmp_path / "home")) == before
    assert not (repo.path / ".deploystate").exists() and not (repo.path / "DEPLOYMENT_STATE.md").exists()


def test_bad_config_on_an_initialised_project_changes_no_state(git_repo, capsys, monkeypatch):
    """After init, breaking the config makes recording commands refuse without touching the ledger."""
    git_repo.commit("shop", {"deploystate.toml": GOOD, "api/app.py": "print(1)\n"})
    monkeypatch.chdir(git_repo.path)
    assert ds(capsys, "--root", str(git_repo.path), "attempt", "add", "--summary", "first")[0] == 0
    for name in ("unknown key", "invalid regex", "unknown platform"):
        (git_repo.path / "deploystate.toml").write_text(BAD[name][0])
        before = tree(git_repo.path)
        for command in ("attempt add", "session start", "render", "doctor fix", "mark-deployed"):
            code, out, err = ds(capsys, "--root", str(git_repo.path), *COMMANDS[command])
            assert code == 2, (command, out, err)
            _says_where(out + err, git_repo, BAD[name][1], BAD[name][2])
        assert tree(git_repo.path) == before


def _hook(repo, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DEPLOYSTATE_ROOT": str(repo.path)}
    return subprocess.run([sys.executable, "-m", "deploystate.hooks", *argv], cwd=repo.path, input=stdin, env=env,
                          capture_output=True, text=True, timeout=120)


def test_hooks_refuse_a_bad_config_without_writing(bad_repo):
    """pre-push refuses a push to a deploy branch (and, when the keys that route pushes are bad, every
    push), naming file, line and key; a deployment claim in a commit message is refused too."""
    repo, key, line = bad_repo
    before = tree(repo.path)
    head = repo.head()
    routing = key in ("project.deploy_branch", "project.deploy_branches")   # which pushes deploy
    for branch in ("main", "feature") if routing else ("main",):
        res = _hook(repo, "pre-push", "origin", "url", stdin=f"refs/heads/{branch} {head} refs/heads/{branch} "
                                                                f"{'0' * 40}\n")
        assert res.returncode == 1 and "invalid" in res.stderr, res.stderr
        _says_where(res.stderr, repo, key, line)
    msg = repo.path.parent / "message.txt"  # outside the tree that is compared
    msg.write_text("api deployed and verified working\n")
    res = _hook(repo, "commit-msg", str(msg))
    assert res.returncode == 1 and "invalid" in res.stderr, res.stderr
    _says_where(res.stderr, repo, key, line)
    msg.unlink()
    assert tree(repo.path) == before


def test_a_good_config_lets_an_ordinary_push_through(git_repo):
    """The same hook with a valid config allows a feature-branch push (the refusals above are the config's)."""
    git_repo.commit("shop", {"deploystate.toml": GOOD, "api/app.py": "print(1)\n"})
    head = git_repo.head()
    res = _hook(git_repo, "pre-push", "origin", "url", stdin=f"refs/heads/feature {head} refs/heads/feature "
                                                             f"{'0' * 40}\n")
    assert res.returncode == 0, res.stderr
