"""Find the git commands inside a shell command line an agent is about to run (pure).

Agents run things like ``cd app && git commit -am "fix" && git push origin main``.
This splits such a line into simple commands, finds each ``git`` call (past
``VAR=value`` prefixes and wrappers like ``env``, ``command``, ``sudo``), and
reads git's own options the way git does, so ``-C dir``, ``-c key=value`` and
``commit -nm msg`` are understood. It is a guard, not a shell: anything it
cannot parse is left to the real git hooks, which still run.
"""

from __future__ import annotations

import shlex

_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "\n", "|&", ";;"}
_REDIRECTS = {"<", ">", ">>", "<<", "<<<", ">&", "<&", ">|", "&>"}
_WRAPPERS = {"command", "builtin", "exec", "nohup", "time", "sudo", "nice", "env", "then", "do", "else", "!"}
# git's global options that take the next word as their value
_GIT_GLOBAL_WITH_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env",
                          "--exec-path", "--list-cmds", "--attr-source"}
_COMMIT_LONG_WITH_VALUE = {"--message", "--file", "--author", "--date", "--reuse-message", "--reedit-message",
                           "--fixup", "--squash", "--template", "--trailer", "--cleanup", "--pathspec-from-file"}
_COMMIT_SHORT_WITH_VALUE = set("mFCct")
_PUSH_LONG_WITH_VALUE = {"--repo", "--push-option", "--receive-pack", "--exec"}
_PUSH_SHORT_WITH_VALUE = set("o")
_MERGE_LONG_WITH_VALUE = {"--message", "--file", "--strategy", "--strategy-option", "--cleanup", "--into-name"}
_MERGE_SHORT_WITH_VALUE = set("mFsX")


class GitCall:
    """One ``git`` invocation: its environment prefix, -c settings, -C directory, sub-command and args."""

    def __init__(self, env: dict[str, str], config: list[str], cwd: str | None, sub: str, args: list[str]) -> None:
        self.env, self.config, self.cwd, self.sub, self.args = env, config, cwd, sub, args

    def __repr__(self) -> str:
        return f"GitCall({self.sub!r}, {self.args!r})"


def _words(command: str) -> list[str]:
    lex = shlex.shlex(command.replace("\\\n", " "), posix=True, punctuation_chars="();<>|&\n")
    lex.whitespace_split = True
    lex.whitespace = " \t\r"  # keep newlines: they separate commands
    try:
        return list(lex)
    except ValueError:  # unbalanced quotes: fall back to plain splitting, the real hooks still run
        return command.split()


def simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command in ``command`` (redirections dropped)."""
    commands, current, skip = [], [], False
    words = _words(command)
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word.isdigit() and i + 1 < len(words) and words[i + 1] in _REDIRECTS:
            continue  # the file descriptor of "2>&1"
        if word in _SEPARATORS or set(word) <= set(";&|()\n"):
            if current:
                commands.append(current)
            current = []
        elif word in _REDIRECTS:
            skip = True  # the next word is the redirection's target
        else:
            current.append(word)
    if current:
        commands.append(current)
    return commands


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and not name[:1].isdigit()


def git_calls(command: str) -> list[GitCall]:
    """Every git invocation in the shell line."""
    calls = []
    for words in simple_commands(command):
        env: dict[str, str] = {}
        i = 0
        while i < len(words) and (_is_assignment(words[i]) or words[i] in _WRAPPERS or
                                  (i and words[i - 1] in ("env", "sudo") and words[i].startswith("-"))):
            if _is_assignment(words[i]):
                k, _, v = words[i].partition("=")
                env[k] = v
            i += 1
        if i >= len(words) or not (words[i] == "git" or words[i].endswith("/git")):
            continue
        i += 1
        config, cwd = [], None
        while i < len(words) and words[i].startswith("-"):
            opt = words[i]
            if opt in _GIT_GLOBAL_WITH_VALUE and i + 1 < len(words):
                if opt == "-c":
                    config.append(words[i + 1])
                elif opt == "-C":
                    cwd = words[i + 1]
                i += 2
                continue
            if opt.startswith("-c") and len(opt) > 2:
                config.append(opt[2:])
            i += 1
        if i < len(words):
            calls.append(GitCall(env, config, cwd, words[i], words[i + 1:]))
    return calls


def _parse(args: list[str], long_with_value: set[str], short_with_value: set[str]
           ) -> tuple[set[str], list[str]]:
    """(options seen, as '--long' or '-x'; positional arguments)."""
    opts: set[str] = set()
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positional += args[i + 1:]
            break
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            opts.add(name)
            if "=" not in a and name in long_with_value:
                i += 1
        elif a.startswith("-") and len(a) > 1:
            for j, ch in enumerate(a[1:], 1):
                opts.add("-" + ch)
                if ch in short_with_value:
                    if j == len(a) - 1:
                        i += 1  # the value is the next word
                    break       # the rest of the cluster is the value
        else:
            positional.append(a)
        i += 1
    return opts, positional


def bypass(call: GitCall) -> str | None:
    """Why this call skips the git hooks (--no-verify, commit -n, core.hooksPath), or None."""
    if call.sub not in ("commit", "push", "merge"):
        return None
    for setting in call.config:
        if setting.lower().startswith("core.hookspath"):
            return f"`git -c {setting} {call.sub}` points git away from the installed hooks"
    if call.sub == "commit":
        opts, _ = _parse(call.args, _COMMIT_LONG_WITH_VALUE, _COMMIT_SHORT_WITH_VALUE)
        if "--no-verify" in opts or "-n" in opts:
            return "`git commit --no-verify` (or -n) skips the commit-msg hook"
    elif call.sub == "push":
        opts, _ = _parse(call.args, _PUSH_LONG_WITH_VALUE, _PUSH_SHORT_WITH_VALUE)
        if "--no-verify" in opts:
            return "`git push --no-verify` skips the pre-push hook"
    else:
        opts, _ = _parse(call.args, _MERGE_LONG_WITH_VALUE, _MERGE_SHORT_WITH_VALUE)
        if "--no-verify" in opts:
            return "`git merge --no-verify` skips the commit-msg hook"
    return None


class PushSpec:
    """What a ``git push`` names: remote, refspecs and the flags that change what is pushed."""

    def __init__(self, remote: str | None, refspecs: list[str], all_branches: bool, tags: bool,
                 skip: bool) -> None:
        self.remote, self.refspecs, self.all_branches, self.tags, self.skip = (remote, refspecs, all_branches,
                                                                              tags, skip)


def push_spec(call: GitCall) -> PushSpec:
    opts, positional = _parse(call.args, _PUSH_LONG_WITH_VALUE, _PUSH_SHORT_WITH_VALUE)
    skip = bool(opts & {"--dry-run", "-n", "--delete", "-d", "--help", "-h"})
    return PushSpec(positional[0] if positional else None, positional[1:],
                    bool(opts & {"--all", "--branches", "--mirror"}), bool(opts & {"--tags", "--mirror"}), skip)
