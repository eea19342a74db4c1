"""The README's promises hold: its configuration examples validate and its commands exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from deploystate.server.cli import COMMANDS, build_parser
from deploystate.state.config.config import validate_config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_toml_examples_validate_together() -> None:
    """The [project], [[all_services]] and per-platform service examples form one valid config."""
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) >= 2
    text = "\n".join(blocks)
    config = validate_config(tomllib.loads(text), text)
    assert {s.platform for s in config.services.values()} >= {"compose", "kubernetes", "ecs", "command"}


def test_every_command_the_readme_names_exists() -> None:
    """Each `deploystate <command>` in the README is a registered sub-command."""
    code = re.findall(r"```(?:sh)?\n(.*?)```", README, re.S) + re.findall(r"`([^`\n]+)`", README)
    commands = [re.sub(r"#.*", "", line) for span in code for line in span.splitlines()]  # comments are prose
    named = {m for line in commands for m in re.findall(r"(?:^|[\s/])deploystate ([a-z][a-z-]+)", line)}
    assert {"demo", "init", "verify", "mark-deployed"} <= named
    assert not (named - set(COMMANDS)), named - set(COMMANDS)
    build_parser()  # every registered command builds its parser
