"""Every examples/<platform>/deploystate.toml is a working configuration: `deploystate init --validate`
accepts it, it names the platform of its folder, and it says in a comment how to check it."""

from __future__ import annotations

import io
import json
import tomllib
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from deploystate.server import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIGS = sorted(EXAMPLES.glob("*/deploystate.toml"))
PLATFORMS = ("compose", "docker", "kubernetes", "ecs", "command")


def test_there_is_an_example_per_platform() -> None:
    """examples/ holds one configuration per platform."""
    assert {p.parent.name for p in CONFIGS} >= set(PLATFORMS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.parent.name)
def test_example_validates_with_init_validate(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`deploystate --root examples/X init --validate --json` exits 0 and lists services of platform X."""
    monkeypatch.delenv("DEPLOYSTATE_ROOT", raising=False)
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["--root", str(config.parent), "init", "--validate", "--json"])
    assert code == 0, out.getvalue()
    data = json.loads(out.getvalue())
    assert data["ok"] and data["services"]
    if config.parent.name in PLATFORMS:
        assert set(data["services"].values()) == {config.parent.name}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.parent.name)
def test_example_explains_itself(config: Path) -> None:
    """Each example opens with comments (what it is for) and has checks for every service."""
    text = config.read_text(encoding="utf-8")
    assert text.startswith("#")
    for name, body in tomllib.loads(text)["services"].items():
        assert body.get("checks"), f"{config}: service {name} has no checks"
