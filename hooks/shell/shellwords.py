"""Every command a shell line would run, as far as it can be known without running it (pure).

An agent can hide ``git push --no-verify`` in many shapes: ``sh -c "..."``,
``eval``, ``timeout 10 git ...``, ``xargs git ...``, a subshell, ``$(...)``,
or a variable (``g=git; $g push``). This module unwraps those shapes into the
simple commands they run, substitutes variables assigned earlier in the same
line, and reports what it could not know (a command word that is an unknown
expansion, a shell reading its script from stdin, unbalanced quotes) so the
caller can refuse instead of guessing. It is a guard, not a shell.
"""

from __future__ import annotations

import os

from .shelltokens import expand, words as _tokens  # shlex's split without importing shlex or re

MAX_DEPTH = 6  # nested sh -c / eval levels followed before giving up (and refusing)

_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "\n", "|&", ";;", "{", "}"}
_REDIRECTS = {"<", ">", ">>", "<<", "<<<", ">&", "<&", ">|", "&>", "&>>", "<>", "<<-"}
_KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "nohup", "builtin",
             "setsid", "unbuffer", "caffeinate", "chronic", "proxychains", "proxychains4", "torsocks", "catchsegv"}
# wrapper -> (options that take the next word as their value, positional words before the command)
_WRAPPERS = {
    "env": ({"-u", "--unset", "-C", "--chdir"}, 0),
    "command": (set(), 0), "exec": ({"-a"}, 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "sudo": ({"-u", "--user", "-g", "--group", "-C", "-D", "--chdir", "-h", "--host", "-p", "--prompt", "-r",
              "--role", "-t", "--type", "-U", "--other-user", "-T", "--command-timeout"}, 0),
    "doas": ({"-u", "-C"}, 0),
    "stdbuf": ({"-i", "-o", "-e", "--input", "--output", "--error"}, 0),
    "ionice": ({"-c", "--class", "-n", "--classdata", "-p", "--pid"}, 0),
    "chrt": (set(), 1), "taskset": (set(), 1),
    "flock": ({"-w", "--timeout", "-E", "--conflict-exit-code"}, 1),
    "xargs": ({"-a", "--arg-file", "-d", "--delimiter", "-E", "-e", "-I", "-i", "-L", "-l", "-n", "--max-args",
               "-P", "--max-procs", "-s", "--max-chars", "--process-slot-var"}, 0),
    "watch": ({"-n", "--interval", "-d"}, 0),
    "time": ({"-f", "--format", "-o", "--output"}, 0),
}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "busybox"}
_SHELL_OPTS_WITH_VALUE = {"-o", "+o", "-O", "+O", "--rcfile", "--init-file"}
_INLINE_CODE = {"python": "-c", "python3": "-c", "node": "-e", "perl": "-e", "ruby": "-e", "php": "-r",
                "deno": "eval", "bun": "-e"}
class Command:
    """One simple command after unwrapping: its words and the environment assignments before it."""

    def __init__(self, words: list[str], env: dict[str, str], code: str | None = None) -> None:
        self.words, self.env, self.code = words, env, code  # code: inline program text (python -c ...)

    @property
    def name(self) -> str:
        return os.path.basename(self.words[0]) if self.words else ""

    def __repr__(self) -> str:
        return f"Command({self.words!r})"


class Parsed:
    """What the line runs (``commands``) and what could not be known (``unknown``: one reason each)."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.unknown: list[str] = []
        self.assigned: dict[str, str] = {}  # every VAR=value and export VAR=value seen (values checked too)


def substitutions(text: str) -> list[str]:
    """The bodies of ``$(...)`` and backquotes in ``text`` outside single quotes (they run too)."""
    found, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == "`":
            end = text.find("`", i + 1)
            found.append(text[i + 1:end if end >= 0 else n])
            i = n if end < 0 else end + 1
            continue
        if text.startswith("$(", i) and not text.startswith("$((", i):
            depth, j = 1, i + 2
            while j < n and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            found.append(text[i + 2:j - 1 if depth == 0 else n])
            i = j
            continue
        i += 1
    return found


def _words(text: str) -> list[str] | None:
    """shlex's words (POSIX, split at " \\t\\r" and at runs of ();<>|& and newline, newlines kept: they separate
    commands, ``#`` comments); None when the quoting does not balance."""
    try:
        return _tokens(text.replace("\\\n", " "))
    except ValueError:  # unbalanced quotes
        return None


def simple_commands(text: str) -> list[list[str]] | None:
    """The words of each simple command (redirections dropped); None when the quoting does not balance."""
    words = _words(text)
    if words is None:
        return None
    commands, current, skip = [], [], False
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
        elif word in _REDIRECTS or (set(word) <= set("<>&|") and word):
            skip = True  # the next word is the redirection's target
        else:
            current.append(word)
    if current:
        commands.append(current)
    return commands


