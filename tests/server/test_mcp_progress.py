"""Progress and log notifications during long tool calls, seen by the MCP SDK client."""

from __future__ import annotations

import json
import sys

from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from tests.server.mcp_support import make_project, run, text

SLOW = """\
[project]
name = "shop"

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]
"""


def _check(name: str, code: str) -> str:
    """One command check running ``code`` in Python (a TOML table)."""
    return (f'\n[[services.web.checks]]\ntype = "command"\nname = "{name}"\ntimeout = 60\n'
            f'argv = [{json.dumps(sys.executable)}, "-c", {json.dumps(code)}]\n')


def _slow_checks(seconds: list[float]) -> str:
    return SLOW + "".join(_check(f"slow{i}", f"import time; time.sleep({s}); print('slow{i} ok')")
                          for i, s in enumerate(seconds))


def _verify_with_progress(root, *, mode: str = "auto", set_level: str | None = None, log_level=None,
                          on_message=None):
    progress, logs = [], []

    async def on_progress(value, total, message):
        progress.append((value, message))
        if on_message:
            on_message(message)

    async def on_log(params):
        logs.append((params.level, str(params.data)))

    async def body():
        async with Client(build_server(root=str(root)), mode=mode, logging_callback=on_log,
                          log_level=log_level) as client:
            if set_level:
                await client.set_logging_level(set_level)
            return await client.call_tool("verify_deploy", {"services": ["web"], "wait_seconds": 120},
                                          progress_callback=on_progress)
    return run(body), progress, logs


def test_verify_reports_one_progress_notification_per_finished_check(git_repo, tmp_path):
    """Each check's progress arrives while the verify still runs: slow1 waits for the client to hear of slow0."""
    heard = tmp_path / "heard-slow0"
    waiter = (f"import os, sys, time\nend = time.time() + 50\nwhile not os.path.exists({str(heard)!r}):\n"
              f"    time.sleep(0.05)\n    if time.time() > end: sys.exit('never heard')\nprint('slow1 ok')")
    config = _slow_checks([0.1]) + _check("slow1", waiter) + _check("slow2", "import time; time.sleep(0.5)")
    project = make_project(git_repo, config)

    def touch(message):
        if message.startswith("web/slow0 finished"):
            heard.touch()
    result, progress, _ = _verify_with_progress(project.root, on_message=touch)
    assert not result.is_error, text(result)
    checks = {c["name"]: c for c in result.structured_content["services"][0]["checks"]}
    assert checks["slow1"]["result"] == "pass", checks["slow1"]  # it saw slow0's progress mid-call
    finished = [m for _, m in progress if " finished: " in m]
    assert sorted(m.split(" ", 1)[0] for m in finished if m.startswith("web/slow")) == [
        "web/slow0", "web/slow1", "web/slow2"]
    assert all(": pass " in m for m in finished if m.startswith("web/slow"))
    assert len(finished) == len(checks)  # one per check, the built-in ones (revision...) too
    assert [v for v, _ in progress] == sorted(v for v, _ in progress)  # progress only increases


def test_log_notifications_follow_the_level_the_client_asked_for(git_repo):
    """logging/setLevel info gets the per-check lines; warning filters them out; progress keeps coming."""
    project = make_project(git_repo, _slow_checks([0.1, 0.1]))
    _, _, info = _verify_with_progress(project.root, mode="legacy", set_level="info")
    assert any(level == "info" and "web/slow0 finished: pass" in data for level, data in info)
    assert not any(level == "debug" for level, _ in info)
    _, progress, warning = _verify_with_progress(project.root, mode="legacy", set_level="warning")
    assert not any(level in ("debug", "info") for level, _ in warning)
    assert any("web/slow1 finished" in m for _, m in progress)
    _, _, modern = _verify_with_progress(project.root, log_level="info")  # 2026-07-28: the level rides _meta
    assert any(level == "info" and "web/slow1 finished: pass" in data for level, data in modern)


def test_a_tool_call_learns_the_event_loop_without_a_round_trip_to_it(git_repo, monkeypatch):
    """The worker thread inherits the loop's token from call_tool (progress.LOOP): no call asks the loop for
    it through from_thread.run_sync, and progress from the check threads still arrives with it."""
    import anyio.from_thread
    import anyio.lowlevel

    asked, real = [], anyio.from_thread.run_sync

    def counting(fn, *args, **kwargs):
        if fn is anyio.lowlevel.current_token:
            asked.append(fn)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(anyio.from_thread, "run_sync", counting)
    project = make_project(git_repo, _slow_checks([0.1]))
    result, progress, _ = _verify_with_progress(project.root)
    assert not result.is_error, text(result)
    assert any(m.startswith("web/slow0 finished") for _, m in progress)
    assert asked == []
