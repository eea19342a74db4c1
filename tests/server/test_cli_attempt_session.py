"""`deploystate attempt`, `session` and `compact` end to end on a real temporary git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.config.project import Project
from tests.server._cli import ds, ds_json

CONFIG = """\
[project]
name = "shop"

[services.worker]
platform = "command"
paths = ["worker/**"]
restart = "restart"
restart_cmd = ["true"]
"""


@pytest.fixture
def repo(git_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository with a deploystate.toml, as the current directory."""
    git_repo.commit("init", {"deploystate.toml": CONFIG, "worker/tasks.py": "print('w')\n"})
    monkeypatch.chdir(git_repo.path)
    for var in ("CLAUDECODE", "CODEX_SANDBOX", "CURSOR_AGENT", "GEMINI_CLI", "DEPLOYSTATE_CLIENT", "CI"):
        monkeypatch.delenv(var, raising=False)
    return git_repo.path


def test_attempt_add_prints_similar_failed_attempts_and_warning(repo: Path, capsys) -> None:
    """The second telling of a failed idea prints the first one and a warning naming it."""
    code, first = ds_json(capsys, "attempt", "add", "--summary", "restart celery worker to fix event loop",
                          "--outcome", "failed", "--service", "worker", "--file", "worker/tasks.py",
                          "--evidence", "RuntimeError: Event loop is closed")
    assert code == 0 and first["similar"] == [] and first["warning"] is None
    assert first["record"]["payload"]["signature"] == "RuntimeError: event loop is closed"
    code, out, _ = ds(capsys, "attempt", "add", "--summary", "fix: event loop error by restarting the worker")
    assert code == 0
    assert "similar earlier attempts:" in out and first["record"]["id"] in out
    assert "WARNING: Tried before" in out and "FAILED" in out
    assert "restart celery worker" in (repo / "DEPLOYMENT_STATE.md").read_text(encoding="utf-8")


def test_attempt_check_exit_codes(repo: Path, capsys) -> None:
    """check exits 1 when a similar attempt failed, 0 when nothing similar failed; it writes nothing."""
    ds(capsys, "attempt", "add", "--summary", "raise worker memory limit to 2Gi", "--outcome", "failed",
       "--evidence", "Last State: Terminated Reason: OOMKilled Exit Code: 137")
    ledger = Project.discover(repo).ledger.path
    size = ledger.stat().st_size
    code, out, _ = ds(capsys, "attempt", "check", "--summary", "increase the memory limit of the worker")
    assert code == 1 and "Tried before and FAILED" in out
    code, res = ds_json(capsys, "attempt", "check", "--summary", "rotate the tls certificate")
    assert code == 0 and res["similar"] == [] and not res["failed_similar"]
    code, res = ds_json(capsys, "attempt", "check", "--summary", "something new entirely",
                        "--evidence", "container exited with code 137")
    assert res["signature_seen"]["count"] == 1 and "seen 1 time since" in res["verdict_text"]
    assert ledger.stat().st_size == size


def test_attempt_list_filters_and_limits(repo: Path, capsys) -> None:
    """list shows attempts newest first, filtered by outcome, bounded by --limit."""
    for i, outcome in enumerate(["failed", "worked", "failed", "tried"]):
        ds(capsys, "attempt", "add", "--summary", f"idea number {i} about caching", "--outcome", outcome)
    code, res = ds_json(capsys, "attempt", "list", "--outcome", "failed")
    assert code == 0 and [a["summary"] for a in res["attempts"]] == ["idea number 2 about caching",
                                                                     "idea number 0 about caching"]
    assert res["total"] == 4 and res["failed"] == 2
    code, out, _ = ds(capsys, "attempt", "list", "--limit", "1")
    assert "idea number 3" in out and "idea number 2" not in out


def test_attempt_bad_input_exit_2(repo: Path, capsys) -> None:
    """An oversized summary or a malformed service name is exit 2 with a message; nothing is written."""
    code, _, err = ds(capsys, "attempt", "add", "--summary", "x" * (16 * 1024 + 1))
    assert code == 2 and "summary is" in err and "16384" in err
    code, _, err = ds(capsys, "attempt", "add", "--summary", "ok", "--service", "Not A Service")
    assert code == 2 and "bad service name" in err
    assert not Project.discover(repo).ledger.path.exists()


