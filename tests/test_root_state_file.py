"""The repository's DEPLOYMENT_STATE.md is real output of the tool for examples/compose, and it is current."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from deploystate.server import cli
from deploystate.state.config.config import load_config
from deploystate.state.ledger.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
STATE_FILE = ROOT / "DEPLOYMENT_STATE.md"
EXAMPLE = ROOT / "examples" / "compose"


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for var in ("DEPLOYSTATE_ROOT", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_SESSION"):
        monkeypatch.delenv(var, raising=False)


def banner_command() -> list[str]:
    match = re.search(r"^<!-- Regenerate with: (.+) -->$", STATE_FILE.read_text(encoding="utf-8"), re.M)
    assert match, "DEPLOYMENT_STATE.md has no 'Regenerate with' banner"
    return shlex.split(match.group(1))


def test_root_state_file_is_current(at_root, capsys):
    """Re-running the banner's command with --check finds the committed file up to date."""
    argv = banner_command()
    assert argv[:3] == ["deploystate", "--root", "examples/compose"] and "render" in argv
    code = cli.main(argv[1:] + ["--check"])
    err = capsys.readouterr().err
    assert code == 0, f"{err}\nregenerate with: python examples/make_example_state.py (or the banner's command)"


def test_root_state_file_comes_from_the_example_ledger(at_root):
    """The example's config validates, its ledger chain verifies, and the file shows what it recorded."""
    cfg = load_config(EXAMPLE / "deploystate.toml")
    assert sorted(cfg.services) == ["api", "worker"]
    checks = {c.type for s in cfg.services.values() for c in s.checks}
    assert {"http", "logs", "revision", "rollout"} <= checks
    report = Ledger(EXAMPLE / ".deploystate").verify()
    assert report.ok and report.records >= 8, report.problems
    text = STATE_FILE.read_text(encoding="utf-8")
    assert "# Deployment state: example-shop" in text and "**Status: BROKEN**" in text
    assert "verification failed" in text and "using fallback" in text
    assert "→ **failed**" in text and "## Last sessions" in text and "next:" in text
    assert "unknown (running commit not in this clone)" in text
