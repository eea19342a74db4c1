"""The command platform against real local processes: an HTTP API and a worker started, stopped and
rolled back by the app's own control script, logs read from the files they write."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.platforms.command.command import CommandPlatform
from deploystate.platforms.command.command_parse import filter_since, parse_output, parse_time
from deploystate.state.config.config import CommandService
from deploystate.state.errors import CommandNotFound, InputError, PlatformError
from deploystate.state.config.project import Project
from tests.platforms.cmdapp import PY, cmd_app  # noqa: F401  (fixture)
from tests.timing import GENEROUS


def _version(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as resp:
        return json.loads(resp.read())


def _alive(pid: int | None) -> bool:
    try:
        os.kill(pid or 0, 0) if pid else None
        return bool(pid) and not Path(f"/proc/{pid}/status").read_text().count("State:\tZ")
    except OSError:
        return False


def _svc(tmp_path: Path, **fields) -> ServiceRef:
    return ServiceRef("svc", CommandService(**{"restart_cmd": [PY, "-c", "pass"], **fields}), tmp_path)


def test_restart_replaces_the_process_and_the_new_commit_runs(cmd_app):
    """A restart stops the old process and starts a detached new one; before it, the new commit is not running."""
    platform = CommandPlatform()
    first = platform.restart(cmd_app.ref("api"), "command", timeout=30)
    assert first.ok, first.message
    old_pid = cmd_app.pid("api")
    assert first.platform_ids["revision"] == cmd_app.commit_v1
    v2 = cmd_app.change_api("hello v2")
    before = platform.observe(cmd_app.ref("api"), timeout=5)
    assert before.state == "running" and before.revision == cmd_app.commit_v1   # committed is not running
    result = platform.restart(cmd_app.ref("api"), "command", timeout=30)
    assert result.ok, result.message
    after = platform.observe(cmd_app.ref("api"), timeout=5)
    assert after.revision == v2 and after.revision_source.startswith("http")
    assert cmd_app.pid("api") != old_pid and not _alive(old_pid)
    assert after.facts["pid"] == cmd_app.pid("api")
    [instance] = after.instances
    assert instance.state == "running" and instance.started_at >= result.started_at and instance.revision == v2
    assert _version(cmd_app.port)["greeting"] == "hello v2"


def test_logs_since_restart_come_from_the_new_process_only(cmd_app):
    """Logs since a restart hold the new instance's lines (untimestamped continuation lines included);
    previous=True gives the instance before it."""
    platform = CommandPlatform()
    assert platform.restart(cmd_app.ref("worker"), "command", timeout=30).ok
    time.sleep(0.3)
    second = platform.restart(cmd_app.ref("worker"), "command", timeout=30)
    assert second.ok, second.message
    time.sleep(0.3)
    since = datetime.fromisoformat(second.started_at.replace("Z", "+00:00"))
    lines = list(platform.logs(cmd_app.ref("worker"), since=since, timeout=5))
    assert sum("worker started" in line for line in lines) == 1
    assert any("continuation line" in line for line in lines)
    stamped = [parse_time(line.split(" ", 1)[0]) for line in lines if line[:1].isdigit()]
    assert stamped and all(ts >= since for ts in stamped)
    previous = list(platform.logs(cmd_app.ref("worker"), since=None, previous=True, timeout=5))
    assert sum("worker started" in line for line in previous) == 1 and previous[0] != lines[0]


def test_a_new_platform_instance_finds_the_restart_offset_in_the_ledger(cmd_app):
    """Logs read in a later process use the log offset recorded with the deploy (no in-memory state)."""
    from deploystate.platforms import deploy, registry

    config = cmd_app.config
    project = Project.discover(cmd_app.root)
    with registry.use("command", CommandPlatform()):
        plan = deploy.make_plan(project, config, names=["worker"])
        [outcome] = deploy.execute(project, config, plan)
    assert outcome.status == "restarted" and outcome.platform_ids["log_offset"] == 0
    lines = list(CommandPlatform().logs(cmd_app.ref("worker"), since=datetime.now(timezone.utc)
                                        - timedelta(seconds=0.5), timeout=5))
    assert any("worker" in line for line in lines)


def test_untimestamped_log_lines_are_cut_at_the_restart_offset(tmp_path):
    """A log without timestamps is read from where the file stood when the restart began."""
    log = tmp_path / "plain.log"
    log.write_text("old line 1\nold failure: using fallback\n")
    append = [PY, "-c", f"open({str(log)!r}, 'a').write('new line after restart\\n')"]
    svc = _svc(tmp_path, restart_cmd=append, log_file=str(log))
    platform = CommandPlatform()
    result = platform.restart(svc, "command", timeout=10)
    since = datetime.fromisoformat(result.started_at.replace("Z", "+00:00"))
    assert list(platform.logs(svc, since=since, timeout=5)) == ["new line after restart"]
    assert list(platform.logs(svc, since=since, previous=True, timeout=5)) == [
        "old line 1", "old failure: using fallback"]


def test_a_restart_that_fails_is_reported_with_its_output(cmd_app):
    """When the new process dies at start, the restart fails and says why (exit code and stderr)."""
    (cmd_app.app / "crash").write_text("1")
    result = CommandPlatform().restart(cmd_app.ref("api"), "command", timeout=30)
    assert not result.ok
    assert "exited 1" in result.message and "did not become ready" in result.message


def test_a_restart_command_that_keeps_the_pipe_open_times_out_with_the_fix(tmp_path):
    """A command whose background child keeps stdout open fails within the timeout and names the fix."""
    pid_file = tmp_path / "child.pid"
    leaky = [PY, "-c", "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
             "'import time; time.sleep(600)']); open(sys.argv[1], 'w').write(str(p.pid))", str(pid_file)]
    started = time.monotonic()
    try:
        result = CommandPlatform().restart(_svc(tmp_path, restart_cmd=leaky), "command", timeout=3)
        assert time.monotonic() - started < GENEROUS             # the child holds the pipe for 600 s
        assert not result.ok and "did not finish within 3s" in result.message
        assert "detach" in result.message
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_observe_reads_systemctl_show_style_key_value_output(tmp_path):
    """observe_cmd output in key=value lines (as `systemctl show` prints) becomes an observation."""
    text = ("ActiveState=active\nSubState=running\nMainPID=%d\nNRestarts=2\n"
            "ExecMainStartTimestamp=Wed 2024-05-01 12:00:00 UTC\nrevision=abc1234def\n" % os.getpid())
    svc = _svc(tmp_path, observe_cmd=[PY, "-c", f"print({text!r})"])
    obs = CommandPlatform().observe(svc, timeout=10)
    assert (obs.state, obs.restart_count, obs.revision) == ("running", 2, "abc1234def")
    assert obs.started_at == "2024-05-01T12:00:00.000000Z" and obs.facts["pid"] == os.getpid()
    assert obs.problems == []


def test_observe_of_a_stopped_or_unreachable_service_says_so(cmd_app):
    """A stopped process is 'stopped' (a problem); an http revision endpoint that is down is named as a note."""
    obs = CommandPlatform().observe(cmd_app.ref("api"), timeout=5)
    assert obs.state == "stopped" and obs.revision is None and "the process is not running" in obs.problems
    assert any(f"127.0.0.1:{cmd_app.port}" in n for n in obs.facts["notes"])   # unreadable, not failed


def test_observe_with_a_dead_pid_only_is_stopped(tmp_path):
    """When observe_cmd reports only a pid, deploystate checks that the process exists."""
    obs = CommandPlatform().observe(_svc(tmp_path, observe_cmd=[PY, "-c", "print('{\"pid\": 999999}')"]), timeout=10)
    assert obs.state == "stopped" and "pid 999999 is not running" in obs.problems


def test_rollback_starts_the_target_revision(cmd_app):
    """rollback_cmd gets the target as DEPLOYSTATE_ROLLBACK_TO; the old commit runs again afterwards."""
    platform = CommandPlatform()
    cmd_app.change_api("hello v2")
    assert platform.restart(cmd_app.ref("api"), "command", timeout=30).ok
    assert _version(cmd_app.port)["greeting"] == "hello v2"
    result = platform.rollback(cmd_app.ref("api"), cmd_app.commit_v1, timeout=30)
    assert result.ok, result.message
    assert _version(cmd_app.port) == {"revision": cmd_app.commit_v1, "greeting": "hello v1"}
    assert platform.observe(cmd_app.ref("api"), timeout=5).revision == cmd_app.commit_v1


def test_rollback_needs_a_target_and_a_rollback_cmd(cmd_app, tmp_path):
    """Rolling back without a target revision or without rollback_cmd is refused with the next step."""
    with pytest.raises(InputError):
        CommandPlatform().rollback(cmd_app.ref("api"), None, timeout=5)
    with pytest.raises(InputError):
        CommandPlatform().rollback(cmd_app.ref("api"), "--help", timeout=5)
    with pytest.raises(PlatformError, match="no rollback_cmd"):
        CommandPlatform().rollback(cmd_app.ref("worker"), "abc1234", timeout=5)


def test_logs_cmd_gets_since_and_its_lines_are_filtered(tmp_path):
    """logs_cmd argv placeholders receive the time; stamped lines before it are dropped."""
    script = "import sys; print(sys.argv[1]); print('2000-01-01T00:00:00Z old'); print('2999-01-01T00:00:00Z new')"
    svc = _svc(tmp_path, logs_cmd=[PY, "-c", script, "{since_epoch}"])
    since = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lines = list(CommandPlatform().logs(svc, since=since, timeout=10))
    assert lines == [f"@{int(since.timestamp())}", "2999-01-01T00:00:00Z new"]


def test_a_missing_program_is_a_clear_error(tmp_path):
    """A restart_cmd naming a program that is not installed raises CommandNotFound naming it."""
    with pytest.raises(CommandNotFound, match="no-such-ctl"):
        CommandPlatform().restart(_svc(tmp_path, restart_cmd=["no-such-ctl", "restart"]), "command", timeout=5)


def test_parse_output_and_timestamps():
    """observe output parses as JSON or key=value; log timestamps parse in the common shapes."""
    assert parse_output('{"State": "running", "pid": 3}') == {"state": "running", "pid": 3}
    assert parse_output("# comment\nA=1\nB = two\n") == {"a": "1", "b": "two"}
    utc = timezone.utc
    assert parse_time("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=utc)
    assert parse_time("2024-05-01 12:00:00,250+02:00") == datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=utc)
    assert parse_time("Wed 2024-05-01 12:00:00 UTC") == datetime(2024, 5, 1, 12, tzinfo=utc)
    assert parse_time("not a time") is None
    lines = ["2024-05-01T11:59:59Z old", "  old traceback", "2024-05-01T12:00:01Z new", "  new traceback"]
    assert list(filter_since(lines, datetime(2024, 5, 1, 12, tzinfo=utc), keep_leading=False)) == lines[2:]
    assert list(filter_since(["lead", *lines], None, keep_leading=False)) == ["lead", *lines]


def test_strategy_that_does_not_apply_is_a_config_error(tmp_path):
    """Asking the command platform for a compose-only strategy is a configuration error."""
    from deploystate.state.errors import ConfigError
    with pytest.raises(ConfigError, match="recreate"):
        CommandPlatform().restart(_svc(tmp_path), "recreate", timeout=5)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_detached_process_survives_the_restart_command(cmd_app):
    """The process started by restart_cmd is in its own session and outlives the control script."""
    assert CommandPlatform().restart(cmd_app.ref("worker"), "command", timeout=30).ok
    pid = cmd_app.pid("worker")
    assert _alive(pid) and os.getsid(pid) == pid
