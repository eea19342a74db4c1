"""Helpers shared by the sub-commands: find the project, print text or JSON."""

from __future__ import annotations

import sys

from deploystate.state.config.project import Project

# argparse only where a parser is built: `state` and `render` run without it (server/fastargs.py), and argparse
# (with gettext, locale, shutil) costs such a process ~25M instructions; typing's names are annotations only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Callable


def project_from(args: argparse.Namespace) -> Project:
    """The project, with its deploystate.toml validated first: a config the schema rejects stops
    every command here (ConfigError, exit 2, naming file, line and key) before anything is written."""
    project = Project.discover(getattr(args, "root", None))
    validated(project)
    return project


def validated(project: Project) -> bool:
    """Validate the project's deploystate.toml with the full schema (standard library, every time: no
    memo of earlier answers); False when there is no file."""
    from deploystate.state.config.config import load_config
    from deploystate.state.errors import StateMissing

    try:
        load_config(project.config_file)
    except StateMissing:
        return False
    return True


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One positional or option of a command, as data for ``command``: ``arg("--limit", type=int, help=...)``."""
    return flags, options


def command(sub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int] | None, *,
            json: bool = False, arguments: tuple = (), defaults: dict[str, Any] | None = None,
            formatter_class: type | None = None, **parser: Any) -> argparse.ArgumentParser:
    """Register the sub-command ``name``, declared in one call: its help, description and epilog
    (``parser``), its ``arguments`` (``arg(...)``) in the order ``--help`` lists them, ``--json`` last when
    ``json``, and ``func(args) -> exit code`` (with any other ``defaults``) as what runs it. Every command module registers through this,
    so the parts they share (formatter, --json, how the function is attached) are written once."""
    import argparse

    p = sub.add_parser(name, formatter_class=formatter_class or argparse.RawDescriptionHelpFormatter, **parser)
    for flags, options in arguments:
        p.add_argument(*flags, **options)
    if json:
        add_json(p)
    if func is not None or defaults:
        p.set_defaults(**({"func": func} if func is not None else {}), **(defaults or {}))
    return p


def actions(parser: argparse.ArgumentParser, dest: str, *, required: bool = False) -> argparse._SubParsersAction:
    """The ACTION level of a command with sub-actions (``attempt add|list|check``); the command alone prints
    its help and exits 2 unless an action is ``required`` (argparse then says which are valid)."""
    if not required:
        parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=required)


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else ``text``."""
    if getattr(args, "json", False):
        import json

        # one string, one write (json.dump writes each of its thousands of chunks on its own): the same text
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def color(text: str, code: str) -> str:
    """ANSI colour when stdout should be coloured (--color, NO_COLOR; codes: 31 red, 32 green, 33 yellow, 1 bold)."""
    from deploystate.server.colour import paint

    return paint(text, code, sys.stdout)
