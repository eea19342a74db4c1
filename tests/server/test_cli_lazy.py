"""A command run builds only its own sub-parser: the same help, options and errors as the whole parser."""

from __future__ import annotations

import argparse

import pytest

from deploystate.server import cli


def _sub(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_one_command_parser_equals_its_part_of_the_whole(name: str) -> None:
    """Each command's parser built alone prints the same help as the one inside the whole parser."""
    assert _sub(cli.build_parser(name), name).format_help() == _sub(cli.build_parser(), name).format_help()


@pytest.mark.parametrize("argv,expected", [
    (["state"], "state"), (["--root", "x", "state", "--json"], "state"), (["--root=x", "verify", "web"], "verify"),
    (["--color", "never", "mark-deployed"], "mark-deployed"), (["--root", "state", "render"], "render"),
    (["--ro", "state", "render"], "render"), (["--version"], None), ([], None), (["nosuch"], None),
    (["-h"], None), (["--", "state"], None),
])
def test_chosen_command_skips_option_values(argv: list[str], expected: str | None) -> None:
    """The command is the first word after the top-level options, never an option's value."""
    assert cli.chosen_command(argv) == expected


def test_an_unknown_command_is_refused_listing_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt command still gets the whole parser's error naming the commands there are."""
    with pytest.raises(SystemExit):
        cli.main(["stat"])
    err = capsys.readouterr().err
    assert "invalid choice: 'stat'" in err and "'verify'" in err and "'render'" in err
