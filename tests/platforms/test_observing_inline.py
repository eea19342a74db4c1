"""observing.observe_all asks on the calling thread only what a platform answers without any I/O."""

from __future__ import annotations

import threading

from deploystate.platforms import observing
from deploystate.state.config.config import CommandService


def test_only_services_that_need_io_get_a_thread(tmp_path, monkeypatch):
    """A command service with no observe_cmd is answered inline; one with an observe_cmd on its own thread,
    and both answers arrive."""
    started: list[str] = []
    real = threading.Thread

    class Counting(real):
        def start(self):
            started.append(self.name)
            super().start()

    monkeypatch.setattr(threading, "Thread", Counting)  # observing imports threading when a thread is needed
    services = {"plain": CommandService(platform="command", restart_cmd=["true"]),
                "asked": CommandService(platform="command", restart_cmd=["true"], observe_cmd=["echo", "state=running"])}

    class Project:
        root, rootdir = tmp_path, str(tmp_path)

    got = observing.observe_all(Project(), services, 30.0)
    assert started == ["observe-asked"]
    assert got["plain"]["obs"]["state"] == "unknown" and got["asked"]["obs"]["state"] == "running"