def is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and bool(name) and name.replace("_", "a").isalnum() and not name[0].isdigit()


def _skip_options(words: list[str], i: int, with_value: set[str], positional: int) -> int:
    """Index of the wrapped command in ``words`` after a wrapper's options (and its positional words)."""
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        if words[i] == "--":
            i += 1
            break
        opt = words[i].split("=", 1)[0]
        i += 2 if (opt in with_value and "=" not in words[i]) else 1
    return i + positional


def parse(text: str, depth: int = 0, out: Parsed | None = None) -> Parsed:
    """Unwrap ``text`` into the simple commands it runs (recursing into nested shells)."""
    out = out or Parsed()
    if depth > MAX_DEPTH:
        out.unknown.append(f"more than {MAX_DEPTH} nested shells")
        return out
    for body in substitutions(text):
        parse(body, depth + 1, out)
    commands = simple_commands(text)
    if commands is None:
        out.unknown.append("the quoting does not balance, so the command cannot be read reliably")
        return out
    for words in commands:
        _unwrap(words, depth, out)
    return out


def _unwrap(words: list[str], depth: int, out: Parsed) -> None:
    env: dict[str, str] = {}
    words = [expand(w, out.assigned) for w in words]
    i = 0
    while i < len(words):
        word = words[i]
        if is_assignment(word):
            k, _, v = word.partition("=")
            env[k] = v
            i += 1
            continue
        name = os.path.basename(word)
        if word in _KEYWORDS:
            i += 1
        elif name in ("export", "local", "declare", "typeset", "readonly"):
            for w in words[i + 1:]:
                if is_assignment(w):
                    k, _, v = w.partition("=")
                    out.assigned[k] = v
            return
        elif name == "command" and any(w in ("-v", "-V") for w in words[i + 1:i + 3]):
            return  # `command -v git` only looks the name up
        elif name in _WRAPPERS:
            opts, positional = _WRAPPERS[name]
            if name == "env":  # env -S "git push ..." splits its argument into a command
                for j, w in enumerate(words[i + 1:], i + 1):
                    if w in ("-S", "--split-string") and j + 1 < len(words):
                        parse(" ".join(words[j + 1:]), depth + 1, out)
                        return
                    if w.startswith(("-S", "--split-string=")):
                        parse(w.split("=", 1)[1] if w.startswith("--") else w[2:] + " " + " ".join(words[j + 1:]),
                              depth + 1, out)
                        return
            if name == "flock" and "-c" in words[i + 1:]:
                j = words.index("-c", i + 1)
                parse(" ".join(words[j + 1:j + 2]), depth + 1, out)
                return
            if name == "watch":  # watch joins its arguments into one shell command
                j = _skip_options(words, i + 1, opts, 0)
                parse(" ".join(words[j:]), depth + 1, out)
                return
            i = _skip_options(words, i + 1, opts, positional)
        elif name == "eval":
            parse(" ".join(words[i + 1:]), depth + 1, out)
            return
        elif name in SHELLS:
            _shell(words, i, depth, out)
            return
        else:
            break
    if not env and i >= len(words):
        return
    if i >= len(words):  # a bare assignment: later words in this line see the value
        out.assigned.update(env)
        out.commands.append(Command([], env))
        return
    rest = words[i:]
    head = rest[0]
    if "$" in head or "`" in head or any(c in head for c in "*?["):
        out.unknown.append(f"`{head}` is expanded by the shell, so what it runs cannot be known here")
    elif " " in head:  # a variable holding a whole command, unquoted: the shell splits it
        inner = simple_commands(head) or [[]]
        rest = inner[0] + rest[1:]
    flag = _INLINE_CODE.get(os.path.basename(rest[0]).rstrip("0123456789.") or "")
    code = None
    if flag and flag in rest[1:-1]:
        code = rest[rest.index(flag, 1) + 1]
    out.commands.append(Command(rest, env, code))


def _shell(words: list[str], i: int, depth: int, out: Parsed) -> None:
    """``sh -c 'script'`` runs the script; a shell with neither -c nor a file reads commands from stdin."""
    j, has_c = i + 1, False
    if os.path.basename(words[i]) == "busybox":
        j += 1  # busybox sh ...
    while j < len(words):
        w = words[j]
        if w in _SHELL_OPTS_WITH_VALUE:
            j += 2
            continue
        if w.startswith("--"):
            j += 1
            continue
        if w.startswith(("-", "+")) and len(w) > 1:
            has_c = has_c or "c" in w[1:]
            j += 1
            continue
        break
    if has_c and j < len(words):
        parse(words[j], depth + 1, out)
    elif j >= len(words):
        out.unknown.append(f"`{os.path.basename(words[i])}` reads its commands from stdin, which cannot be seen here")
