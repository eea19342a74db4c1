"""server/mcp/warm.py: the start-up check of the ledger, done while the SDK imports, is the one the first
call reuses (after a copy of the repository it is not repeated), and a start-up failure is left to the call."""

from __future__ import annotations

import shutil

from deploystate.server.mcp import warm
from deploystate.state.config.project import Project
from deploystate.state.tamper import chainmark
from deploystate.state.ledger import store
from tests.server.mcp_support import make_project


def test_a_copied_repository_is_verified_at_start_and_the_first_check_reuses_it(git_repo, tmp_path):
    """In a copy (new inodes) the warm-up verifies the chain by content; the next check is 'unchanged'."""
    project = make_project(git_repo)
    for i in range(5):
        store.record(project, "note", {"text": f"n{i}"})
    assert chainmark.check(project.ledger).ok
    copy = tmp_path / "copy"
    shutil.copytree(git_repo.path, copy, symlinks=True)
    warm.start(str(copy))
    warm.wait()
    status = chainmark.check(Project.discover(copy).ledger)
    assert status.ok and status.how == "unchanged"


def test_a_start_without_a_project_ends_quietly(tmp_path):
    """No deploystate project at the root: the warm-up ends, wait() returns, nothing is created."""
    warm.start(str(tmp_path))
    warm.wait()
    assert list(tmp_path.iterdir()) == []
