"""The tool listing shipped in the package (server/mcp/listing.py) answers tools/list only while its key is
the installed code's; otherwise the families are registered and listed live. Tools are registered for real
on their first call either way."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from mcp.client import Client

from deploystate.server.mcp import listing
from deploystate.server.mcp.mcp_app import TOOL_MODULES, build_server
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    """A listing generated from the code under test in a fresh process, as the shipped one is: these tests
    judge the rules, not whether the committed file was regenerated (test_mcp_server's snapshot does that)."""
    res = subprocess.run([sys.executable, "-m", "deploystate.server.mcp.listing"], capture_output=True, text=True,
                         timeout=120, cwd="/", env={**os.environ, "DEPLOYSTATE_ROOT": "/nonexistent"})
    assert res.returncode == 0, res.stderr
    path = tmp_path_factory.mktemp("listing") / listing.PATH.name
    path.write_text(res.stdout, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def current(generated, monkeypatch):
    """listing.PATH is the generated listing (read afresh by each test)."""
    from pathlib import Path

    monkeypatch.setattr(listing, "PATH", Path(generated))
    monkeypatch.setattr(listing, "_LOADED", [])


def _document() -> dict:
    return json.loads(listing.PATH.read_text(encoding="utf-8"))


def test_the_shipped_listing_is_used_only_with_the_installed_codes_key(monkeypatch):
    """A listing is refused when its key, a module it covers or a version differs: never a stale list."""
    document = _document()
    assert listing.check(document) == document["tools"]
    wrong_key = {**document, "key": "0" * 64}
    assert listing.check(wrong_key) is None
    missing = {**document, "modules": [*document["modules"], "deploystate.server.mcp.no_such_module"]}
    assert listing.check(missing) is None
    outside = {**document, "modules": ["json", *document["modules"]]}
    assert listing.check(outside) is None
    real = listing.versions()
    monkeypatch.setattr(listing, "versions", lambda: [*real[:-1], "mcp 2.4.0"])
    assert listing.check(document) is None


def test_a_changed_source_file_makes_the_listing_stale(tmp_path, monkeypatch):
    """The key covers each module's bytes: one byte more in a family's source and the listing is not used."""
    document = _document()
    name = "deploystate.server.tools.memory"
    source = tmp_path / "memory.py"
    source.write_bytes(open(listing._origin(name), "rb").read() + b"\n")
    real = listing._origin
    monkeypatch.setattr(listing, "_origin", lambda n: str(source) if n == name else real(n))
    assert listing.check(document) is None


def test_a_broken_listing_file_is_listed_live(tmp_path):
    """An unreadable or malformed file, or a tool the SDK's model refuses, gives None (list live)."""
    path = tmp_path / "tools_listing.json"
    assert listing.load(path) is None
    path.write_text("{not json", encoding="utf-8")
    assert listing.load(path) is None
    document = _document()
    bad = copy.deepcopy(document)
    bad["tools"][0]["inputSchema"] = "not a schema"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert listing.load(path) is None
    path.write_text(json.dumps(document), encoding="utf-8")
    assert listing.dump(listing.load(path)) == document["tools"]


def _listed(root, first=None):
    async def body():
        server = build_server(root=str(root))
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
            unregistered = list(server._unregistered)
            called = await client.call_tool(*first) if first else None
            return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], unregistered, called
    return run(body)


def test_listing_registers_no_family_and_lists_what_a_live_listing_does(project, monkeypatch):
    """With the shipped listing nothing is registered and the tools equal the live ones; a stale one lists live."""
    shipped, unregistered, _ = _listed(project.root)
    assert unregistered == list(TOOL_MODULES)
    monkeypatch.setattr(listing, "_LOADED", [None])  # as if the key did not match
    live, unregistered_live, _ = _listed(project.root)
    assert unregistered_live == []
    assert shipped == live


@pytest.mark.parametrize("arguments, refused", [({"summary": "restart web", "outcome": "failed"}, False),
                                                ({"summary": "restart web", "outcome": "maybe"}, True)])
def test_a_listed_tool_is_registered_for_real_on_its_first_call(project, arguments, refused):
    """After a shipped listing, a later family's tool is registered on its call and its real model validates."""
    _, _, called = _listed(project.root, ("record_attempt", arguments))
    assert called.is_error is refused, text(called)
    if refused:
        assert "outcome" in text(called)
