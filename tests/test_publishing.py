"""Publishable metadata: extras, classifiers, URLs, SPDX license, the MCP registry's server.json."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import deploystate

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SERVER = json.loads((ROOT / "server.json").read_text())
HEAVY = ("docker", "kubernetes", "boto3", "botocore", "gitpython")


def _names(reqs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in reqs}


def test_the_core_install_carries_no_cloud_sdk_and_no_gitpython():
    """Core dependencies are the MCP SDK, pydantic, PyYAML and argcomplete; SDKs are extras."""
    core = _names(PYPROJECT["dependencies"])
    assert not core & set(HEAVY), core
    assert {"mcp", "pydantic", "pyyaml"} <= core


def test_each_runtime_sdk_is_its_own_extra_and_all_unions_them():
    """docker, kubernetes and aws extras bring their SDK; all = the three; test installs all."""
    extras = PYPROJECT["optional-dependencies"]
    assert "docker" in _names(extras["docker"])
    assert "kubernetes" in _names(extras["kubernetes"])
    assert "boto3" in _names(extras["aws"])
    assert extras["all"] == ["deploystate[docker,kubernetes,aws]"]
    assert "deploystate[all]" in extras["test"]


def test_metadata_is_complete_for_an_index():
    """SPDX license with its file, POSIX-only classifiers (fcntl), URLs, dynamic version from __version__."""
    assert PYPROJECT["license"] == "MIT" and (ROOT / "LICENSE").is_file()
    classifiers = PYPROJECT["classifiers"]
    assert "Operating System :: POSIX" in classifiers
    assert not any("Windows" in c or "OS Independent" in c for c in classifiers)
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(PYPROJECT["urls"])
    assert PYPROJECT["dynamic"] == ["version"]


def test_server_json_has_the_registry_documented_fields():
    """server.json: reverse-DNS name with one slash, description ≤ 100, exact versions = the package's, stdio."""
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", SERVER["name"])
    assert SERVER["name"].startswith("io.github.")
    assert 1 <= len(SERVER["description"]) <= 100
    assert SERVER["version"] == deploystate.__version__
    (pkg,) = SERVER["packages"]
    assert pkg["registryType"] == "pypi" and pkg["identifier"] == "deploystate"
    assert pkg["version"] == deploystate.__version__ and pkg["version"] != "latest"
    assert pkg["transport"] == {"type": "stdio"}
    assert set(pkg) <= {"registryType", "registryBaseUrl", "identifier", "version", "fileSha256", "runtimeHint",
                        "transport", "runtimeArguments", "packageArguments", "environmentVariables"}
    for arg in pkg["packageArguments"]:
        assert arg["type"] in ("positional", "named")
        assert arg["type"] != "positional" or "value" in arg or "valueHint" in arg
        assert arg["type"] != "named" or arg["name"].startswith("--")


def test_readme_carries_the_mcp_name_marker_of_server_json():
    """The registry proves PyPI ownership by `mcp-name: <name>` in the package README."""
    assert f"mcp-name: {SERVER['name']}" in (ROOT / "README.md").read_text()
