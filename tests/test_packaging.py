"""The package layout: every folder with code ships, and hooks stay light."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("state", "platforms", "verify", "server", "hooks")


def test_every_code_folder_is_a_listed_package_with_its_directory() -> None:
    """A sub-folder with __init__.py that pyproject does not list would be missing from a wheel."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    dirs = cfg["package-dir"]
    for room in ROOMS:
        for init in (ROOT / room).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).as_posix()
            name = "deploystate." + rel.replace("/", ".")
            assert name in listed, f"{rel} is not in [tool.setuptools] packages"
            assert dirs.get(name) == rel, f"{name} has no package-dir line pointing at {rel}"


def test_no_generic_top_level_names_are_installed() -> None:
    """Everything installs under the deploystate.* namespace (no top-level 'state' or 'server')."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert all(p == "deploystate" or p.startswith("deploystate.") for p in cfg["packages"])
