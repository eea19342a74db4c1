"""Installing the git shims: idempotent, chaining, core.hooksPath, uninstall restores, sub-directory projects."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from deploystate.hooks.git import install
from deploystate.state.errors import InputError

from .conftest import FILES, Shop

EXISTING_PRE_PUSH = """#!/bin/sh
# the team's own pre-push: keeps a log of what was pushed
cat > "$(git rev-parse --git-dir)/pushed-refs.log"
echo "team pre-push ran for $1" >&2
exit ${TEAM_PRE_PUSH_EXIT:-0}
"""
EXISTING_COMMIT_MSG = """#!/bin/sh
grep -q "JIRA-" "$1" || { echo "team hook: message needs a JIRA- id" >&2; exit 1; }
"""


def _write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o755)


@pytest.fixture
def bare_shop(git_repo, git_remote) -> Shop:
    """The project pushed once, no hooks installed yet."""
    git_repo.commit("initial", FILES)
    git_repo.git("push", "-q", "origin", "main")
    return Shop(git_repo, git_remote)


def test_install_is_idempotent(bare_shop):
    """Installing twice leaves the same shims and moves nothing aside."""
    first = install.install(bare_shop.path, python=sys.executable)
    hooks = bare_shop.path / ".git" / "hooks"
    before = {p.name: p.read_text() for p in hooks.iterdir() if not p.name.endswith(".sample")}
    second = install.install(bare_shop.path, python=sys.executable)
    after = {p.name: p.read_text() for p in hooks.iterdir() if not p.name.endswith(".sample")}
    assert before == after
    assert all("installed" in line for line in first) and all("refreshed" in line for line in second)
    assert not any(name.endswith(install.SUFFIX) for name in after)
    assert os.access(hooks / "pre-push", os.X_OK)
    assert after["commit-msg"].startswith("#!/bin/sh\n") and f"PY={sys.executable}" in after["commit-msg"]


def test_existing_hooks_still_run_first(bare_shop):
    """An existing pre-push and commit-msg are moved aside and run first, with the same stdin and arguments."""
    hooks = bare_shop.path / ".git" / "hooks"
    _write_hook(hooks / "pre-push", EXISTING_PRE_PUSH)
    _write_hook(hooks / "commit-msg", EXISTING_COMMIT_MSG)
    install.install(bare_shop.path, python=sys.executable)
    assert (hooks / "pre-push.pre-deploystate").read_text() == EXISTING_PRE_PUSH
    bare_shop.repo.write("api/app.py", "print(2)\n")
    bare_shop.git("add", "-A")
    res = bare_shop.git("commit", "-m", "no ticket id")
    assert res.returncode != 0 and "needs a JIRA- id" in res.stderr
    assert bare_shop.git("commit", "-m", "JIRA-1 fix").returncode == 0
    res = bare_shop.push()
    assert res.returncode == 0, res.stderr
    assert "team pre-push ran for origin" in res.stderr
    log = (bare_shop.path / ".git" / "pushed-refs.log").read_text()
    assert log.startswith("refs/heads/main ") and "refs/heads/main" in log.split()[2]
    # the team's hook can still refuse, and deploystate's verdict does not hide that
    bare_shop.change("api/app.py", "print(3)\n")
    res = bare_shop.push(env={"TEAM_PRE_PUSH_EXIT": "3"})
    assert res.returncode != 0


def test_deploystate_refusal_after_existing_hook(bare_shop):
    """With a chained hook that passes, deploystate's own refusal still stops the push."""
    hooks = bare_shop.path / ".git" / "hooks"
    _write_hook(hooks / "pre-push", EXISTING_PRE_PUSH)
    install.install(bare_shop.path, python=sys.executable)
    bare_shop.deploy("api")
    bare_shop.change("api/app.py", "print(2)\n")
    res = bare_shop.push()
    assert res.returncode != 0
    assert "team pre-push ran" in res.stderr and "has no verification since" in res.stderr


