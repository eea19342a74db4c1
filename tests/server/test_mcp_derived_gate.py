"""The derived files' background run never overlaps a tool call that writes (server/mcp/derived.py,
``writing``): run beside an append, its integrity check sees growth the append log does not explain yet
and re-hashes the whole ledger by content."""

from __future__ import annotations

import threading

from mcp.client import Client

from deploystate.server.mcp import derived
from deploystate.server.mcp.mcp_app import build_server
from tests.server.mcp_support import make_project, run

ROOM = 0.2  # seconds given to a run that must not happen; the assertions never depend on it being enough


def test_a_background_run_waits_for_a_write_under_way():
    """A job due at once does not run while a writing call is under way; it runs once the call ends."""
    later = derived.Deferred(quiet=0, max_lag=0)
    done, writers = threading.Event(), []

    def job() -> None:
        writers.append(later._writers)
        done.set()

    with later.writing():
        later.schedule("a", job)
        done.wait(ROOM)  # room for a run that must not happen now
        ran_inside = done.is_set()
    assert done.wait(60)
    assert not ran_inside and writers == [0]


def test_a_write_waits_for_a_background_run_in_progress():
    """A writing call that starts while the background thread runs jobs begins only after they finished."""
    later = derived.Deferred(quiet=0, max_lag=0)
    started, release, entered = threading.Event(), threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        release.wait(60)

    def write() -> None:
        with later.writing():
            entered.set()

    later.schedule("a", job)
    assert started.wait(60)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    entered.wait(ROOM)
    entered_during_run = entered.is_set()
    release.set()
    assert entered.wait(60)
    writer.join(60)
    assert not entered_during_run


def test_only_tools_that_write_hold_the_background_run_back(git_repo, monkeypatch):
    """record_attempt runs inside ``derived.writing``; read_deployment_state does not."""
    project = make_project(git_repo)
    seen: list[bool] = []
    real = derived.writing

    def spy(writes: bool = True):
        seen.append(writes)
        return real(writes)

    monkeypatch.setattr(derived, "writing", spy)

    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            wrote = await client.call_tool("record_attempt", {"summary": "raise the worker memory limit",
                                                              "outcome": "failed", "services": ["worker"]})
            read = await client.call_tool("read_deployment_state", {"observe": False})
            return wrote, read
    wrote, read = run(body)
    assert not wrote.is_error and not read.is_error
    assert seen == [True, False]
