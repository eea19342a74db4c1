"""The pieces under the MCP tools: the state-view cache, schema flattening, the audit line, bind rules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from deploystate.server.mcp import audit, schema_flat
from deploystate.server.commands.serve import check_bind, is_loopback
from deploystate.server.mcp.viewcache import ViewCache
from deploystate.state.errors import InputError
from deploystate.state.tamper import anchor
from deploystate.state.ledger.ids import iso, utc_now
from tests.server.mcp_support import deploy, project, verify  # noqa: F401 (fixture)


def test_view_cache_reuses_until_the_ledger_or_head_changes(git_repo, project):
    """A second read is served from memory; an append or a new commit makes the next read fresh."""
    cache = ViewCache()
    cache.get(project)  # the first look at a new ledger writes its anchor and chain mark: read again, not kept
    first = cache.get(project)
    assert cache.get(project)["records"] == first["records"] and cache.hits == 1
    deploy(project, "web", git_repo.head())
    assert cache.get(project)["records"] == first["records"] + 1
    before = cache.get(project)["head"]
    git_repo.commit("web v2", {"web/app.py": "print('v2')\n"})
    after = cache.get(project)
    assert after["head"] != before and after["head"] == git_repo.head()
    web = next(s for s in after["services"] if s["name"] == "web")
    assert web["drift"]["state"] == "committed, not running"


def test_view_cache_reads_again_when_the_anchor_changes(git_repo, project):
    """The anchor is part of what the kept view was read from: edited, the next view says TAMPERED."""
    verify(project, "web", git_repo.head(), "pass")
    cache = ViewCache()
    cache.get(project)
    assert cache.get(project)["problems"] == [] and cache.hits == 1
    path = anchor.path_of(project.ledger)
    data = json.loads(path.read_text())
    data["chain"]["live_tail"] = "0" * 64
    path.write_text(json.dumps(data))
    view = cache.get(project)
    assert cache.hits == 1 and any("TAMPERED" in p for p in view["problems"])


def test_view_cache_expires_at_the_next_recheck_deadline(git_repo, project, monkeypatch):
    """A recheck falling due turns a cached 'not overdue' into a fresh 'overdue' without any file changing."""
    head = git_repo.head()
    deploy(project, "web", head)
    verify(project, "web", head, "pass", recheck_due=iso(utc_now() + timedelta(minutes=30)))
    cache = ViewCache()
    assert cache.get(project)["services"][0]["recheck_overdue"] is False
    later = utc_now() + timedelta(minutes=31)
    monkeypatch.setattr("deploystate.server.mcp.viewcache.utc_now", lambda: later)
    fresh = cache.get(project)
    assert next(s for s in fresh["services"] if s["name"] == "web")["recheck_overdue"] is True


class Inner(BaseModel):
    name: str
    note: str | None = None


class Outer(BaseModel):
    items: list[Inner]
    best: Inner | None = None
    count: int | None = None


def test_flattened_schema_accepts_and_rejects_the_same_documents():
    """Inlining $defs and merging nullable unions changes speed, not meaning."""
    original = Outer.model_json_schema()
    flat = schema_flat.flatten(original)
    assert "$ref" not in json.dumps(flat) and "$defs" not in flat
    assert flat["properties"]["count"]["type"] == ["integer", "null"]
    docs = [{"items": []}, {"items": [{"name": "a", "note": None}], "best": None, "count": 3},
            {"items": [{"note": "x"}]}, {"items": [{"name": 1}]}, {"count": "3", "items": []}, {}]
    for doc in docs:
        assert Draft202012Validator(original).is_valid(doc) == Draft202012Validator(flat).is_valid(doc), doc


def test_audit_entry_redacts_and_bounds_arguments():
    """Secrets are masked and long strings and lists cut, so one call never writes a huge line."""
    line = audit.entry("record_attempt", {"summary": "token ghp_" + "a" * 30 + " " + "x" * 2000,
                                          "files": [f"f{i}" for i in range(200)]}, "ok", 12.345)
    assert "ghp_aaaa" not in json.dumps(line) and "[REDACTED]" in line["arguments"]["summary"]
    assert len(line["arguments"]["summary"]) < 600 and line["arguments"]["files"][-1] == "… [200 items]"
    assert line["duration_ms"] == 12.35 and line["outcome"] == "ok"


def test_audit_log_never_creates_the_state_directory(tmp_path):
    """Without a state directory the audit line is skipped rather than making the project look initialised."""
    log = audit.AuditLog(tmp_path / ".deploystate")
    assert log.write(audit.entry("read_deployment_state", {}, "error", 1.0)) is False
    assert not (tmp_path / ".deploystate").exists()


def test_bind_rules():
    """Loopback binds need no token; any other address does, and a token must be long."""
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    check_bind("127.0.0.1", 8765, None)
    check_bind("0.0.0.0", 8765, "a" * 32)
    with pytest.raises(InputError, match="without a bearer token"):
        check_bind("0.0.0.0", 8765, None)
    with pytest.raises(InputError, match="shorter than 16"):
        check_bind("127.0.0.1", 8765, "short")
    with pytest.raises(InputError, match="out of range"):
        check_bind("127.0.0.1", 0, None)


def _observed(state: str) -> dict:
    at = iso(utc_now())
    return {"version": 1, "at": at, "services": {"web": {"at": at, "error": None, "error_at": None, "obs": {
        "state": state, "problems": [] if state == "running" else ["the process is not running"],
        "instances": []}}}}


def test_view_cache_lays_each_new_observation_over_the_kept_base(git_repo, project):
    """The ledger's part is reused, the runtime's answer never: a runtime now stopped is BROKEN at once."""
    cache = ViewCache()
    cache.get(project)  # the first look at a new ledger writes its anchor and chain mark: read again, not kept
    first = cache.get(project, _observed("running"))
    second = cache.get(project, _observed("stopped"))
    assert cache.hits == 1
    verdict = {v["status"]: next(s for s in v["services"] if s["name"] == "web")["observed"]["verdict"]
               for v in (first, second)}
    assert second["status"] == "BROKEN" and verdict["BROKEN"] == "broken"
    assert first["status"] != "BROKEN" and verdict[first["status"]] != "broken"
