"""The Mermaid timeline of the last day: deterministic, bounded, only the last 24 h, hostile labels defused."""

from __future__ import annotations

from datetime import datetime

from deploystate.state.view import timeline

NOW = datetime(2026, 12, 1, 18, 0)


def ev(ts: str, kind: str, service: str, **kw) -> dict:
    return {"ts": ts, "kind": kind, "service": service, **kw}


def test_restarts_verdicts_rechecks_and_overrides_become_milestones_per_service():
    """Each event of the day is a milestone in its service's section, failures marked crit."""
    lines = timeline.mermaid([
        ev("2026-12-01T14:02:11Z", "deploy", "api", status="restarted"),
        ev("2026-12-01T14:05:00Z", "verification", "api", verdict="fail"),
        ev("2026-12-01T15:00:00Z", "verification", "api", verdict="pass", recheck=True),
        ev("2026-12-01T16:00:00Z", "override", "worker"),
    ], NOW)
    assert lines[0] == "```mermaid" and lines[1] == "gantt" and lines[-1] == "```"
    body = "\n".join(lines)
    assert "    section api\n    restart :milestone, 2026-12-01 14:02, 0m\n" in body
    assert "    verify FAIL :crit, milestone, 2026-12-01 14:05, 0m" in body
    assert "    recheck pass :done, milestone, 2026-12-01 15:00, 0m" in body
    assert "    section worker\n    override :crit, milestone, 2026-12-01 16:00, 0m" in body


def test_only_the_last_day_is_shown_and_nothing_means_no_block():
    """Events older than 24 h (or in the future) are left out; with none left there is no block at all."""
    assert timeline.mermaid([ev("2026-11-29T10:00:00Z", "deploy", "api", status="restarted"),
                             ev("2026-12-02T10:00:00Z", "deploy", "api", status="restarted")], NOW) == []
    assert timeline.mermaid([], NOW) == []


def test_the_block_is_bounded_in_services_and_events():
    """At most MAX_SERVICES sections with at most MAX_EVENTS milestones each, the newest kept."""
    events = [ev(f"2026-12-01T{h:02d}:{m:02d}:00Z", "deploy", f"svc{s}", status="restarted")
              for s in range(20) for h, m in [(10 + s % 7, i) for i in range(15)]]
    lines = timeline.mermaid(events, NOW)
    sections = [l for l in lines if l.startswith("    section ")]
    assert len(sections) == timeline.MAX_SERVICES
    milestones = [l for l in lines if "milestone" in l]
    assert len(milestones) == timeline.MAX_SERVICES * timeline.MAX_EVENTS
    assert all(", 2026-12-01 " in l for l in milestones)


def test_it_is_deterministic_whatever_the_order_of_events():
    """The same events in any order give the same text."""
    events = [ev("2026-12-01T14:02:00Z", "deploy", "api", status="restarted"),
              ev("2026-12-01T12:00:00Z", "verification", "web", verdict="inconclusive"),
              ev("2026-12-01T13:00:00Z", "mark_deployed", "api")]
    assert timeline.mermaid(events, NOW) == timeline.mermaid(list(reversed(events)), NOW)


def test_a_hostile_service_name_cannot_break_out_of_the_block():
    """Colons, semicolons, hashes, backticks and newlines in a name are flattened to spaces."""
    lines = timeline.mermaid([ev("2026-12-01T14:02:00Z", "deploy", "a:b;c#d```\nsection evil",
                                 status="restarted")], NOW)
    assert lines.count("```") == 1 and lines[0] == "```mermaid"
    assert sum(1 for l in lines if l.startswith("    section")) == 1
    assert not any(c in lines[5] for c in ":;#`") or lines[5].startswith("    section a b c d")


def test_unknown_kinds_are_ignored():
    """Attempts, notes and sessions are not timeline events."""
    assert timeline.mermaid([ev("2026-12-01T14:02:00Z", "attempt", "api"),
                             ev("2026-12-01T14:03:00Z", "note", "api")], NOW) == []


def test_the_state_file_of_a_real_ledger_shows_the_days_events(git_repo):
    """Records written through the store appear as the state file's Mermaid section, newest day only."""
    from deploystate.state.config.project import Project
    from deploystate.state.view.render import render
    from deploystate.state.ledger.store import record
    from deploystate.state.view.view import build_view

    git_repo.write("deploystate.toml", '[services.api]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["a/**"]\n')
    head = git_repo.commit("c")
    project = Project.discover(git_repo.path)
    dep = record(project, "deploy", {"service": "api", "commit": head, "status": "restarted"}, commit=head)
    record(project, "verification", {"service": "api", "commit": head, "verdict": "fail", "summary": "x",
                                     "deploy_id": dep["id"]}, commit=head)
    text = render(build_view(project, head=head, use_git=False, observed={}))
    assert "## The last 24 hours" in text and "```mermaid" in text
    assert "    section api" in text and "verify FAIL :crit, milestone" in text
