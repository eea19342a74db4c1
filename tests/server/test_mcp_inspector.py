"""The official MCP Inspector CLI (TypeScript SDK, strict output-schema validation) as the client."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.parts import missing
from tests.server.mcp_support import project  # noqa: F401 (fixture)
from tests.server.test_mcp_stdio import deploystate_bin

# Read at import: the git fixtures point HOME at a temporary directory during each test.
CACHE = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
INSTALL = "bash .ci/parts/40-mcp-inspector.sh (npm install @modelcontextprotocol/inspector into a cache dir)"


def inspector_bin() -> str:
    """The Inspector installed by .ci/parts/40-mcp-inspector.sh (same cache dir rules)."""
    base = Path(os.environ.get("DEPLOYSTATE_INSPECTOR_DIR") or Path(CACHE) / "deploystate" / "mcp-inspector")
    found = base / "node_modules" / ".bin" / "mcp-inspector"
    if not found.exists():
        missing("the MCP Inspector CLI", INSTALL)
    return str(found)


def _inspect(tmp_path, root, tool: str, *args: str) -> tuple[int, str, str]:
    argv = [inspector_bin(), "--cli", deploystate_bin(), "serve", "--root", str(root),
            "--method", "tools/call", "--tool-name", tool, *args]
    env = {**os.environ, "MCP_CATALOG_PATH": str(tmp_path / "catalog.json"), "NO_COLOR": "1"}
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env, cwd=str(root))
    return out.returncode, out.stdout, out.stderr


def _result(stdout: str) -> dict:
    """The CallToolResult the Inspector printed (a pretty-printed JSON document first on stdout)."""
    doc, _ = json.JSONDecoder().raw_decode(stdout.lstrip())
    return doc


@pytest.mark.timeout(400)
def test_inspector_accepts_a_tool_error_and_a_success(project, tmp_path):
    """A strict client takes an error of a tool with a strict output schema as isError, and a success as data."""
    rc, out, err = _inspect(tmp_path, project.root, "verify_deploy", "--tool-arg", 'services=["nginx"]')
    assert "must have required property" not in out + err  # the old failure: error fields under the schema
    assert rc == 5, (rc, out, err)  # the Inspector's exit code for "the tool returned isError: true"
    result = _result(out)
    assert result["isError"] is True and "structuredContent" not in result
    assert "unknown service: nginx" in result["content"][0]["text"]
    assert result["_meta"]["deploystate/error"]["error_type"] == "InputError"

    rc, out, err = _inspect(tmp_path, project.root, "read_deployment_state")
    assert rc == 0, (rc, out, err)
    result = _result(out)
    assert not result.get("isError") and result["structuredContent"]["status"] == "UNKNOWN"  # no observe_cmd
