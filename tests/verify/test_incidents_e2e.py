"""End to end through the CLI with real processes (command platform, real git, real ledger): incidents 1, 3, 5
and 6, mark-deployed refusal, rechecks, alerts and redaction of planted secrets."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from deploystate.server.cli import main
from deploystate.state.config.project import Project
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import (APP_SECRET, Capture, app_build, app_mode, app_project, ledger_text,
                                  state_of)

SECRET = APP_SECRET


class App:
    """The project, the simulated app and CLI helpers."""

    def __init__(self, repo: GitRepo, capsys: pytest.CaptureFixture[str], *, recheck: str = "30m",
                 hook: str | None = None) -> None:
        self.project, self.config = app_project(repo, recheck=recheck, hook=hook)
        self.repo, self.capsys = repo, capsys

    def mode(self, mode: str) -> None:
        app_mode(self.repo, mode)

    def build(self) -> None:
        app_build(self.repo)

    def cli(self, *args: str) -> tuple[int, str, str]:
        code = main(["--root", str(self.repo.path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def restart(self) -> None:
        code, out, err = self.cli("restart", "web", "--force", "--reason", "test deploy")
        assert code == 0, out + err

    def verify(self, *args: str) -> tuple[int, str, str]:
        return self.cli("verify", *args)

    @property
    def state_file(self) -> str:
        return self.project.state_file.read_text(encoding="utf-8")


@pytest.fixture
def app(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> App:
    a = App(git_repo, capsys)
    a.restart()
    return a


def test_incident1_restart_without_new_code_fails_the_revision_check(app: App) -> None:
    """Fix committed and 'restarted', but the old build still runs: verify fails; mark-deployed refuses."""
    fixed = app.repo.commit("fix: stop-loss event loop", {"app/main.py": "print('v2')\n"})
    app.restart()                                   # restart without a rebuild: still the old code
    code, out, err = app.verify("web", "--deadline", "30")
    assert code == 1 and "VERIFY FAIL" in out
    assert "committed, not running" in out and fixed[:10] in out and "app/main.py" in out
    assert "revision" in err                        # live progress per check on stderr
    code, out, err = app.cli("mark-deployed", "web", "--note", "fix is live")
    assert code == 1 and "FAILED" in err and "deploystate verify web" in err
    assert state_of(app.project)["services"]["web"]["marked_deployed"] is None

    app.build()
    app.restart()
    code, out, _ = app.verify("web")
    assert code == 0 and "VERIFY PASS" in out
    code, out, _ = app.cli("mark-deployed", "web", "--note", "fix is live")
    assert code == 0 and f"at {fixed[:10]}" in out
    marked = state_of(app.project)["services"]["web"]["marked_deployed"]
    assert marked["commit"] == fixed and marked["note"] == "fix is live"
    assert "PASS" in app.state_file


def test_mark_deployed_refuses_before_any_verification_and_after_a_restart(app: App) -> None:
    """No verification since the restart: refused with the command to run instead."""
    code, _, err = app.cli("mark-deployed", "web", "--note", "x")
    assert code == 1 and "never verified" in err and "deploystate verify web" in err
    assert app.verify("web")[0] == 0
    app.restart()
    code, _, err = app.cli("mark-deployed", "web", "--note", "x")
    assert code == 1 and "restarted" in err


def test_incident3_fallback_path_in_logs_fails_and_old_lines_do_not_count(app: App) -> None:
    """'using fallback' since the restart fails and 'RL model made' missing fails; lines before the restart
    do not count once the model path runs again."""
    app.mode("fallback")
    app.restart()
    code, out, _ = app.verify("web")
    assert code == 1
    assert "'using fallback' matched 1 line(s)" in out and "'RL model made'" in out
    app.mode("ok")
    app.restart()
    code, out, _ = app.verify("web")
    assert code == 0, out


def test_incident5_oom_killed_worker_fails_rollout(app: App) -> None:
    """A worker killed for memory (exit 137) with no stack trace fails the verdict."""
    app.mode("oom")
    app.restart()
    code, out, _ = app.verify("web", "--json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "fail"
    rollout = next(c for c in data["services"][0]["checks"] if c["type"] == "rollout")
    assert rollout["result"] == "fail" and "137" in rollout["summary"]


def test_incident6_doom_loop_after_three_failed_verifications(app: App) -> None:
    """Three failed verifications in a row raise DOOM LOOP in the CLI and DEPLOYMENT_STATE.md; a pass clears it."""
    app.mode("fallback")
    app.restart()
    outs = []
    for attempt in range(3):
        code, out, _ = app.verify("web")
        assert code == 1
        outs.append(out)
    assert "Status: DOOM LOOP" in out and "DOOM LOOP on web: failed verifications in a row" in out
    # the same failure, across sessions: the first is new, the later ones say how often it was seen
    assert "this failure was seen" not in outs[0]
    assert "this failure was seen 2 times since" in outs[2]
    assert "DOOM LOOP" in app.state_file and "using fallback" in app.state_file
    app.mode("ok")
    app.restart()
    code, out, _ = app.verify("web")
    assert code == 0 and "DOOM LOOP" not in out
    assert "DOOM LOOP" not in app.state_file


def test_planted_secrets_never_reach_ledger_state_file_or_output(app: App) -> None:
    """The app logs an API token; evidence, the ledger, DEPLOYMENT_STATE.md and --json output stay clean."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with (app.repo.path / "run" / "app.log").open("a") as fh:
        fh.write(f"{stamp} ERROR auth failed token={SECRET} password: {SECRET}\n")
    code, out, err = app.verify("web", "--json")
    assert code == 1 and "auth failed" in out        # the line is evidence...
    assert SECRET not in out and SECRET not in err    # ...without the secret
    assert SECRET not in ledger_text(app.project)
    assert SECRET not in app.state_file


