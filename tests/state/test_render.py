"""DEPLOYMENT_STATE.md: deterministic, bounded, says what to do next."""

from __future__ import annotations

import time
from pathlib import Path

from deploystate.state.config.project import Project
from deploystate.state.view.render import render, write_atomic
from deploystate.state.ledger.store import record, state_file_text
from tests.fixtures.gitrepo import GitRepo

CONFIG = """
[project]
name = "leasing"
[services.web]
platform = "command"
restart_cmd = ["true"]
paths = ["app/web/**"]
[services.worker]
platform = "command"
restart_cmd = ["true"]
paths = ["app/worker/**"]
"""


def _project(repo: GitRepo) -> tuple[Project, str]:
    head = repo.commit("app", {"deploystate.toml": CONFIG, "app/web/a.py": "1", "app/worker/b.py": "1"})
    return Project.discover(repo.path), head


def test_drift_shows_committed_not_running_for_the_touched_service_only(git_repo: GitRepo) -> None:
    """After a commit touching the worker, only the worker is 'committed, not running'."""
    project, first = _project(git_repo)
    for svc in ("web", "worker"):
        record(project, "deploy", {"service": svc, "commit": first, "strategy": "restart"})
    git_repo.commit("fix worker", {"app/worker/b.py": "2"})
    text = state_file_text(project)
    worker = next(line for line in text.splitlines() if line.startswith("| worker"))
    web = next(line for line in text.splitlines() if line.startswith("| web"))
    assert "committed, not running (1 files)" in worker and "HEAD's code (ledger only)" in web
    assert "`app/worker/b.py`" in text


def test_rendering_is_deterministic_and_written_atomically(git_repo: GitRepo) -> None:
    """Rendering twice gives the same text; an unchanged file is not rewritten."""
    project, first = _project(git_repo)
    record(project, "deploy", {"service": "web", "commit": first})
    a, b = state_file_text(project), state_file_text(project)
    assert a == b
    assert project.state_file.read_text() == a
    assert write_atomic(project.state_file, a) is False


def test_every_write_refreshes_the_state_file_with_status_and_next_steps(git_repo: GitRepo) -> None:
    """A failed verification shows BROKEN with its evidence and the next command."""
    project, first = _project(git_repo)
    record(project, "deploy", {"service": "worker", "commit": first})
    record(project, "verification", {"service": "worker", "commit": first, "verdict": "fail",
                                     "summary": "logs: 'using fallback' seen since restart",
                                     "failed_checks": ["logs: must_not_match 'using fallback' matched 4 lines"]})
    text = project.state_file.read_text()
    assert "**Status: BROKEN**" in text and "using fallback" in text
    assert "deploystate verify worker" in text


def test_the_file_stays_within_its_budget_and_says_what_it_left_out(git_repo: GitRepo) -> None:
    """Hundreds of failed attempts still render within the budget with an 'older entries' line."""
    project, _ = _project(git_repo)
    for i in range(120):
        project.ledger.append("attempt", {"summary": f"attempt {i} " + "detail " * 20, "outcome": "failed"})
    record(project, "note", {})
    text = project.state_file.read_text()
    assert len(text) <= 12_000
    assert "older failed attempts in the ledger" in text


def test_render_of_an_empty_project_says_how_to_start(tmp_path: Path) -> None:
    """With no records the file still renders, with a next step."""
    view = {"project": "p", "generated_by": "deploystate render", "as_of": None, "now": None, "head": None,
            "status": "OK", "reason": "nothing yet", "doom_threshold": 3, "services": [], "broken": [],
            "unverified": [], "doom": {"streak": 0, "failures": []}, "failed_attempts": [], "attempts_total": 0,
            "attempts_failed": 0, "sessions": [], "open_sessions": [], "overrides": [], "preflight": None,
            "records": 0, "problems": []}
    text = render(view)
    assert "No services configured" in text and "## Next steps" in text


def test_a_hand_edited_verdict_shows_the_state_as_broken(git_repo: GitRepo) -> None:
    """Turning a recorded 'fail' into 'pass' by hand makes the state file say BROKEN and name the line."""
    project, first = _project(git_repo)
    record(project, "deploy", {"service": "web", "commit": first})
    record(project, "verification", {"service": "web", "commit": first, "verdict": "fail", "summary": "500s"})
    path = project.ledger.path
    time.sleep(0.05)  # a person edits later than the tool wrote; coarse mtime clocks need the gap
    path.write_text(path.read_text().replace('"verdict":"fail"', '"verdict":"pass"'))
    text = state_file_text(project)
    assert "**Status: BROKEN**" in text and "hash chain" in text
    assert "ledger.jsonl:2" in text
