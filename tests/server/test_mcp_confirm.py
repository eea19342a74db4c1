"""Confirmation of destructive calls: MCP elicitation where the client has it, else a dry run's token
bound to the plan it showed. Real SDK client, real git project, command platform."""

from __future__ import annotations

from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.tool_errors import error_info
from tests.server.mcp_support import elicitation, project, run, text  # noqa: F401 (fixture)


def _session(project, calls, *, server=None, **client):
    server = server or build_server(root=str(project.root))

    async def body():
        async with Client(server, **client) as c:
            return [await c.call_tool(name, args) for name, args in calls]
    return run(body)


def _restarts(project) -> list[str]:
    return [r["payload"]["service"] for r in project.ledger.read().records if r["kind"] in ("deploy", "rollback")]


def test_elicitation_accepted_runs_exactly_the_plan_shown(project):
    """A client with elicitation is asked about the plan (2026-07-28 and handshake era); yes restarts."""
    # The second call is forced (web already runs HEAD): a forced restart is asked about, with its reason.
    for mode, args in (("auto", {"services": ["web"]}),
                       ("legacy", {"services": ["web"], "force": True, "reason": "reload the env file"})):
        asked: list[str] = []
        (result,) = _session(project, [("restart_affected", args)], mode=mode,
                             elicitation_callback=elicitation(asked=asked))
        assert not result.is_error, text(result)
        assert result.structured_content["confirmed_by"] == "elicitation"
        assert len(asked) == 1 and "restart web [command, command]" in asked[0] and "decline" in asked[0]
    assert "FORCED: reload the env file" in asked[0]
    assert _restarts(project) == ["web", "web"]


def test_elicitation_declined_or_answered_no_changes_nothing_and_says_so(project):
    """Decline, cancel or 'no' leave the ledger and the runtime alone, and the error says nothing was done."""
    for mode, answer in (("auto", elicitation("decline")), ("legacy", elicitation("cancel")),
                         ("legacy", elicitation("accept", confirm=False))):
        restart, back = _session(project, [("restart_affected", {"services": ["web"]}),
                                           ("rollback", {"service": "web", "to": "previous"})],
                                 mode=mode, elicitation_callback=answer)
        assert restart.is_error and "nothing was restarted" in text(restart), text(restart)
        assert back.is_error and "nothing was rolled back" in text(back), text(back)
        assert error_info(restart)["error_type"] == "Refused"
    assert _restarts(project) == []


def test_without_elicitation_a_dry_run_token_confirms_the_real_call(project):
    """No elicitation: the real call is refused until it carries the token of a dry run of the same plan."""
    server = build_server(root=str(project.root))  # tokens are signed with a secret of this server process
    bare, dry = _session(project, [("restart_affected", {"services": ["web"]}),
                                   ("restart_affected", {"services": ["web"], "dry_run": True})], server=server)
    assert bare.is_error and "no confirmation" in text(bare) and "dry_run=true" in text(bare)
    assert "nothing was restarted" in text(bare) and _restarts(project) == []
    token = dry.structured_content["confirm_token"]
    assert token and dry.structured_content["confirm_expires"] and token in text(dry)
    (real,) = _session(project, [("restart_affected", {"services": ["web"], "confirm": token})], server=server)
    assert not real.is_error, text(real)
    assert real.structured_content["confirmed_by"] == "token" and _restarts(project) == ["web"]


def test_a_token_replayed_against_a_changed_plan_is_refused(project, git_repo):
    """A token confirms one plan: other services, or a new commit since the dry run, need a new token."""
    server = build_server(root=str(project.root))
    (dry,) = _session(project, [("restart_affected", {"services": ["web"], "dry_run": True})], server=server)
    token = dry.structured_content["confirm_token"]
    (wider,) = _session(project, [("restart_affected", {"services": ["web", "worker"], "confirm": token})],
                        server=server)
    assert wider.is_error and "plan changed" in text(wider) and "nothing was restarted" in text(wider)
    git_repo.commit("change web", {"web/app.py": "print('v2')\n"})
    (moved,) = _session(project, [("restart_affected", {"services": ["web"], "confirm": token})], server=server)
    assert moved.is_error and "plan changed" in text(moved)
    assert _restarts(project) == []


def test_an_expired_token_is_refused(project):
    """A token past its lifetime confirms nothing (the server's clock is injected, no waiting)."""
    server = build_server(root=str(project.root))
    confs = server.ctx.confirmations
    now = [1_000_000.0]
    confs.clock = lambda: now[0]
    (dry,) = _session(project, [("rollback", {"service": "web", "to": "previous", "dry_run": True})], server=server)
    assert not dry.is_error, text(dry)
    now[0] += confs.ttl + 1
    (late,) = _session(project, [("rollback", {"service": "web", "to": "previous",
                                               "confirm": dry.structured_content["confirm_token"]})], server=server)
    assert late.is_error and "expired" in text(late) and "nothing was rolled back" in text(late)
    assert _restarts(project) == []


def test_a_plan_that_changes_while_the_user_confirms_is_refused(project, git_repo):
    """Yes to one plan is not yes to another: a commit landing during the question refuses the restart."""
    from mcp_types import ElicitResult

    async def commit_then_accept(context, params):
        git_repo.commit("lands meanwhile", {"worker/tasks.py": "def run(): return 2\n"})
        return ElicitResult(action="accept", content={"confirm": True})

    (result,) = _session(project, [("restart_affected", {})], mode="legacy",
                         elicitation_callback=commit_then_accept)
    assert result.is_error and "plan changed while the user was confirming" in text(result), text(result)
    assert _restarts(project) == []
