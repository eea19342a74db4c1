"""Every way of skipping the git hooks that an agent was seen to try (and its cousins) is denied, for its
own reason; ordinary commands stay allowed. The table runs through the parser and the real hook."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks.shell import shellparse

from .conftest import run_hook

# (command, the category the refusal must name)
BYPASSES = [
    ("git push --no-verify origin main", "no-verify"),
    ("timeout 10 git push --no-verify origin main", "no-verify"),
    ("timeout -s KILL 10 git push --no-verify origin main", "no-verify"),
    ('git commit --no-veri -m "api deployed"', "no-verify"),
    ("git commit --no-v -m wip", "no-verify"),
    ("git push --no-verif origin main", "no-verify"),
    ("git commit -n -m wip", "no-verify"),
    ("git add -A && git commit -anm wip", "no-verify"),
    ("git commit -am wip -n", "no-verify"),
    ("git merge --no-verify feature", "no-verify"),
    ("git pull --no-verify origin main", "no-verify"),
    ('sh -c "git push --no-verify"', "no-verify"),
    ("bash -c 'git push --no-verify origin main'", "no-verify"),
    ("bash -lc 'cd app && git push --no-verify'", "no-verify"),
    ('zsh -c "git commit -nm wip"', "no-verify"),
    ("bash -e -c 'git push --no-verify'", "no-verify"),
    ('sh -c "sh -c \\"git push --no-verify\\""', "no-verify"),
    ("eval git push --no-verify", "no-verify"),
    ("eval 'git push --no-verify origin main'", "no-verify"),
    ("g=git; $g push --no-verify", "no-verify"),
    ("g=git && ${g} push --no-verify origin main", "no-verify"),
    ('cmd="git push --no-verify"; $cmd', "no-verify"),
    ("f=--no-verify; git push $f origin main", "no-verify"),
    ("env git push --no-verify", "no-verify"),
    ("env -i PATH=/usr/bin git push --no-verify", "no-verify"),
    ("env -S 'git push --no-verify'", "no-verify"),
    ("nice -n 10 git push --no-verify", "no-verify"),
    ("nohup git push --no-verify &", "no-verify"),
    ("command git push --no-verify", "no-verify"),
    ("exec git push --no-verify", "no-verify"),
    ("sudo -u dev git push --no-verify", "no-verify"),
    ("time git commit -nm wip", "no-verify"),
    ("echo origin | xargs git push --no-verify", "no-verify"),
    ("xargs -n 1 git push --no-verify < remotes", "no-verify"),
    ("(cd app && git push --no-verify)", "no-verify"),
    ("{ git push --no-verify; }", "no-verify"),
    ("echo $(git push --no-verify)", "no-verify"),
    ('echo "`git push --no-verify`"', "no-verify"),
    ("true; git push --no-verify", "no-verify"),
    ("false || git push --no-verify", "no-verify"),
    ("git status | git push --no-verify", "no-verify"),
    ("/usr/bin/git push --no-verify", "no-verify"),
    ("\\git push --no-verify", "no-verify"),
    ("g''it push --no-verify", "no-verify"),
    ("git -C app push --no-verify", "no-verify"),
    ("if true; then git push --no-verify; fi", "no-verify"),
    ("for r in a; do git push --no-verify $r; done", "no-verify"),
    ('flock /tmp/lock -c "git push --no-verify"', "no-verify"),
    ("watch -n 5 git push --no-verify", "no-verify"),
    ("env --split-string='git push --no-verify'", "no-verify"),
    ('env -S"git push --no-verify"', "no-verify"),
    ("busybox sh -c 'git push --no-verify'", "no-verify"),
    ("bash -o pipefail -c 'git push --no-verify'", "no-verify"),
    ("bash --norc -c 'git push --no-verify'", "no-verify"),
    ("git -c core.hooksPath=/dev/null push origin main", "hooks-path"),
    ("git -c core.hookspath=/tmp/none commit -m wip", "hooks-path"),
    ("git -ccore.hooksPath=/dev/null push", "hooks-path"),
    ("git --config-env=core.hooksPath=EMPTY push", "hooks-path"),
    ("GIT_CONFIG_PARAMETERS=\"'core.hooksPath=/dev/null'\" git push", "hooks-path"),
    ("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/x git push", "hooks-path"),
    ("export GIT_CONFIG_PARAMETERS=\"'core.hooksPath=/x'\"; git push origin main", "hooks-path"),
    ("git config core.hooksPath /dev/null", "hooks-path"),
    ("git config --unset core.hooksPath", "hooks-path"),
    ("git --exec-path=/tmp/fake push origin main", "exec-path"),
    ("GIT_EXEC_PATH=/tmp/fake git push", "exec-path"),
    ("git send-pack origin refs/heads/main", "plumbing-push"),
    ("git http-push https://example.test/repo main", "plumbing-push"),
    ("bash -c 'git send-pack ../remote.git main'", "plumbing-push"),
    ("git -c alias.p=push p origin main", "alias"),
    ("git config alias.ship 'push --no-verify'", "alias"),
    ("git config --global alias.x '!git push'", "alias"),
    ("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0='push --no-verify' git p origin main", "alias"),
    ("GIT_CONFIG_PARAMETERS=\"'alias.p=push --no-verify'\" git p origin main", "alias"),
    ("SKIP=deploystate-pre-push git push origin main", "skip-env"),
    ("HUSKY=0 git push", "skip-env"),
    ("rm .git/hooks/pre-push", "hooks-tamper"),
    ("chmod -x .git/hooks/commit-msg && git commit -m 'api deployed'", "hooks-tamper"),
    ("mv .git/hooks/pre-push /tmp/", "hooks-tamper"),
    ("deploystate hooks uninstall --all", "hooks-tamper"),
    ("$GIT push origin main", "uncertain"),
    ("$(which git) push --no-verify", "uncertain"),
    ("g=$(which git); $g push origin main", "uncertain"),
    ('git push origin "$BRANCH"', "uncertain"),
    ("git commit $FLAGS -m wip", "uncertain"),
    ('echo "git push --no-verify" | sh', "uncertain"),
    ("bash < push.txt; git push", "uncertain"),
    ('git commit -m "unbalanced', "uncertain"),
    ("python3 -c \"import subprocess; subprocess.run(['git', 'push', '--no-verify'])\"", "uncertain"),
    ("/usr/bin/g?t push origin main", "uncertain"),
    ("eval eval eval eval eval eval eval eval git push origin main", "uncertain"),   # deeper than followed
]

ALLOWED = [
    "git status",
    "git log --oneline -5",
    "git diff --stat",
    "git add -A",
    "git commit -m 'fix the cart total'",
    "git commit -am 'wip' --verbose",
    "git commit -m 'do not use --no-verify'",
    'git commit -m "$(cat msg.txt)"',
    "git push origin feature",
    "git push -u origin HEAD:feature",
    "git push --dry-run origin main",
    "git push -n origin main",
    "git fetch origin && git rebase origin/main",
    "git config --get core.hooksPath",
    "git config user.name 'Dev'",
    "git -C app status",
    "git stash && git stash pop",
    "echo git push --no-verify",
    "grep -rn 'no-verify' docs/",
    "ls $HOME",
    "$EDITOR notes.txt",
    "npm test && pytest -q",
    "python -m pytest tests -q",
    "bash scripts/build.sh",
    "sh -c 'echo hello'",
    "timeout 60 pytest -q",
    "cat .git/hooks/pre-push",
    "DEPLOYSTATE_OVERRIDE='outage hotfix now' git push origin feature",
    "deploystate hooks status --all",
    "command -v git",
]


@pytest.mark.parametrize("command,category", BYPASSES)
def test_the_parser_names_each_bypass(command, category):
    """Each bypass is found, and the first finding is of the expected category."""
    findings = shellparse.analyze(command).findings
    assert findings, f"not denied: {command}"
    assert findings[0].category == category, findings


@pytest.mark.parametrize("command", ALLOWED)
def test_ordinary_commands_have_no_findings(command):
    """Ordinary commands (reading, committing, pushing feature branches) are not refused."""
    assert shellparse.analyze(command).findings == []


def _tool(cwd, command: str) -> str:
    return json.dumps({"hook_event_name": "PreToolUse", "session_id": "s", "cwd": str(cwd), "tool_name": "Bash",
                       "tool_input": {"command": command}})


@pytest.mark.parametrize("command,category", BYPASSES)
def test_the_hook_denies_each_bypass_with_its_category(tmp_path, command, category):
    """Through the real hook process, each bypass is denied and the reason names its category."""
    res = run_hook(["agent", "claude", "pre-tool"], cwd=tmp_path, input=_tool(tmp_path, command))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny"
    assert out["permissionDecisionReason"].startswith(f"deploystate: denied ({category}): ")


def test_the_hook_allows_ordinary_commands(tmp_path):
    """The allowed list produces no output at all from the real hook (one process per command)."""
    for command in ALLOWED:
        res = run_hook(["agent", "claude", "pre-tool"], cwd=tmp_path, input=_tool(tmp_path, command))
        assert res.returncode == 0 and res.stdout == "", (command, res.stdout, res.stderr)


@pytest.mark.parametrize("alias,value", [("ship", "push --no-verify"), ("sp", "send-pack"),
                                         ("yolo", "!git push --no-verify origin main")])
def test_an_alias_already_in_git_config_is_expanded(shop, alias, value):
    """`git ship` where git's config says ship = push --no-verify is denied as an alias, naming it."""
    shop.git("config", f"alias.{alias}", value)
    res = run_hook(["agent", "claude", "pre-tool"], cwd=shop.path, input=_tool(shop.path, f"git {alias} origin main"))
    reason = json.loads(res.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.startswith(f"deploystate: denied (alias): `git {alias}` is an alias for `{value}`")


def test_a_harmless_alias_is_allowed(shop):
    """An alias that expands to an ordinary command stays allowed."""
    shop.git("config", "alias.st", "status -sb")
    res = run_hook(["agent", "claude", "pre-tool"], cwd=shop.path, input=_tool(shop.path, "git st"))
    assert res.returncode == 0 and res.stdout == ""
