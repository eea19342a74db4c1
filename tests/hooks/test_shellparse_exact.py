"""git's arguments read exactly as git reads them: which word is an option's value, where `--` ends the
options, what each finding says, and which look-alikes are not bypasses (written to kill the mutants
tools/mutation_score.py found in hooks/shell/shellparse.py)."""

from __future__ import annotations

import pytest

from deploystate.hooks.shell import shellparse


def _categories(command: str) -> list[str]:
    return [f.category for f in shellparse.analyze(command).findings]


def _spec(command: str) -> shellparse.PushSpec:
    (call,) = shellparse.git_calls(command)
    return shellparse.push_spec(call)


def test_a_global_option_missing_its_value_is_no_git_call():
    """`git -C` (or `git -c`) with nothing after it runs nothing: no call, no crash."""
    assert shellparse.git_calls("git -C") == [] and shellparse.git_calls("git -c") == []
    assert shellparse.git_calls("git --config-env") == []


def test_config_env_takes_its_value_as_the_next_word():
    """git accepts `--config-env name=ENVVAR` with a space too: core.hooksPath set so is found."""
    assert _categories("git --config-env core.hooksPath=EMPTY push origin main") == ["hooks-path"]


def test_the_directory_of_dash_c_survives_later_global_options():
    """`git -C app -p push`: the push runs in app (-p, --paginate, takes no value)."""
    (call,) = shellparse.git_calls("git -C app -p push origin main")
    assert (call.cwd, call.sub, call.args) == ("app", "push", ["origin", "main"])


def test_words_after_a_double_dash_are_not_options():
    """After `--`, `-n` is a path, not --no-verify; and push's remote and refspecs are read after it too."""
    assert _categories("git commit -m wip -- -n") == []
    spec = _spec("git push -- origin main")
    assert (spec.remote, spec.refspecs) == ("origin", ["main"])


def test_an_option_value_that_reads_like_an_option_is_a_value():
    """git takes the next word as the value of --message and of -m even when it starts with a dash, and
    --message=... keeps its value inside the word."""
    assert _categories("git commit --message --no-verify") == []
    assert _categories("git commit --message=--no-verify") == []
    assert _categories("git commit -m -n") == []


def test_a_short_abbreviation_does_not_swallow_the_next_word():
    """An abbreviation of three characters (`--c`) is not trusted to take a value: the --no-verify after it
    is still read."""
    assert _categories("git commit --c --no-verify") == ["no-verify"]


def test_a_value_stuck_to_its_short_option_does_not_take_the_next_word():
    """In `-mwip -n` the message is `wip`; the -n after it is --no-verify."""
    assert _categories("git commit -mwip -n") == ["no-verify"]
    assert _categories("git commit -am wip -n") == ["no-verify"]


def test_an_optional_value_ends_the_cluster():
    """`-Sn` is -S with the key id `n` (an optional value stuck to it), not -S -n."""
    assert _categories("git commit -Sn -m wip") == []


@pytest.mark.parametrize("command,detail", [
    ("git push --no-verify", "`git push --no-verify` skips the pre-push hook"),
    ("git commit --no-verify -m x", "`git commit --no-verify` skips the commit-msg hook"),
    ("git merge --no-verif side", "`git merge --no-verif` skips the commit-msg hook"),
    ("git commit -n -m x", "`git commit -n` (--no-verify) skips the commit-msg hook"),
])
def test_the_no_verify_finding_names_the_option_and_the_hook_it_skips(command, detail):
    """The refusal says which option, as written, skips which hook."""
    assert [f.detail for f in shellparse.analyze(command).findings] == [detail]


def test_the_uncertain_finding_names_the_first_expansion():
    """Of several shell expansions in git's arguments, the first is named."""
    (finding,) = shellparse.analyze("git push $REMOTE $BRANCH").findings
    assert finding.detail.startswith("`$REMOTE` in `git push` is expanded by the shell")


