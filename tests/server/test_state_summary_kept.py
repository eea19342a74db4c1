"""read_deployment_state's answer is rendered once (``state_summary.summarize`` keeps the text and the dump it
measured against the budget): what it sends is what a fresh rendering of the same answer gives."""

from __future__ import annotations

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.state_summary import summarize
from deploystate.server.mcp.state_summary_text import text
from tests.server.mcp_support import make_project, verify


def test_the_kept_rendering_is_the_fresh_one_with_the_mode_added_last(git_repo):
    """Text and structured content equal a fresh rendering, mode included (last key, last line), and
    without the mode they are the fresh ones of an answer that has none."""
    project = make_project(git_repo)
    verify(project, "web", git_repo.head(), "fail", "health check failed")
    ctx = build_server(root=str(project.root)).ctx
    out = summarize(ctx.view(project))
    assert out.render_text() == text(out)
    assert out.structured() == out.model_dump(mode="json", exclude_defaults=True)
    out.mode = "verify"
    fresh = out.model_dump(mode="json", exclude_defaults=True)
    assert out.render_text() == text(out) + "\nMCP server mode: verify"
    assert out.structured() == fresh and list(out.structured()) == list(fresh)
    assert out.structured()["status"] == "BROKEN"
