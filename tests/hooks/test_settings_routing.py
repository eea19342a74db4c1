"""The hooks' own reading of deploystate.toml: every way the keys that route a hook can be wrong is named
(so the hook refuses), the ledger's anchored deploy branches cannot be narrowed away, and a repository
without a config is under deploystate only when a ledger says so. In-process, on real files."""

from __future__ import annotations

import json
import subprocess

import pytest

from deploystate.hooks import settings


def _problem(tmp_path, text: str) -> str | None:
    return settings.HookSettings(tmp_path, text).config_problem()


@pytest.mark.parametrize("text,said", [
    ("[project\n", "deploystate.toml: is not valid TOML"),
    ("project = 3\n", "project: must be a table"),
    ("[project]\nname = 'x'\nbranches = ['main']\n", "project.branches: unknown key 'branches'; valid keys: "),
    ("surprise = 1\n", "surprise: unknown key 'surprise'"),
    ("[project.hooks]\nsync_before = 'yes'\n", "project.hooks.sync_before: must be a boolean (got 'yes')"),
    ("[project.hooks]\ndeployed_tag_pattern = 7\n", "project.hooks.deployed_tag_pattern: must be a string (got 7)"),
    ("[project.hooks]\ncommit_msg_patterns = [1]\n", "project.hooks.commit_msg_patterns: must be a list of strings"),
    ("[project]\nhooks = 'none'\n", "project.hooks: must be a table"),
    ("services = 'api'\n", "services: must be a table of [services.NAME] tables"),
])
def test_each_routing_mistake_is_named(tmp_path, text, said):
    """A config whose routing keys are wrong gets a problem naming the key and what it must be."""
    found = _problem(tmp_path, text)
    assert found and said in found, found
    assert found.startswith(str(tmp_path / "deploystate.toml"))


def test_a_sound_config_and_no_config_have_no_routing_problem(tmp_path):
    """The keys right (or no file at all): nothing to refuse for."""
    text = "[project]\nname = 'x'\ndeploy_branches = ['main']\n[project.hooks]\nsync_before = true\n[services.api]\n"
    assert _problem(tmp_path, text) is None
    assert settings.HookSettings(tmp_path, "").config_problem() is None


def test_wrongly_typed_values_fall_back_to_the_defaults(tmp_path):
    """Read by the accessors, a value of the wrong type gives the default, never a crash."""
    text = ("[project]\ndeploy_branches = ['main', 3]\n[project.hooks]\ncommit_msg_patterns = 'x'\n"
            "deployed_tag_pattern = ''\nsync_before = true\nsync_timeout = 'soon'\n[services]\n")
    found = settings.HookSettings(tmp_path, text)
    assert found.deploy_branches() == ["main"]
    assert found.claim_patterns() == list(settings.DEFAULT_CLAIM_PATTERNS)
    assert found.tag_pattern() == settings.DEFAULT_TAG_PATTERN
    assert found.sync_before() == (True, 5.0)
    assert settings.HookSettings(tmp_path, "services = 1\n").service_names() == []
    assert settings.HookSettings(tmp_path, "[project]\ndeploy_branches = 'main'\n").deploy_branches() == ["main"]


def _git_init(path):
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True, timeout=60)


def test_the_anchored_deploy_branches_are_read_from_the_git_dir(tmp_path):
    """The branches last acknowledged in the anchor (in .git/deploystate) count, so narrowing
    deploy_branches in the work tree does not let a push skip the check; a broken anchor counts as none."""
    _git_init(tmp_path)
    home = settings.anchor_home(tmp_path)
    assert home == (tmp_path / ".git" / "deploystate").resolve()
    found = settings.HookSettings(tmp_path, "")
    assert found.anchored_branches() == []
    home.mkdir()
    (home / "anchor.json").write_text(json.dumps({"config": {"deploy_branches": ["main", "prod", 4]}}))
    assert found.anchored_branches() == ["main", "prod"]
    (home / "anchor.json").write_text(json.dumps({"config": {"deploy_branches": "main"}}))
    assert found.anchored_branches() == []
    (home / "anchor.json").write_text("{")
    assert found.anchored_branches() == []


def test_a_worktree_anchors_in_the_common_git_dir(tmp_path):
    """In a linked worktree (.git is a file) the anchor lives in the main repository's git dir; a .git file
    that names no gitdir has none."""
    main = tmp_path / "main"
    main.mkdir()
    _git_init(main)
    subprocess.run(["git", "-C", str(main), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True, capture_output=True, timeout=60)
    subprocess.run(["git", "-C", str(main), "worktree", "add", "-q", str(tmp_path / "wt")], check=True,
                   capture_output=True, timeout=60)
    assert settings.anchor_home(tmp_path / "wt") == (main / ".git" / "deploystate").resolve()
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / ".git").write_text("not a gitdir line\n")
    assert settings.anchor_home(odd) is None


def test_without_a_config_only_a_ledger_puts_a_repository_under_deploystate(tmp_path, monkeypatch):
    """No deploystate.toml: a plain repository is not configured (hooks step aside); a state directory or
    a ledger in the git dir makes it configured (hooks judge)."""
    monkeypatch.delenv("DEPLOYSTATE_ROOT", raising=False)
    monkeypatch.delenv("DEPLOYSTATE_STATE_DIR", raising=False)
    _git_init(tmp_path)
    assert not settings.find(tmp_path).configured
    home = settings.anchor_home(tmp_path)
    home.mkdir()
    (home / "ledger.jsonl").write_text("")
    assert settings.find(tmp_path).root == tmp_path.resolve()
    other = tmp_path / "other"
    other.mkdir()
    _git_init(other)
    (other / ".deploystate").mkdir()
    assert settings.find(other / ".deploystate").root == other.resolve()


def test_under_the_pre_commit_framework_a_refusal_explains_its_stash(monkeypatch):
    """PRE_COMMIT=1 adds the note about stashed ledger records; otherwise nothing."""
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert settings.framework_note().startswith("Note: the pre-commit framework hides unstaged changes")
    monkeypatch.setenv("PRE_COMMIT", "0")
    assert settings.framework_note() == ""
