"""`deploystate render` validates deploystate.toml once per run, and still refuses a bad one first."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploystate.server.cli import main
from deploystate.state.config import config
from tests.fixtures.ledgers import make_ledger_repo


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A make_ledger repository: four command services with a state directory, so render observes."""
    return make_ledger_repo(tmp_path_factory, "render-once", 60)


def test_one_validation_for_the_check_and_the_observation(project: Path, monkeypatch, capsys) -> None:
    """The refusal check and the runtimes' observation share one load_config."""
    calls = []
    real = config.load_config
    monkeypatch.setattr(config, "load_config", lambda path: calls.append(path) or real(path))
    assert main(["--root", str(project), "render", "--out", "-"]) == 0
    assert "# Deployment state" in capsys.readouterr().out
    assert len(calls) == 1


def test_a_bad_config_stops_render_before_it_writes(project: Path, tmp_path: Path, capsys) -> None:
    """A config the schema refuses exits 2 and writes no file."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "deploystate.toml").write_text('[services.web]\nplatform = "nope"\n', encoding="utf-8")
    assert main(["--root", str(bad), "render"]) == 2
    assert "unknown platform" in capsys.readouterr().err
    assert not (bad / "DEPLOYMENT_STATE.md").exists()
