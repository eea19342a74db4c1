"""The server's state file rendered from its kept base (``store._base``, keyed by ``state.view.basekey``):
a new observation is laid over the ledger's part read before, and any change of what that part is read
from (the ledger, the config, git's HEAD) reads it again; the text is always the one a fresh render gives."""

from __future__ import annotations

import os

import pytest

from deploystate.state.config.project import Project
from deploystate.state.drift import observations
from deploystate.state.ledger import store
from deploystate.state.ledger.ids import iso, utc_now
from tests.server.mcp_support import AUTHOR, CONFIG, make_project, verify


@pytest.fixture
def serving(monkeypatch):
    """Server mode (a deferral installed, here rendering at once) and a count of base reads."""
    store.render_later(lambda project: store.refresh_derived(project))
    store._BASES.clear()
    reads: list[int] = []
    real = store.build_base
    monkeypatch.setattr(store, "build_base", lambda *a, **k: reads.append(1) or real(*a, **k))
    yield reads
    store.render_later(None)
    store._BASES.clear()


def _fresh(project: Project) -> str:
    """What a process with nothing kept renders now."""
    later, store._later = store._later, None
    try:
        return store.state_file_text(project)
    finally:
        store._later = later


def _observe(project: Project, revision: str) -> None:
    data = observations.merge(observations.load(project.state_dir),
                              {"web": {"obs": {"state": "running", "revision": revision, "healthy": True}}},
                              iso(utc_now()))
    observations.save(project.state_dir, data)


def test_a_new_observation_is_rendered_over_the_kept_base(git_repo, serving):
    """Nothing the ledger's part is read from changed: the base is read once, the observation still shows."""
    project = make_project(git_repo)
    head = git_repo.head()
    verify(project, "web", head, "pass")
    store.write_state_file(project)
    reads = len(serving)
    _observe(project, head)
    store.write_state_file(project)
    assert len(serving) == reads
    text = project.state_file.read_text()
    assert "runs HEAD's code" in text and text == _fresh(project)


def test_the_base_is_read_again_when_the_ledger_the_config_or_head_changes(git_repo, serving):
    """A record, an edited deploystate.toml and a new commit each give the text a fresh render gives."""
    project = make_project(git_repo)
    store.write_state_file(project)
    store.record(project, "attempt", {"summary": "raise the worker memory limit", "hypothesis": None,
                                      "files": [], "services": ["worker"], "outcome": "failed", "evidence": None,
                                      "signature": None, "similar_to": []}, author=AUTHOR)
    assert "raise the worker memory limit" in project.state_file.read_text()
    project.config_path.write_text(CONFIG + '\n[services.beat]\nplatform = "command"\npaths = ["beat/**"]\n'
                                   'restart_cmd = ["true"]\n', encoding="utf-8")
    project = Project.discover(git_repo.path)
    store.write_state_file(project)
    assert "| beat |" in project.state_file.read_text()
    git_repo.commit("v2", {"web/app.py": "print('v2')\n"})
    store.write_state_file(project)
    text = project.state_file.read_text()
    assert f"HEAD {git_repo.head()[:10]}" in text and text == _fresh(project)


def test_a_ledger_edited_under_a_kept_base_is_rendered_as_edited(git_repo, serving):
    """A record changed in the middle of the ledger, its mtime put back: the problem shows, as it would
    in a fresh render; the kept base of the bytes before the edit is not used."""
    project = make_project(git_repo)
    head = git_repo.head()
    verify(project, "web", head, "fail", summary="the first verdict")
    verify(project, "web", head, "pass")
    store.write_state_file(project)
    before = project.state_file.read_text()
    st = project.ledger.path.stat()
    raw = project.ledger.path.read_bytes()
    project.ledger.path.write_bytes(raw.replace(b"the first verdict", b"a verdict nobody gave", 1))
    os.utime(project.ledger.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    store.write_state_file(project)
    text = project.state_file.read_text()
    assert text != before and "**LEDGER**" in text and text == _fresh(project)
