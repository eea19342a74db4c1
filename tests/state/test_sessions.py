"""Session handoff: previous 'next' first, automatic summaries, abandoned sessions closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploystate.state.view import cache
from deploystate.state.memory import memory
from deploystate.state.errors import InputError
from deploystate.state.memory.memrecords import auto_summary
from deploystate.state.config.project import Project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for var in ("DEPLOYSTATE_SESSION", "DEPLOYSTATE_STATE_DIR", "DEPLOYSTATE_ROOT", "DEPLOYSTATE_CLIENT"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "deploystate.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    return Project.discover(tmp_path)


def _as(session: str) -> dict:
    return {"kind": "agent", "name": "t", "client": "claude-code", "session": session}


def _work(project: Project, sid: str) -> None:
    """What a session does: restart two services, verify them, try two things."""
    led = project.ledger
    led.append("deploy", {"service": "worker", "commit": "c1", "status": "restarted"}, author=_as(sid))
    led.append("deploy", {"service": "worker", "commit": "c1", "status": "restarted"}, author=_as(sid))
    led.append("deploy", {"service": "api", "commit": "c1", "status": "failed"}, author=_as(sid))
    led.append("verification", {"service": "worker", "commit": "c1", "verdict": "fail",
                                "summary": "OOMKilled", "signature": "OOMKilled"}, author=_as(sid))
    led.append("attempt", {"summary": "raise worker memory to 3Gi", "outcome": "failed"}, author=_as(sid))
    led.append("attempt", {"summary": "lower prefetch to 1", "outcome": "tried"}, author=_as(sid))
    led.append("attempt", {"summary": "someone else's idea", "outcome": "failed"}, author=_as("other"))


def test_start_returns_previous_next_first(project: Project) -> None:
    """The new session gets the 'next' the previous session left, with what it broke."""
    first = memory.start_session(project, goal="stop the worker dropping tasks", client="claude-code")
    memory.end_session(project, session_id=first["session_id"], did="raised prefetch", broke="beat timing",
                       next="verify worker after a 1h soak")
    second = memory.start_session(project, goal="continue")
    assert second["previous_next"] == "verify worker after a 1h soak"
    assert second["previous"]["session_id"] == first["session_id"] and second["previous"]["broke"] == "beat timing"
    assert second["abandoned"] == [] and second["session_id"] != first["session_id"]
    assert second["record"]["author"]["session"] == second["session_id"]


def test_end_adds_what_the_ledger_shows(project: Project) -> None:
    """end_session writes an automatic summary of the session's restarts, verdicts and attempts."""
    sid = memory.start_session(project, goal="fix worker")["session_id"]
    _work(project, sid)
    res = memory.end_session(project, session_id=sid, did="tried memory", broke="nothing", next="profile memory")
    auto = res["auto"]
    assert "restarted worker x2" in auto and "restart failed for api" in auto
    assert "1 fail" in auto and "last verdict worker fail" in auto
    assert "2 attempts (1 failed)" in auto and "lower prefetch to 1" in auto
    assert "someone else's idea" not in auto
    assert res["record"]["payload"]["auto"] == auto and res["record"]["payload"]["status"] == "ended"
    text = project.state_file.read_text(encoding="utf-8")
    assert "profile memory" in text and "restarted worker x2" in text


def test_open_session_is_closed_as_abandoned(project: Project) -> None:
    """A session left open (the agent died) is closed as abandoned by the next start, with its activity."""
    dead = memory.start_session(project, goal="the session that dies")["session_id"]
    _work(project, dead)
    res = memory.start_session(project, goal="pick up the pieces")
    assert [a["session_id"] for a in res["abandoned"]] == [dead]
    assert "raise worker memory" not in res["abandoned"][0]["auto"]  # only the last attempt is quoted
    assert "2 attempts (1 failed)" in res["abandoned"][0]["auto"]
    state = cache.load(project.ledger).state
    assert dead not in state["sessions"]["open"] and res["session_id"] in state["sessions"]["open"]
    closed = next(s for s in state["sessions"]["recent"] if s["session_id"] == dead)
    assert closed["status"] == "abandoned" and closed["auto"].startswith("abandoned")
    assert "(abandoned" in project.state_file.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="already abandoned"):
        memory.end_session(project, session_id=dead, did="x", broke="", next="")


def test_previous_next_skips_abandoned_sessions(project: Project) -> None:
    """An abandoned session left no 'next': the one before it that did is handed over."""
    a = memory.start_session(project, goal="a")["session_id"]
    memory.end_session(project, session_id=a, did="a", broke="none", next="check the beat schedule")
    memory.start_session(project, goal="b dies")
    res = memory.start_session(project, goal="c")
    assert len(res["abandoned"]) == 1 and res["previous_next"] == "check the beat schedule"


def test_recently_active_sessions_can_be_kept_open(project: Project) -> None:
    """With keep_active_within, a parallel session that just recorded something is not abandoned."""
    busy = memory.start_session(project, goal="parallel agent")["session_id"]
    project.ledger.append("attempt", {"summary": "x", "outcome": "tried"}, author=_as(busy))
    res = memory.start_session(project, goal="second agent", keep_active_within=3600)
    assert res["kept_open"] == [busy] and res["abandoned"] == []


def test_end_resolves_the_session(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an id: $DEPLOYSTATE_SESSION, else the only open session, else a clear error."""
    with pytest.raises(InputError, match="no session is open"):
        memory.end_session(project, session_id=None, did="x", broke="", next="")
    one = memory.start_session(project, goal="one", keep_active_within=3600)["session_id"]
    two = memory.start_session(project, goal="two", keep_active_within=3600)["session_id"]
    with pytest.raises(InputError, match="2 sessions are open") as err:
        memory.end_session(project, session_id=None, did="x", broke="", next="")
    assert "--session" in err.value.hint
    monkeypatch.setenv("DEPLOYSTATE_SESSION", two)
    assert memory.end_session(project, session_id=None, did="x", broke="", next="y")["session_id"] == two
    monkeypatch.delenv("DEPLOYSTATE_SESSION")
    assert memory.end_session(project, session_id=None, did="x", broke="", next="y")["session_id"] == one
    with pytest.raises(InputError, match="no open session nope"):
        memory.end_session(project, session_id="nope", did="x", broke="", next="")


def test_inputs_are_bounded(project: Project) -> None:
    """Empty goals, all-empty endings and oversized notes are refused before anything is written."""
    with pytest.raises(InputError, match="goal is empty"):
        memory.start_session(project, goal=" ")
    sid = memory.start_session(project, goal="g")["session_id"]
    with pytest.raises(InputError, match="all empty"):
        memory.end_session(project, session_id=sid, did="", broke="", next="")
    with pytest.raises(InputError, match="next is"):
        memory.end_session(project, session_id=sid, did="x", broke="", next="n" * 20000)


def test_auto_summary_of_nothing() -> None:
    """A session that recorded nothing says so rather than inventing activity."""
    assert "nothing recorded" in auto_summary(None)
