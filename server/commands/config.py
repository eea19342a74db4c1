"""``deploystate config``: the JSON Schema of deploystate.toml for editors, and a validation of the file."""

from __future__ import annotations

import argparse
import sys

from ._common import actions, command, emit, project_from

EPILOG = """\
examples:
  deploystate config schema > deploystate.schema.json     for a TOML editor (see docs/config.md)
  deploystate config validate                              exit 0 when deploystate.toml loads, 2 with file:line:key
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "config", None, epilog=EPILOG, help="JSON Schema of deploystate.toml; validate it",
                description="Print the JSON Schema generated from the models deploystate validates the "
                            "config with, or validate deploystate.toml exactly as every command does.")
    action = actions(p, "config_action", required=True)
    command(action, "schema", run_schema, formatter_class=argparse.HelpFormatter,
            help="print the JSON Schema of deploystate.toml")
    command(action, "validate", run_validate, json=True, formatter_class=argparse.HelpFormatter,
            help="load deploystate.toml as every command does and say what is wrong")


def run_schema(args: argparse.Namespace) -> int:
    from deploystate.server.config_schema import text

    sys.stdout.write(text())
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config

    project = project_from(args)
    config = load_config(project.config_path)  # a ConfigError is exit 2 naming file, line and key
    names = sorted(config.services)
    emit(args, {"ok": True, "file": str(project.config_path), "services": names},
         f"{project.config_path}: valid ({len(names)} services: {', '.join(names) or 'none'})")
    return 0
