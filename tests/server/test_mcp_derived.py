"""The server's derived files after the reply (server/mcp/derived.py): the record is durable and anchored
when the call returns, the state file follows, and anything that could change what it says is written first."""

from __future__ import annotations

import json

import pytest
from mcp.client import Client

from deploystate.server.mcp import derived, trust
from deploystate.server.mcp.mcp_app import build_server
from deploystate.state.drift import observations
from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger import store
from deploystate.state.view import cache
from tests.server.mcp_support import CONFIG, make_project, run, verify

OBSERVED = CONFIG.replace('[services.worker]', 'observe_cmd = ["cat", "web.state"]\n\n[services.worker]')


@pytest.fixture
def deferral(monkeypatch):
    """Deferral as `deploystate serve` turns it on, with a Deferred that runs only when flushed."""
    later = derived.Deferred(quiet=3600, max_lag=3600)
    monkeypatch.setattr(derived, "_DEFERRED", later)
    store.render_later(derived.refresh_later)
    observations.hold_writes(True)
    chainmark.hold_writes(True)
    cache.hold_writes(True)
    yield later
    derived.final_flush(later)
    store.render_later(None)
    observations.hold_writes(False)
    chainmark.hold_writes(False)
    cache.hold_writes(False)


def _call(project, tool: str, args: dict) -> object:
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return await client.call_tool(tool, args)
    return run(body)


def test_a_recorded_attempt_is_durable_and_anchored_at_the_reply_and_rendered_after(git_repo, deferral):
    """record_attempt returns with its line in the ledger and the anchor on it; the state file shows it
    only once the deferred work ran, the chain mark then matches the ledger, and the projection cache
    held in memory is on file, matching the ledger, once the server's last flush (at exit) ran."""
    project = make_project(git_repo)
    result = _call(project, "record_attempt", {"summary": "raise the worker memory limit", "outcome": "failed",
                                               "services": ["worker"]})
    assert not result.is_error
    rid = result.structured_content["id"]
    assert rid in project.ledger.path.read_text()
    head = anchor.read(project.ledger)["chain"]
    assert head["live_size"] == project.ledger.path.stat().st_size and anchor.problems(project.ledger) == []
    before = project.state_file.read_text() if project.state_file.exists() else ""
    assert "raise the worker memory limit" not in before
    assert deferral.pending()
    deferral.flush()
    assert "raise the worker memory limit" in project.state_file.read_text()
    mark = json.loads((project.ledger.anchor_dir / chainmark.MARK).read_text())
    assert mark["live"][0] == project.ledger.path.stat().st_size and mark["ok"] is True
    derived.final_flush(deferral)
    cached = json.loads((project.ledger.dir / "projection.json").read_text())
    assert cached["ledger_size"] == project.ledger.path.stat().st_size


def test_a_verdict_is_rendered_before_the_call_returns_even_while_deferring(git_repo, deferral):
    """A failed verification can change the status line: its state file is written at once, not deferred."""
    project = make_project(git_repo)
    verify(project, "web", git_repo.head(), "fail", "health check failed")
    assert not deferral.pending()
    assert "**Status: BROKEN**" in project.state_file.read_text()


def test_a_read_whose_runtime_verdict_changed_writes_the_state_file_before_replying(git_repo, deferral):
    """read_deployment_state defers the state file only while it would say the same status and verdicts:
    a service the runtime now reports stopped is BROKEN in the file when the reply arrives."""
    project = make_project(git_repo, OBSERVED)
    (git_repo.path / "web.state").write_text("state=running\n")
    first = _call(project, "read_deployment_state", {})
    assert not first.is_error and "**Status: BROKEN**" not in project.state_file.read_text()
    again = _call(project, "read_deployment_state", {})
    assert not again.is_error and deferral.pending()   # nothing new to say: written after the reply
    (git_repo.path / "web.state").write_text("state=stopped\n")
    broken = _call(project, "read_deployment_state", {})
    assert broken.structured_content["status"] == "BROKEN"
    assert "**Status: BROKEN**" in project.state_file.read_text()
    assert not deferral.pending()


def test_the_held_observation_is_what_the_next_read_merges_into(git_repo, deferral):
    """While held, the newest observation is read back in this process and written by the flush."""
    project = make_project(git_repo, OBSERVED)
    (git_repo.path / "web.state").write_text("state=running\n")
    _call(project, "read_deployment_state", {})
    (git_repo.path / "web.state").write_text("state=stopped\n")
    _call(project, "read_deployment_state", {})
    held = observations.load(project.state_dir)
    assert held["services"]["web"]["obs"]["state"] == "stopped"
    deferral.flush()
    on_disk = json.loads(observations.path(project.state_dir).read_text())
    assert on_disk["services"]["web"]["obs"]["state"] == "stopped"


def test_the_kept_integrity_answer_is_asked_again_once_the_ledger_changes(git_repo):
    """trust.problems reuses its answer only while the ledger's files are unchanged: a cut tail is TAMPERED."""
    project = make_project(git_repo)
    for i in range(3):
        store.record(project, "note", {"text": f"n{i}"})
    ctx = build_server(root=str(project.root)).ctx
    assert trust.problems(ctx) == [] and trust.problems(ctx) == []
    data = project.ledger.path.read_bytes()
    project.ledger.path.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 1])
    assert any("TAMPERED" in p for p in trust.problems(ctx))


def test_flush_runs_the_latest_job_of_each_key_once():
    """Jobs are coalesced per key (the latest wins); a failing job is reported, the others still run."""
    later = derived.Deferred(quiet=3600, max_lag=3600)
    ran: list[str] = []
    later.schedule("a", lambda: ran.append("a1"))
    later.schedule("a", lambda: ran.append("a2"))
    later.schedule("b", lambda: 1 / 0)
    later.schedule("c", lambda: ran.append("c"))
    later.flush()
    assert ran == ["a2", "c"] and not later.pending()


def test_the_background_thread_runs_waiting_jobs_once_quiet():
    """Without a flush, a scheduled job runs by itself after the quiet time."""
    import threading

    later = derived.Deferred(quiet=0.01, max_lag=0.05)
    done = threading.Event()
    later.schedule("a", done.set)
    assert done.wait(60)
