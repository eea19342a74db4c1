"""The CI examples under examples/ci validate against their platforms' published schemas and call verify right."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
CHECK = Path(sys.executable).parent / "check-jsonschema"


@pytest.mark.parametrize("file, schema", [("github-actions.yml", "vendor.github-workflows"),
                                          ("cloudbuild.yaml", "vendor.cloudbuild")])
def test_example_validates_against_the_vendored_schema(file, schema):
    """check-jsonschema (the test extra) validates each example against the schema it ships for that CI."""
    exe = str(CHECK) if CHECK.exists() else shutil.which("check-jsonschema")
    assert exe, "check-jsonschema is missing: pip install -e '.[test]'"
    got = subprocess.run([exe, "--builtin-schema", schema, str(CI / file)], capture_output=True, text=True,
                         timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr


def _commands(file: str) -> str:
    data = yaml.safe_load((CI / file).read_text())
    if "jobs" in data:
        return "\n".join(step.get("run", "") for job in data["jobs"].values() for step in job["steps"])
    return "\n".join(" ".join(step.get("args", [])) for step in data["steps"])


@pytest.mark.parametrize("file", ["github-actions.yml", "cloudbuild.yaml"])
def test_each_pipeline_waits_for_the_pushed_commit_and_fails_on_anything_but_pass(file):
    """The verify step waits for this commit's rollout with --ci output; sync shares the records."""
    text = _commands(file)
    assert "deploystate verify --wait --commit" in text and "--ci" in text
    assert text.count("deploystate sync") >= 2  # bring in the team ledger, then share the verdict
    assert "org.opencontainers.image.revision=" in (CI / file).read_text()  # the image says its commit
    assert "|| true\n        deploystate verify" in (CI / file).read_text() or file.endswith(".yml")
    assert "continue-on-error" not in (CI / file).read_text()  # a failed verify must fail the pipeline
