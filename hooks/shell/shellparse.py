"""Find the git commands in a shell line an agent is about to run, and every way it skips the hooks (pure).

``shellwords`` unwraps the line into the simple commands it runs (nested
shells, eval, env/timeout/xargs/..., subshells, variables); this module reads
git's own options the way git does: global ``-C``/``-c``/``--config-env``,
clustered short options (``commit -anm``), and abbreviated long options, which
git accepts when unambiguous (``--no-veri``). ``analyze`` returns each finding
with its category, so callers (and tests) know exactly why a line is refused:

- ``no-verify``: ``--no-verify`` (any abbreviation) or ``commit -n``;
- ``hooks-path``: ``core.hooksPath`` redirected (``-c``, ``--config-env``, GIT_CONFIG_* variables, ``git config``);
- ``exec-path``: git's helper programs replaced (``--exec-path=``, ``GIT_EXEC_PATH``);
- ``plumbing-push``: ``git send-pack`` / ``http-push``, which never run pre-push;
- ``alias``: an alias defined on the command line or into git's config that runs a push or commit;
- ``skip-env``: a hook manager told to skip hooks (pre-commit's ``SKIP``, ``HUSKY=0``);
- ``hooks-tamper``: the installed hooks removed or rewritten, or ``deploystate hooks uninstall``;
- ``uncertain``: part of the line cannot be known (an expansion in command position or in git's
  arguments, a shell reading stdin, unbalanced quotes, inline code calling git) and it could push or
  skip hooks.
"""

from __future__ import annotations

from .shellwords import Command, parse

# git's global options that take the next word as their value
_GIT_GLOBAL_WITH_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env",
                          "--exec-path", "--list-cmds", "--attr-source"}
# short options that take a value, per sub-command (the rest of the cluster, or the next word); and short
# options whose value is optional (only the rest of the cluster)
_SHORT_VALUE = {"commit": set("mFCct"), "push": set("o"), "merge": set("mFsX"), "pull": set("sX")}
_SHORT_OPTIONAL = {"commit": set("Su"), "merge": set("S"), "pull": set("S")}
_LONG_VALUE = {
    "commit": {"--message", "--file", "--author", "--date", "--reuse-message", "--reedit-message", "--fixup",
               "--squash", "--template", "--trailer", "--cleanup", "--pathspec-from-file"},
    "push": {"--repo", "--push-option", "--receive-pack", "--exec"},
    "merge": {"--message", "--file", "--strategy", "--strategy-option", "--cleanup", "--into-name"},
    "pull": {"--strategy", "--strategy-option", "--depth", "--upload-pack"},
}
_VERIFYING = {"commit", "push", "merge", "pull"}
_NO_VERIFY_SHORTEST = "--no-v"  # shorter prefixes are not even ambiguous guesses of --no-verify
_PLUMBING_PUSH = {"send-pack", "http-push"}
_TAMPER = {"rm", "mv", "chmod", "cp", "ln", "truncate", "tee", "unlink", "install", "sed", "dd", "shred"}
# Patterns, not compiled ones: re is imported only where a line needs one (shelltokens says why)
_RISKY = r"(?i)git|push|commit|merge|send-pack|hook|verify"
_ALIAS_RISK = r"(?i)push|commit|merge|send-pack|no-verify|hookspath|^!"


def _search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


class GitCall:
    """One ``git`` invocation: its environment prefix, -c settings, -C directory, sub-command and args."""

    def __init__(self, env: dict[str, str], config: list[str], cwd: str | None, sub: str, args: list[str],
                 exec_path: str | None = None) -> None:
        self.env, self.config, self.cwd, self.sub, self.args = env, config, cwd, sub, args
        self.exec_path = exec_path

    def __repr__(self) -> str:
        return f"GitCall({self.sub!r}, {self.args!r})"


class Finding:
    """Why a line is refused: a category (see the module docstring) and a sentence."""

    def __init__(self, category: str, detail: str) -> None:
        self.category, self.detail = category, detail

    def __repr__(self) -> str:
        return f"Finding({self.category!r}, {self.detail!r})"


class Analysis:
    def __init__(self, calls: list[GitCall], findings: list[Finding]) -> None:
        self.calls, self.findings = calls, findings


