"""Helpers shared by the sub-commands: find the project, print text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from deploystate.state.project import Project

RAW = argparse.RawDescriptionHelpFormatter


def project_from(args: argparse.Namespace) -> Project:
    """The project, with its deploystate.toml validated first: a config the schema rejects stops
    every command here (ConfigError, exit 2, naming file, line and key) before anything is written."""
    project = Project.discover(getattr(args, "root", None))
    validated(project)
    return project


def validated(project: Project):  # noqa: ANN201 (Config | None; pydantic is imported lazily)
    """Validate the project's deploystate.toml with the full schema; None when there is no file."""
    if not project.config_path.is_file():
        return None
    from deploystate.state.config import load_config

    return load_config(project.config_path)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else ``text``."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def color(text: str, code: str) -> str:
    """ANSI colour when stdout should be coloured (--color, NO_COLOR; codes: 31 red, 32 green, 33 yellow, 1 bold)."""
    from deploystate.server.colour import paint

    return paint(text, code, sys.stdout)