def test_uninstall_restores_what_was_there(bare_shop):
    """Uninstall removes the shims and puts the original hooks back, byte for byte."""
    hooks = bare_shop.path / ".git" / "hooks"
    _write_hook(hooks / "pre-push", EXISTING_PRE_PUSH)
    install.install(bare_shop.path, python=sys.executable)
    report = install.uninstall(bare_shop.path)
    assert (hooks / "pre-push").read_text() == EXISTING_PRE_PUSH
    assert os.access(hooks / "pre-push", os.X_OK)
    assert not (hooks / "pre-push.pre-deploystate").exists()
    for name in ("commit-msg", "post-commit", "post-merge"):
        assert not (hooks / name).exists()
    assert "restored" in report[0]
    bare_shop.deploy("api")
    bare_shop.change("api/app.py", "print(2)\n")
    assert bare_shop.push().returncode == 0  # deploystate no longer judges pushes


def test_uninstall_leaves_a_foreign_hook_alone(bare_shop):
    """A hook that replaced our shim is not deploystate's to remove."""
    hooks = bare_shop.path / ".git" / "hooks"
    install.install(bare_shop.path, python=sys.executable)
    _write_hook(hooks / "pre-push", EXISTING_PRE_PUSH)
    report = install.uninstall(bare_shop.path)
    assert (hooks / "pre-push").read_text() == EXISTING_PRE_PUSH
    assert any("left alone" in line for line in report)


def test_reinstall_refuses_to_clobber_two_foreign_hooks(bare_shop):
    """If both the hook and its saved copy are foreign and differ, install stops and says why."""
    hooks = bare_shop.path / ".git" / "hooks"
    _write_hook(hooks / "pre-push", EXISTING_PRE_PUSH)
    install.install(bare_shop.path, python=sys.executable)
    _write_hook(hooks / "pre-push", "#!/bin/sh\nexit 0\n")
    with pytest.raises(InputError, match="already exists"):
        install.install(bare_shop.path, python=sys.executable)


def test_core_hooks_path_is_respected(bare_shop):
    """With core.hooksPath set (husky style), the shims go there, chain the hook found there, and uninstall."""
    husky = bare_shop.path / ".husky" / "_"
    _write_hook(husky / "pre-push", EXISTING_PRE_PUSH)
    bare_shop.git("config", "core.hooksPath", ".husky/_")
    install.install(bare_shop.path, python=sys.executable)
    assert install.is_ours(husky / "pre-push") and (husky / "pre-push.pre-deploystate").exists()
    assert not (bare_shop.path / ".git" / "hooks" / "pre-push").exists()
    bare_shop.deploy("api")
    bare_shop.change("api/app.py", "print(2)\n")
    res = bare_shop.push()
    assert res.returncode != 0
    assert "team pre-push ran" in res.stderr and "deploystate: refusing" in res.stderr
    install.uninstall(bare_shop.path)
    assert (husky / "pre-push").read_text() == EXISTING_PRE_PUSH


def test_project_in_a_subdirectory(git_repo, git_remote):
    """A deploystate.toml below the repository top is found by the shims (they set DEPLOYSTATE_ROOT)."""
    git_repo.commit("initial", {f"app/{k}": v for k, v in FILES.items()})
    git_repo.git("push", "-q", "origin", "main")
    install.install(git_repo.path, python=sys.executable, project_root=git_repo.path / "app")
    assert 'DEPLOYSTATE_ROOT="$PWD"/app' in (git_repo.path / ".git" / "hooks" / "pre-push").read_text()
    shop = Shop(git_repo, git_remote)
    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import record
    record(Project.discover(git_repo.path / "app"), "deploy",
           {"service": "api", "commit": git_repo.head(), "status": "restarted"}, commit=git_repo.head())
    git_repo.commit("change", {"app/api/app.py": "print(2)\n"})
    res = shop.push()
    assert res.returncode != 0 and "`api` was restarted" in res.stderr


def test_missing_interpreter_is_reported(bare_shop, tmp_path):
    """A shim whose interpreter vanished says how to fix it; blocking hooks refuse, post hooks do not."""
    install.install(bare_shop.path, python=str(tmp_path / "gone" / "python"))
    bare_shop.repo.write("api/app.py", "print(2)\n")
    bare_shop.git("add", "-A")
    res = bare_shop.git("commit", "-m", "x")
    assert res.returncode != 0 and "is gone: reinstall the hooks" in res.stderr