def _git_call(cmd: Command) -> GitCall | None:
    words = cmd.words
    if not words or cmd.name != "git":
        return None
    i, config, cwd, exec_path = 1, [], None, None
    while i < len(words) and words[i].startswith("-"):
        opt, _, attached = words[i].partition("=")
        if opt in _GIT_GLOBAL_WITH_VALUE and not attached and opt != "--exec-path" and i + 1 < len(words):
            value = words[i + 1]
            i += 2
        else:
            value = attached if attached or "=" in words[i] else None
            if opt.startswith("-c") and len(opt) > 2 and opt != "-c":  # -ckey=value
                opt, value = "-c", words[i][2:]
            i += 1
        if opt == "-c" and value is not None:
            config.append(value)
        elif opt == "--config-env" and value is not None:
            config.append(value)  # key=ENVVAR: the key is what matters
        elif opt == "-C":
            cwd = value
        elif opt == "--exec-path" and value is not None:
            exec_path = value
    if i >= len(words):
        return None
    return GitCall(cmd.env, config, cwd, words[i], words[i + 1:], exec_path)


def options(sub: str, args: list[str]) -> tuple[list[str], list[str]]:
    """(options as written, '--long' or '-x' per short letter; positional arguments) for ``git <sub>``."""
    opts: list[str] = []
    positional: list[str] = []
    short_value, optional = _SHORT_VALUE.get(sub, set()), _SHORT_OPTIONAL.get(sub, set())
    long_value = _LONG_VALUE.get(sub, set())
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positional += args[i + 1:]
            break
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            opts.append(name)
            if "=" not in a and any(v.startswith(name) for v in long_value) and len(name) > 3:
                i += 1  # the value is the next word (abbreviations of value options too)
        elif a.startswith("-") and len(a) > 1:
            for j, ch in enumerate(a[1:], 1):
                opts.append("-" + ch)
                if ch in short_value:
                    if j == len(a) - 1:
                        i += 1  # the value is the next word
                    break       # the rest of the cluster is the value
                if ch in optional:
                    break
        else:
            positional.append(a)
        i += 1
    return opts, positional


def _skips_hooks(call: GitCall) -> str | None:
    if call.sub not in _VERIFYING:
        return None
    opts, _ = options(call.sub, call.args)
    for opt in opts:
        if len(opt) >= len(_NO_VERIFY_SHORTEST) and "--no-verify".startswith(opt):
            return f"`git {call.sub} {opt}` skips the {'pre-push' if call.sub == 'push' else 'commit-msg'} hook"
    if call.sub == "commit" and "-n" in opts:
        return "`git commit -n` (--no-verify) skips the commit-msg hook"
    return None


def _env_findings(env: dict[str, str]) -> list[Finding]:
    found = []
    for key, value in env.items():
        if key == "GIT_CONFIG_PARAMETERS" and "hookspath" in value.lower() or (
                key.startswith("GIT_CONFIG_KEY_") and value.lower() == "core.hookspath"):
            found.append(Finding("hooks-path", f"`{key}` redirects core.hooksPath away from the installed hooks"))
        elif key == "GIT_CONFIG_PARAMETERS" and "alias." in value.lower() or (
                key.startswith("GIT_CONFIG_KEY_") and value.lower().startswith("alias.")):
            found.append(Finding("alias", f"`{key}` defines a git command on the fly"))
        elif key == "GIT_EXEC_PATH":
            found.append(Finding("exec-path", "`GIT_EXEC_PATH` replaces git's own helper programs"))
        elif key == "SKIP" and "deploystate" in value.lower() or key == "HUSKY" and value == "0":
            found.append(Finding("skip-env", f"`{key}={value}` tells the hook manager to skip deploystate's hooks"))
    return found


