"""`deploystate state --no-observe` runs without re, enum, pathlib, functools, json or argparse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ledgers import make_ledger_repo
from tests.hooks.conftest import regular_site_dir

# What the state command's text path runs without (each costs a process whose floor, `python -c pass`, is
# ~38M instructions between ~2M and ~25M to import): the issue-13 budget of 3x that floor.
FORBIDDEN = ("re", "enum", "pathlib", "functools", "collections", "fnmatch", "urllib", "ipaddress", "json",
             "argparse", "warnings", "importlib", "types", "contextlib", "typing", "dataclasses")
# datetime (~4M) is still loaded: ids.utc_now and the view's clock are datetimes.

# The CLI as a regular install runs it (-I -S, its site-packages only: no editable finder, no coverage),
# the probe imports nothing itself and writes the modules loaded once the command returned.
PROBE = """
import sys
site, out = sys.argv.pop(1), sys.argv.pop(1)
sys.path.append(site)
from deploystate.server.cli import main
rc = main(sys.argv[1:])
with open(out, "w", encoding="utf-8") as fh:
    fh.write("\\n".join([str(rc), *sorted(sys.modules)]))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A make_ledger repository: four command services, a small ledger, each verified at HEAD."""
    return make_ledger_repo(tmp_path_factory, "state-imports", 120)


def _modules(project: Path, tmp_path: Path, args: list[str]) -> tuple[int, list[str], str]:
    out = tmp_path / "modules.txt"
    site = regular_site_dir(tmp_path)
    res = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(site), str(out), *args], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    rc, *modules = out.read_text(encoding="utf-8").split("\n")
    return int(rc), modules, res.stdout


def test_state_no_observe_imports_none_of_them(project: Path, tmp_path: Path) -> None:
    """The text of `state --no-observe` (drift computed, every service's row) imports none of FORBIDDEN."""
    rc, modules, text = _modules(project, tmp_path, ["state", "--no-observe"])
    assert rc == 0 and "HEAD's code (ledger only)" in text and "worker" in text
    assert "deploystate.state.view.view" in modules  # the probe saw the whole command run
    assert sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)) == []


# Observing asks each runtime and stores what it said (observations.save, redaction of the answers): that
# path may load more of the standard library (subprocess, selectors, threading) but none of these.
OBSERVING_FORBIDDEN = ("re", "enum", "pathlib", "functools", "collections", "fnmatch", "urllib", "ipaddress",
                       "json", "argparse")


def test_state_observing_imports_none_of_the_heavy_ones(project: Path, tmp_path: Path) -> None:
    """`state` asking four command runtimes and storing their answers imports none of OBSERVING_FORBIDDEN."""
    rc, modules, text = _modules(project, tmp_path, ["state"])
    assert "deploystate.platforms.command.command" in modules  # the runtimes were asked
    assert "deploystate.state.drift.observations" in modules and "worker" in text
    loaded = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in OBSERVING_FORBIDDEN))
    assert loaded == [], loaded