def test_session_start_end_handoff(repo: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """start prints the id and export line; end uses $DEPLOYSTATE_SESSION; the next start shows 'next' first."""
    code, out, _ = ds(capsys, "session", "start", "--goal", "stop worker dropping tasks", "--client", "codex")
    assert code == 0 and "export DEPLOYSTATE_SESSION=" in out
    sid = out.split("export DEPLOYSTATE_SESSION=")[1].split()[0]
    monkeypatch.setenv("DEPLOYSTATE_SESSION", sid)
    ds(capsys, "attempt", "add", "--summary", "lower prefetch multiplier to 1", "--outcome", "tried")
    code, res = ds_json(capsys, "session", "end", "--did", "lowered prefetch", "--broke", "nothing",
                        "--next", "soak the worker for an hour")
    assert code == 0 and res["session_id"] == sid and "1 attempt (0 failed)" in res["auto"]
    monkeypatch.delenv("DEPLOYSTATE_SESSION")
    code, out, _ = ds(capsys, "session", "start", "--goal", "continue")
    assert out.startswith("NEXT (from session " + sid) and "soak the worker for an hour" in out


def test_session_abandoned_and_end_errors(repo: Path, capsys) -> None:
    """A session left open is closed as abandoned; ending with two open sessions asks which."""
    code, first = ds_json(capsys, "session", "start", "--goal", "dies")
    code, out, _ = ds(capsys, "session", "start", "--goal", "next one")
    assert f"closed abandoned session {first['session_id']}" in out
    code, _, err = ds(capsys, "session", "start", "--goal", "parallel", "--keep-active", "1h")
    code, _, err = ds(capsys, "session", "end", "--did", "x", "--broke", "y", "--next", "z")
    assert code == 2 and "2 sessions are open" in err and "--session" in err
    code, _, err = ds(capsys, "session", "start", "--goal", "g", "--keep-active", "soon")
    assert code == 2 and "--keep-active" in err


def test_compact_cli_dry_run_and_doctor_clean(repo: Path, capsys) -> None:
    """compact --dry-run reports, compact archives, and the chain still verifies afterwards."""
    project = Project.discover(repo)
    project.ledger.ensure()
    old = iso(utc_now() - timedelta(days=45))
    recs = [{"id": "", "ts": old, "kind": "attempt", "author": {"kind": "human", "name": "t", "client": None,
             "session": None}, "commit": None, "payload": {"summary": f"old idea about {w}", "outcome": "worked"}}
            for w in ("redis", "nginx", "kafka", "celery", "gunicorn", "postgres", "vault", "envoy", "istio", "helm")]
    project.ledger.append_sealed(recs, reseal=True)
    code, dry = ds_json(capsys, "compact", "--dry-run")
    assert code == 0 and dry["archived"] == 10 and not project.ledger.archive_path.exists()
    code, out, _ = ds(capsys, "compact", "--older-than", "30d")
    assert code == 0 and "archived 10 records" in out
    assert project.ledger.path.read_text(encoding="utf-8") == ""
    assert project.ledger.verify().ok
    code, res = ds_json(capsys, "attempt", "check", "--summary", "the kafka idea")
    assert res["similar"] and res["similar"][0]["summary"] == "old idea about kafka"


def test_console_script_over_a_real_process(repo: Path) -> None:
    """The installed `deploystate` script records and checks an attempt from a fresh process."""
    exe = shutil.which("deploystate") or str(Path(os.sys.executable).with_name("deploystate"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    add = subprocess.run([exe, "attempt", "add", "--summary", "bump worker replicas to 3", "--outcome", "failed",
                          "--json"], cwd=repo, capture_output=True, text=True, timeout=60, env=env)
    assert add.returncode == 0, add.stderr
    rid = json.loads(add.stdout)["record"]["id"]
    check = subprocess.run([exe, "attempt", "check", "--summary", "raise the worker replica count to 3"],
                           cwd=repo, capture_output=True, text=True, timeout=60, env=env)
    assert check.returncode == 1 and rid in check.stdout
