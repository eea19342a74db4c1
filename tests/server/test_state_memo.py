"""read_deployment_state's memo (``state_memo``): a reused summary is always the one a fresh build of this
read's view gives, times included, and a changed runtime answer or ledger is never served from it."""

from __future__ import annotations

from deploystate.server.mcp.mcp_app import build_server
import json
from datetime import timedelta

from deploystate.state.ledger.ids import iso, utc_now

from deploystate.server.mcp.state_memo import Memo
from deploystate.server.mcp.state_summary import FULL, LEVELS, SUMMARY_BUDGET, build, summarize
from deploystate.server.mcp.state_summary_text import text
from tests.server.mcp_support import deploy, make_project, verify


def _seen(at: str, *, revision: str | None = None, state: str = "running", web_at: str | None = None,
          error: str | None = None) -> dict:
    obs = {"state": state, "target": "t", "revision": revision, "revision_source": None, "started_at": None,
           "healthy": None, "restart_count": 0, "oom_killed": False, "problems": [], "instances": []}
    web = {"at": web_at or at, "obs": dict(obs), "error": error, "error_at": at if error else None}
    return {"version": 1, "at": at, "services": {"web": web, "worker": {"at": at, "obs": dict(obs), "error": None,
                                                                         "error_at": None}}}


def _setup(git_repo):
    project = make_project(git_repo)
    deploy(project, "web", git_repo.head())
    verify(project, "web", git_repo.head(), "pass", "health ok")
    ctx = build_server(root=str(project.root)).ctx
    ctx.views.get_kept(project)  # the first read keeps the base; the next ones are laid over it
    return project, ctx


def _reference(view, detail):
    """The summary as it was built before the memo: from the view itself, times and all."""
    if detail == "full":
        return build(view, "full", FULL)
    for level in LEVELS:
        out = build(view, "summary", level)
        dump = out.model_dump(mode="json", exclude_defaults=True)
        if len(text(out)) <= SUMMARY_BUDGET and len(json.dumps(dump)) <= SUMMARY_BUDGET:
            return out
    raise AssertionError("over budget")


def _both(ctx, project, seen, memo, detail="summary"):
    """(the memo's answer, the reference one) for the same view; the memo's equals a fresh ``summarize``."""
    view, kept = ctx.views.get_kept(project, seen)
    assert kept is not None
    got = summarize(view, detail, kept=kept, memo=memo)
    _same(got, summarize(view, detail))
    return got, _reference(view, detail)


def _same(a, b) -> None:
    assert a.render_text() == b.render_text()
    assert a.structured() == b.structured() and list(a.structured()) == list(b.structured())


def test_a_reused_summary_shows_this_reads_times(git_repo):
    """Reads at other seconds and minutes, and with a service answering late, get their own observed_at,
    runtime_observed_at and ages, as a fresh build gives them, while the work is reused."""
    project, ctx = _setup(git_repo)
    memo = Memo()
    start = utc_now()  # after the deploy: the answers are fresh, not stale
    times = [iso(start + timedelta(seconds=s)) for s in (1, 41.5, 422)]
    answers = []
    for at in times + times[:1]:
        got, fresh = _both(ctx, project, _seen(at), memo)
        _same(got, fresh)
        assert got.observed_at == at
        answers.append(got)
    late, fresh = _both(ctx, project, _seen(times[1], web_at=times[0], error="timed out"), memo)
    _same(late, fresh)
    assert [s.runtime_observed_at for s in late.services if s.name == "web"] == [times[0]]
    assert memo.hits >= 1  # (a background refresh of another test may move the base once)
    for detail in ("full", "full"):
        _same(*_both(ctx, project, _seen(times[2]), memo, detail))


def test_a_changed_runtime_answer_is_summarized_again(git_repo):
    """Another revision, a broken state or an error is never answered from the memo: each answer is the
    fresh one, and a broken service's problem carries this read's time."""
    project, ctx = _setup(git_repo)
    memo = Memo()
    at = "2026-12-03T10:00:01.000001Z"
    base, _ = _both(ctx, project, _seen(at), memo)
    for seen in (_seen(at, revision=git_repo.head()), _seen(at, state="exited"),
                 _seen("2026-12-03T10:00:09.000001Z", state="exited"), _seen(at, error="down")):
        got, fresh = _both(ctx, project, seen, memo)
        _same(got, fresh)
    broken, _ = _both(ctx, project, _seen("2026-12-03T10:00:09.000001Z", state="exited"), memo)
    assert broken.status == "BROKEN" != base.status
    assert [p.ts for p in broken.problems if p.service == "worker"] == ["2026-12-03T10:00:09.000001Z"]


def test_a_new_record_is_summarized_from_the_new_base(git_repo):
    """After an append the base is rebuilt (not kept on that read) and the next answers show the record."""
    project, ctx = _setup(git_repo)
    memo = Memo()
    at = "2026-12-03T10:00:01.000001Z"
    before, _ = _both(ctx, project, _seen(at), memo)
    verify(project, "web", git_repo.head(), "fail", "health check failed")
    view, kept = ctx.views.get_kept(project, _seen(at))
    assert kept is None
    after, fresh = _both(ctx, project, _seen(at), memo)
    _same(after, fresh)
    assert after.status == "BROKEN" and before.status != "BROKEN"


def test_the_callers_answer_is_its_own(git_repo):
    """Setting the mode on one answer (as the tool does) changes no later answer of the memo."""
    project, ctx = _setup(git_repo)
    memo = Memo()
    at = "2026-12-03T10:00:01.000001Z"
    first, _ = _both(ctx, project, _seen(at), memo)
    first.mode = "verify"
    second, fresh = _both(ctx, project, _seen(at), memo)
    assert second.mode is None and memo.hits == 1
    _same(second, fresh)
