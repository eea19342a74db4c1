"""proc.run: a timed-out command ends its whole process group, not only the direct child."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.command.command import CommandPlatform
from deploystate.state.config.checks import CommandCheck
from deploystate.state.config.config import CommandService
from deploystate.state.errors import CommandTimeout
from deploystate.state.git.proc import run
from deploystate.verify.context import CheckContext
from deploystate.verify.runner import Job, run_jobs

GONE_WITHIN = 30.0  # generous: the kill is immediate, this only bounds a loaded machine


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie waiting for its reaper counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int) -> bool:
    end = time.monotonic() + GONE_WITHIN
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _backgrounding(pid_file: Path) -> list[str]:
    """A shell that backgrounds a long sleep, writes its pid, and sleeps in the foreground too."""
    return ["sh", "-c", f'sleep 300 & echo $! > "{pid_file}"; sleep 300']


def _child_pid(pid_file: Path) -> int:
    end = time.monotonic() + GONE_WITHIN
    while time.monotonic() < end:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if text:
            return int(text)
        time.sleep(0.05)
    raise AssertionError("the backgrounded child never wrote its pid")


@pytest.fixture
def cleanup():
    pids: list[int] = []
    yield pids
    for pid in pids:  # only ever the pids this test started
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def test_timeout_kills_the_backgrounded_child(tmp_path: Path, cleanup: list[int]) -> None:
    """proc.run raises CommandTimeout and the child the shell backgrounded is gone afterwards."""
    pid_file = tmp_path / "child.pid"
    with pytest.raises(CommandTimeout):
        run(_backgrounding(pid_file), timeout=1.0)
    pid = _child_pid(pid_file)
    cleanup.append(pid)
    assert _wait_gone(pid), f"background child {pid} still runs after the timeout"


def test_timed_out_command_check_kills_its_process_group(tmp_path: Path, cleanup: list[int]) -> None:
    """A `command` check that times out is inconclusive and leaves no background child behind."""
    pid_file = tmp_path / "child.pid"
    check = CommandCheck(argv=_backgrounding(pid_file), timeout=1.0)
    res = run_jobs([Job(check.label(), check, CheckContext(root=tmp_path), None)], deadline=60)[0]
    assert res.result == "inconclusive"
    pid = _child_pid(pid_file)
    cleanup.append(pid)
    assert _wait_gone(pid), f"background child {pid} of the check still runs"


def test_timed_out_probe_kills_its_process_group(tmp_path: Path, cleanup: list[int]) -> None:
    """A command platform probe (observe_cmd) that times out leaves no background child behind."""
    pid_file = tmp_path / "child.pid"
    cfg = CommandService(restart_cmd=["true"], observe_cmd=_backgrounding(pid_file))
    try:
        CommandPlatform().observe(ServiceRef("api", cfg, tmp_path), timeout=1.0)
    except CommandTimeout:
        pass  # either an error or an observation that says so: the child must be gone in both cases
    pid = _child_pid(pid_file)
    cleanup.append(pid)
    assert _wait_gone(pid), f"background child {pid} of the probe still runs"


def test_a_finished_command_returns_its_output() -> None:
    """The group handling keeps ordinary results: exit code, stdout and stderr, input on stdin."""
    done = run([sys.executable, "-c", "import sys; print(sys.stdin.read().upper()); sys.exit(4)"], input="hi",
               timeout=30)
    assert (done.returncode, done.stdout.strip()) == (4, "HI")