def test_recheck_runs_only_when_due_and_records_recheck(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """A pass schedules a recheck; `verify --recheck` says none are due, then runs the due one."""
    app = App(git_repo, capsys, recheck="1s")
    app.restart()
    assert app.verify("web")[0] == 0
    due = state_of(app.project)["services"]["web"]["verification"]["recheck_due"]
    assert due
    time.sleep(1.2)
    code, out, _ = app.verify("--recheck")
    assert code == 0 and "[recheck]" in out
    ver = state_of(app.project)["services"]["web"]["verification"]
    assert ver["recheck"] is True
    app.project = Project.discover(git_repo.path)
    code, out, _ = app.verify("--recheck")
    assert code == 0 and "No rechecks are due" in out


def test_alert_webhook_called_on_fail_and_a_broken_webhook_is_not_fatal(git_repo: GitRepo,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A failed verdict posts a Discord/Slack body; a webhook answering 500 is reported, never fatal."""
    answers = [204, 500]
    hook = Capture(lambda m, p, b: (answers.pop(0) if answers else 500, b"", {}))
    try:
        app = App(git_repo, capsys, hook=hook.url + "/api/webhooks/123/tok")
        app.mode("fallback")
        app.restart()
        code, out, err = app.verify("web")
        assert code == 1
        body = hook.json_bodies()[-1]
        assert "verification FAIL" in body["content"] and "web" in body["content"]
        assert body["content"] == body["text"] and len(body["content"]) <= 2000 and SECRET not in body["content"]
        code, out, err = app.verify("web")
        assert code == 1 and "alert not sent" in err and "HTTP 500" in err
        assert "tok" not in err.split("alert not sent")[1]  # the webhook URL (a credential) is never printed
    finally:
        hook.close()


def test_inconclusive_verdict_exits_3(app: App) -> None:
    """A check that cannot gather evidence (a probe nobody answers) makes the verdict inconclusive: exit 3."""
    text = app.project.config_path.read_text() + (
        '\n[[services.web.checks]]\ntype = "http"\nurl = "http://127.0.0.1:9/health"\nretries = 0\ntimeout = 2\n')
    app.project.config_path.write_text(text)
    code, out, _ = app.verify("web")
    assert code == 3 and "VERIFY INCONCLUSIVE" in out and "INCONCLUSIVE" in app.state_file
    code, _, err = app.cli("mark-deployed", "web", "--note", "x")
    assert code == 1 and "INCONCLUSIVE" in err


def test_health_answers_errors_and_code_paths_first(app: App) -> None:
    """`deploystate health`: error lines and the missing code path come first; exit 1 when unhealthy."""
    code, out, _ = app.cli("health")
    assert code == 3 and out.startswith("UNKNOWN") and "not verified" in out  # restarted, not yet verified
    app.mode("fallback")
    app.restart()
    app.verify("web")
    code, out, _ = app.cli("health")
    first = out.splitlines()[0]
    assert code == 1 and first.startswith("UNHEALTHY")
    assert out.index("Errors in the last 30 minutes") < out.index("Then: status")
    assert "'RL model made' seen" in out  # seen before the fallback restart, within 30 minutes
    assert SECRET not in out