@pytest.mark.parametrize("command", [
    "NOTE='see core.hooksPath' git push origin feature",  # only git's own variables configure git
    "DEBUG=0 git push origin feature",                     # only HUSKY=0 tells husky to skip
    "VERBOSE=0 git push origin feature",
    "git -c user.name=dev commit -m wip",                 # a -c setting other than core.hooksPath
    "git commit -m 'move core.hooksPath docs'",            # a message mentioning it
    "git config alias.pushlog 'log --oneline'",            # an alias whose NAME says push, running log
    "cat hooks uninstall",                                 # not deploystate
    "echo hooks uninstall",
    "deploystate state",                                   # deploystate, but not removing its hooks
    "deploystate verify api",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=color.ui GIT_CONFIG_VALUE_0=auto git push origin feature",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0=dev git push origin feature",
    "NOTE='see alias.x' git push origin feature",          # alias. in some other variable
    "A_NOTE='see alias.x' git push origin feature",
    "A_NOTE='see core.hooksPath' git push origin feature",
    "HUSKY=1 git push origin feature",                     # husky on
    "HUSKY= git push origin feature",
    "DIR=deploystate git push origin feature",             # only SKIP names hooks to skip
    "TOOL=deploystate git push origin feature",
    "git --attr-source=HEAD push origin feature",          # a global option with a value, not --exec-path
    "git --git-dir=.git push origin feature",              # a global option other than --exec-path
    "git log --grep=core.hooksPath",                       # only git config writes settings
    "git config --file pushes.ini alias.st status",        # the alias runs status
])
def test_look_alikes_of_a_bypass_are_not_refused(command):
    """Settings, variables and words that only resemble a bypass are not findings."""
    assert shellparse.analyze(command).findings == []


def test_an_alias_defined_through_gits_environment_is_refused():
    """GIT_CONFIG_KEY_n=alias.x or GIT_CONFIG_PARAMETERS with an alias defines a command the hook cannot
    see in git's config: refused as an alias."""
    assert _categories("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=push git p") == ["alias"]
    assert _categories("GIT_CONFIG_PARAMETERS=\"'alias.p=push'\" git p") == ["alias"]


def test_push_flags_are_only_the_ones_given():
    """-u and a refspec are neither --all nor --tags: the spec says so."""
    spec = _spec("git push -u origin main")
    assert (spec.all_branches, spec.tags, spec.skip) == (False, False, False)
    assert _spec("git push --mirror origin").all_branches and _spec("git push --mirror origin").tags


@pytest.mark.parametrize("command", ["rm -rf .husky", "chmod -x .husky/pre-push", "rm -r tools/hooks"])
def test_any_hooks_directory_is_guarded(command):
    """Husky's directory, and any directory named hooks, count as the installed hooks."""
    assert _categories(command) == ["hooks-tamper"]


def test_bypass_says_the_first_reason():
    """With several findings in one git call, bypass() gives the first (the config redirect here)."""
    (call,) = shellparse.git_calls("git -c core.hooksPath=/x push --no-verify")
    assert shellparse.bypass(call) == "`git -c core.hooksPath=/x` points git away from the installed hooks"


def test_exec_path_without_a_value_takes_no_word():
    """`git --exec-path` alone prints the path (no value): the words after it are the command, read as such."""
    assert _categories("git --exec-path push --no-verify") == ["no-verify"]
    assert _categories("git --exec-path=/tmp/x push") == ["exec-path"]


def test_a_value_option_takes_exactly_one_word():
    """--message takes the next word, and only it: the -n after the message is --no-verify."""
    assert _categories("git commit --message wip -n") == ["no-verify"]


def test_a_value_option_at_the_end_of_the_line_is_no_crash():
    """`git commit -m` (or --message) with the value missing reads no further: no finding, no crash."""
    assert _categories("git commit -m") == [] and _categories("git commit --message") == []


def test_an_empty_exec_path_is_still_a_replaced_exec_path():
    """`--exec-path=` with nothing after the = still points git's helpers elsewhere: refused."""
    assert _categories("git --exec-path= push origin main") == ["exec-path"]


def test_a_four_character_abbreviation_takes_its_value():
    """`--me` is git's abbreviation of --message: the word after it is the message, not an option."""
    assert _categories("git commit --me -n") == []
