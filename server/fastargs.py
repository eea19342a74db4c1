"""The command lines `deploystate state` and `render` take most often, read without building a parser.

argparse (with gettext, locale, shutil and their compression modules) and the parser's construction cost a
`state` process ~25M instructions, most of its budget of 3x `python -c pass`. ``parse`` answers only for
a command with flags from its short list below, each with what argparse gives it, and ``--root DIR`` (or
``--root=DIR``) before or after the command; any other line (help, --color, --deadline, an abbreviation, an
unknown word, a value that starts with "-") is None, and the
CLI builds the full parser as before, so help and errors are argparse's. tests/server/test_fastargs.py
checks every answer against argparse's own Namespace.
"""

from __future__ import annotations

import sys

# types.SimpleNamespace without importing types (nor importlib, which brings warnings): a process that
# runs `state` needs neither module otherwise
SimpleNamespace = type(sys.implementation)

# command -> (its sub-parser's defaults, {flag: (dest, value)}); the top level adds root, color, command.
SIMPLE: dict[str, tuple[dict[str, object], dict[str, tuple[str, object]]]] = {
    "state": ({"observe": True, "deadline": None, "json": False},
              {"--json": ("json", True), "--no-observe": ("observe", False), "--observe": ("observe", True)}),
    "render": ({"out": None, "head": None, "check": False, "observe": True},
               {"--check": ("check", True), "--no-observe": ("observe", False)}),
}


def parse(words: list[str]) -> SimpleNamespace | None:
    """argparse's Namespace for ``words`` (what follows `deploystate`) when they are a simple line, else None."""
    values = simple(words)
    if values is None:
        return None
    module = f"deploystate.server.commands.{values['command']}"
    __import__(module)  # importlib.import_module's answer for an absolute name
    values["func"] = sys.modules[module].run
    return SimpleNamespace(**values)


def simple(words: list[str]) -> dict[str, object] | None:
    """``parse``'s answer without ``func`` (imports nothing), or None."""
    values: dict[str, object] = {"root": None, "color": None}
    rest = iter(words)
    flags = None
    for word in rest:
        if word == "--root" or word.startswith("--root="):
            root = next(rest, None) if word == "--root" else word[len("--root="):]
            if root is None or root.startswith("-"):
                return None
            values["root"] = root
        elif flags is not None and word in flags:
            dest, value = flags[word]
            values[dest] = value
        elif flags is None and word in SIMPLE:
            defaults, flags = SIMPLE[word]
            values.update(command=word, **defaults)
        else:
            return None
    return values if flags is not None else None
