"""CLI conventions: --version, --root on either side of the sub-command, --color/NO_COLOR, completion, schema."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import deploystate
from deploystate.server import colour

from ._cli import ds

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/deploystate.toml"))


def test_version_flag_prints_the_package_version(capsys):
    """`deploystate --version` prints the version the package carries, and exits 0."""
    with pytest.raises(SystemExit) as exc:
        from deploystate.server import cli
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"deploystate {deploystate.__version__}"


def test_installed_metadata_agrees_with_dunder_version():
    """The installed distribution's version is deploystate.__version__ (one source of truth)."""
    from importlib.metadata import version

    assert version("deploystate") == deploystate.__version__


def test_root_is_accepted_after_the_sub_command(git_repo, capsys):
    """`state --root X` finds the same project as `--root X state`; a wrong root after it is an error."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["api/**"]\n')
    git_repo.commit("cfg")
    assert ds(capsys, "config", "validate", "--root", str(git_repo.path))[0] == 0   # nested sub-commands too
    before = ds(capsys, "--root", str(git_repo.path), "state", "--json")
    after = ds(capsys, "state", "--root", str(git_repo.path), "--json")
    assert before[0] == after[0] == 0
    assert json.loads(before[1])["head"] == json.loads(after[1])["head"] == git_repo.head()
    missing = ds(capsys, "state", "--root", str(git_repo.path / "nowhere"))
    assert missing[0] == 2


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("mode, env, tty, expected", [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),       # the convention: only a non-empty value disables
    ("auto", {"TERM": "dumb"}, True, False),
    ("always", {"NO_COLOR": "1"}, False, True),  # an explicit flag wins over the variable
    ("never", {}, True, False),
])
def test_colour_follows_the_flag_then_no_color_then_the_terminal(mode, env, tty, expected):
    """--color=always|never decide; auto colours a terminal unless NO_COLOR is non-empty or TERM=dumb."""
    stream = Tty() if tty else io.StringIO()
    assert colour.enabled(stream, mode, env) is expected


def test_color_never_prints_no_escape_codes(git_repo, capsys):
    """With --color=never (before or after the sub-command) the text output has no ANSI escapes."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["api/**"]\n')
    git_repo.commit("cfg")
    root = str(git_repo.path)
    assert ds(capsys, "attempt", "add", "--root", root, "--summary", "bump pool", "--outcome", "failed")[0] == 0
    code, out, _ = ds(capsys, "--color", "always", "attempt", "list", "--root", root)
    assert code == 0 and "\033[31mFAILED" in out
    code, out, _ = ds(capsys, "attempt", "list", "--root", root, "--color", "never")
    assert code == 0 and "FAILED" in out and "\033[" not in out
    colour.set_mode(None)


@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete ")])
def test_completion_scripts_are_generated_for_three_shells(shell, marker):
    """`deploystate completion SHELL` prints argcomplete's script for bash, zsh and fish."""
    out = subprocess.run([sys.executable, "-m", "deploystate.server.cli", "completion", shell],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert marker in out.stdout and "deploystate" in out.stdout


def test_completion_answers_sub_commands_through_argcomplete(tmp_path):
    """The completion protocol (what the shell script calls) offers sub-commands for a prefix."""
    out_file = tmp_path / "out"
    env = {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": "deploystate ver", "COMP_POINT": "15",
           "_ARGCOMPLETE_SHELL": "bash", "PATH": "/usr/bin:/bin", "_ARGCOMPLETE_STDOUT_FILENAME": str(out_file)}
    proc = subprocess.run([sys.executable, "-m", "deploystate.server.cli"], env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    words = out_file.read_text().split()
    assert "verify" in words and "state" not in words


def test_the_shipped_schema_is_what_the_models_generate():
    """state/config.schema.json (shipped in the package) equals `deploystate config schema` output."""
    from deploystate.server.config_schema import SHIPPED, text

    assert SHIPPED.read_text() == text(), "run: deploystate config schema > state/config.schema.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_example_config_validates_against_the_schema(path):
    """Each examples/*/deploystate.toml is valid under the generated JSON Schema."""
    jsonschema = pytest.importorskip("jsonschema") if False else __import__("jsonschema")
    from deploystate.server.config_schema import build

    jsonschema.validate(tomllib.loads(path.read_text()), build())


@pytest.mark.parametrize("bad", [
    '[services.api]\nplatform = "helm"\npaths = ["a/**"]\n',                     # unknown platform
    '[services.api]\nplatform = "command"\npaths = ["a/**"]\n',                  # restart_cmd missing
    '[services.api]\nplatform = "command"\nrestart_cmd = ["x"]\ncolour = 1\n',   # unknown key
    '[project]\nrecheck_after = "soon"\n',                                       # not a duration
    '[services.API]\nplatform = "command"\nrestart_cmd = ["x"]\n',               # bad service name
])
def test_the_schema_rejects_bad_configs(bad):
    """Configs the loader refuses are refused by the schema too (platform, required, extra key, duration, name)."""
    import jsonschema
    from deploystate.server.config_schema import build

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(tomllib.loads(bad), build())


def test_negation_in_paths_is_a_clear_config_error(git_repo, capsys):
    """`!pattern` in paths is refused with exit 2 and a message, never taken literally."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\n'
                                       'paths = ["**", "!web/**"]\n')
    code, out, err = ds(capsys, "--root", str(git_repo.path), "config", "validate")
    assert code == 2 and "negation" in err and "!web/**" in err


def test_state_in_a_terminal_is_a_coloured_table_with_the_last_day(git_repo, capsys):
    """`state --color=always` colours status and verdicts by meaning and lists the day per service;
    --color=never gives the same text with no escapes."""
    import re

    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import record

    git_repo.write("deploystate.toml", '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["api/**"]\n')
    head = git_repo.commit("cfg")
    project = Project.discover(git_repo.path)
    dep = record(project, "deploy", {"service": "api", "commit": head, "status": "restarted"}, commit=head)
    record(project, "verification", {"service": "api", "commit": head, "verdict": "fail", "summary": "HTTP 500",
                                     "deploy_id": dep["id"]}, commit=head)
    root = str(git_repo.path)
    code, coloured, _ = ds(capsys, "state", "--root", root, "--no-observe", "--color", "always")
    assert "Status: \033[31;1mBROKEN\033[0m" in coloured
    assert "\033[31;1mFAIL " in coloured           # the verdict cell, red
    assert re.search(r"Last 24 hours \(UTC\):\n  api  \d\d:\d\d restart · \d\d:\d\d \033\[31;1mverify FAIL", coloured)
    code, bare, _ = ds(capsys, "state", "--root", root, "--no-observe", "--color", "never")
    assert "\033[" not in bare
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == bare  # colour never changes the text or its alignment
    colour.set_mode(None)