def _call_findings(call: GitCall) -> list[Finding]:
    found = _env_findings(call.env)
    for setting in call.config:
        key, _, value = setting.partition("=")
        if key.lower() == "core.hookspath":
            found.append(Finding("hooks-path", f"`git -c {setting}` points git away from the installed hooks"))
        elif key.lower().startswith("alias."):
            found.append(Finding("alias", f"`git -c {setting}` defines a command on the fly"))
    if call.exec_path is not None:
        found.append(Finding("exec-path", "`git --exec-path=...` replaces git's own helper programs"))
    why = _skips_hooks(call)
    if why:
        found.append(Finding("no-verify", why))
    if call.sub in _PLUMBING_PUSH:
        found.append(Finding("plumbing-push", f"`git {call.sub}` pushes without running the pre-push hook"))
    if call.sub == "config":
        lowered = [a.lower() for a in call.args]
        reading = any(a.startswith("--get") or a in ("-l", "--list", "get", "list") for a in lowered)
        if not reading and any("core.hookspath" in a for a in lowered):
            found.append(Finding("hooks-path", "`git config core.hooksPath` moves git away from the installed hooks"))
        alias = next((j for j, a in enumerate(lowered) if a.startswith("alias.")), None)
        if not reading and alias is not None and any(_search(_ALIAS_RISK, a) for a in call.args[alias + 1:]):
            found.append(Finding("alias", f"`git config {call.args[alias]}` defines an alias that pushes or commits"))
    if call.sub in _VERIFYING:
        opts, positional = options(call.sub, call.args)
        hidden = [a for a in positional if "$" in a or "`" in a]
        if hidden:
            found.append(Finding("uncertain", f"`{hidden[0]}` in `git {call.sub}` is expanded by the shell and "
                                              "could be an option such as --no-verify"))
    return found


def _other_findings(cmd: Command) -> list[Finding]:
    found = _env_findings(cmd.env)
    args = cmd.words[1:]
    if cmd.name in _TAMPER and any(".git/hooks" in a or ".husky" in a or a.endswith("/hooks") for a in args):
        found.append(Finding("hooks-tamper", f"`{cmd.name}` on the hooks directory disables the installed hooks"))
    if cmd.name == "deploystate" and args[:2] == ["hooks", "uninstall"]:
        found.append(Finding("hooks-tamper", "removing deploystate's hooks is for a person to do, not the agent"))
    if cmd.code is not None and "git" in cmd.code and _search(r"(?i)no-verify|hookspath|send-pack|\bpush\b",
                                                                  cmd.code):
        found.append(Finding("uncertain", f"`{cmd.name}` runs inline code that calls git, which cannot be "
                                          "checked here"))
    return found


def analyze(command: str) -> Analysis:
    """The git calls in ``command`` and everything in it that skips or might skip the hooks."""
    parsed = parse(command)
    calls, findings = [], []
    for cmd in parsed.commands:
        call = _git_call(cmd)
        if call is not None:
            calls.append(call)
            findings += _call_findings(call)
        elif cmd.words or cmd.env:
            findings += _other_findings(cmd)
    findings += _env_findings(parsed.assigned)
    if parsed.unknown and _search(_RISKY, command):
        findings += [Finding("uncertain", why) for why in parsed.unknown]
    seen, unique = set(), []
    for f in findings:
        if (f.category, f.detail) not in seen:
            seen.add((f.category, f.detail))
            unique.append(f)
    return Analysis(calls, unique)


def git_calls(command: str) -> list[GitCall]:
    """Every git invocation in the shell line."""
    return analyze(command).calls


def bypass(call: GitCall) -> str | None:
    """Why this call skips the git hooks, or None (the first finding's sentence)."""
    found = _call_findings(call)
    return found[0].detail if found else None


class PushSpec:
    """What a ``git push`` names: remote, refspecs and the flags that change what is pushed."""

    def __init__(self, remote: str | None, refspecs: list[str], all_branches: bool, tags: bool,
                 skip: bool) -> None:
        self.remote, self.refspecs, self.all_branches, self.tags, self.skip = (remote, refspecs, all_branches,
                                                                              tags, skip)


def push_spec(call: GitCall) -> PushSpec:
    opts, positional = options("push", call.args)
    given = set(opts)
    skip = bool(given & {"--dry-run", "-n", "--delete", "-d", "--help", "-h"})
    return PushSpec(positional[0] if positional else None, positional[1:],
                    bool(given & {"--all", "--branches", "--mirror"}), bool(given & {"--tags", "--mirror"}), skip)
