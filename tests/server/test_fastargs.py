"""`state` and `render` command lines read without argparse give exactly argparse's Namespace."""

from __future__ import annotations

import itertools

import pytest

from deploystate.server import cli, fastargs

WORDS = ["state", "render", "--json", "--no-observe", "--observe", "--check", "--root", "r", "--root=d", "--root=",
         "-x", "--out", "--deadline", "-h", "--js", "--color", "--", "verify"]


def _argparse(words: list[str]) -> dict | None:
    try:
        return vars(cli.build_parser(cli.chosen_command(words)).parse_args(words))
    except SystemExit:
        return None


def test_a_simple_line_reads_as_argparse_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    """For every line of up to three of these words: where ``parse`` answers, its Namespace equals argparse's
    (func included) and argparse refuses none of them."""
    answered = 0
    for words in (list(w) for n in range(1, 4) for w in itertools.product(WORDS, repeat=n)):
        got = fastargs.parse(words)
        if got is not None:
            answered += 1
            assert vars(got) == _argparse(words), words
    capsys.readouterr()
    assert answered > 50


@pytest.mark.parametrize("words", [["state"], ["state", "--json"], ["state", "--no-observe"], ["render"],
                                   ["render", "--check"], ["--root", "x", "state", "--json"], ["state", "--root=x"],
                                   ["render", "--no-observe", "--root", "y"]])
def test_the_common_lines_need_no_parser(words: list[str]) -> None:
    """The lines `state` and `render` are run with most are answered without argparse."""
    assert fastargs.parse(words) is not None


@pytest.mark.parametrize("words", [["state", "-h"], ["state", "--deadline", "2"], ["render", "--out", "-"],
                                   ["state", "--js"], ["--color", "never", "state"], ["state", "--root"],
                                   ["state", "--root", "-x"], ["verify"], [], ["state", "render"]])
def test_anything_else_goes_to_argparse(words: list[str]) -> None:
    """Help, other options, abbreviations and other commands are left to argparse (its help and errors)."""
    assert fastargs.parse(words) is None


def test_a_caller_of_main_keeps_the_garbage_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the console script's own process turns cyclic collection off; main(argv) called in a process leaves it on."""
    import gc
    import types

    monkeypatch.setattr(fastargs, "parse", lambda words: types.SimpleNamespace(color=None, func=lambda args: 0))
    assert gc.isenabled()
    assert cli.main(["state"]) == 0
    assert gc.isenabled()


def test_the_console_process_flushes_runs_exit_handlers_and_keeps_its_code(tmp_path) -> None:
    """The console script's `state` ends without the interpreter's teardown, yet its whole output is written,
    exit handlers run and the command's exit code is the process's (2: no such root)."""
    import json
    import subprocess
    import sys

    code = ("import atexit, sys\nfrom deploystate.server.cli import main\n"
            "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
            "sys.argv = ['deploystate', *sys.argv[1:]]\nsys.exit(main())\n")
    bad = subprocess.run([sys.executable, "-c", code, "--root", str(tmp_path / "none"), "state"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "is not a directory" in bad.stderr and "handler ran" in bad.stderr
    (tmp_path / "deploystate.toml").write_text('[project]\nname = "x"\n')
    ok = subprocess.run([sys.executable, "-c", code, "--root", str(tmp_path), "state", "--json"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["project"] == "x" and "handler ran" in ok.stderr
