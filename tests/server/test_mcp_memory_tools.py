"""record_attempt, check_attempt, start_session and end_session over the in-memory client."""

from __future__ import annotations

from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.models import SUMMARY_MAX
from deploystate.server.mcp.lookup import find_record
from deploystate.state.view import cache
from tests.server.mcp_support import project, run, text  # noqa: F401 (fixture)


def _calls(project, *calls: tuple[str, dict]) -> list:
    """Several calls on one connection (one server process), so session state carries over."""
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return [await client.call_tool(name, args) for name, args in calls]
    return run(body)


def test_record_attempt_returns_id_and_warns_about_a_similar_failure(project):
    """The second telling of a failed idea gets the first one back, with a warning that it failed."""
    first, second = _calls(project,
                           ("record_attempt", {"summary": "restart celery worker to fix event loop is closed",
                                               "outcome": "failed", "services": ["worker"],
                                               "evidence": "RuntimeError: Event loop is closed"}),
                           ("record_attempt", {"summary": "fix event loop is closed by restarting the celery worker",
                                               "outcome": "tried", "services": ["worker"]}))
    assert not first.is_error and not second.is_error
    first_id = first.structured_content["id"]
    assert first.structured_content["similar"] == []
    assert [s["id"] for s in second.structured_content["similar"]] == [first_id]
    assert "FAILED" in second.structured_content["warning"]
    assert "WARNING" in text(second) and first_id in text(second)
    record = find_record(project.ledger, second.structured_content["id"], kind="attempt")
    assert record["payload"]["similar_to"] == [first_id]
    assert record["author"]["kind"] == "agent"


def test_record_attempt_redacts_secrets_before_writing(project):
    """A token pasted into the evidence never reaches the ledger."""
    (result,) = _calls(project, ("record_attempt", {"summary": "rotate the api key", "outcome": "worked",
                                                     "evidence": "API_TOKEN=abcdef0123456789abcdef"}))
    record = find_record(project.ledger, result.structured_content["id"])
    assert "abcdef0123456789" not in str(record)
    assert "[REDACTED]" in record["payload"]["evidence"]


def test_unknown_service_is_an_error_listing_the_known_ones(project):
    """A misspelt service changes nothing and names the services that exist."""
    (result,) = _calls(project, ("record_attempt", {"summary": "bump memory", "outcome": "failed",
                                                     "services": ["wrker"]}))
    assert result.is_error
    assert "unknown service: wrker" in text(result) and "web, worker" in text(result)
    assert cache.load(project.ledger).state["attempts"]["total"] == 0


def test_oversized_and_malformed_input_is_refused_with_the_limit(project):
    """Limits from the schema are enforced: oversized summary, empty summary, bad outcome, unknown argument."""
    too_big, empty, outcome, extra, bad_name = _calls(
        project,
        ("record_attempt", {"summary": "x" * (SUMMARY_MAX + 1), "outcome": "failed"}),
        ("record_attempt", {"summary": "   ", "outcome": "failed"}),
        ("record_attempt", {"summary": "a", "outcome": "maybe"}),
        ("record_attempt", {"summary": "a", "outcome": "failed", "servcies": ["web"]}),
        ("check_attempt", {"summary": "a", "services": ["Web Server"]}))
    assert too_big.is_error and "summary" in text(too_big) and "16384" in text(too_big)
    assert empty.is_error and "summary" in text(empty)
    assert outcome.is_error and "'failed'" in text(outcome)
    assert extra.is_error and "servcies" in text(extra) and "services" in text(extra)
    assert bad_name.is_error and "services.0" in text(bad_name)
    assert "x" * 100 not in text(too_big)  # the rejected value is not echoed back
    assert cache.load(project.ledger).state["attempts"]["total"] == 0


def test_check_attempt_answers_whether_it_was_tried_and_changes_nothing(project):
    """check_attempt finds the earlier failure and writes no record."""
    _calls(project, ("record_attempt", {"summary": "raise worker memory limit to 2Gi", "outcome": "failed",
                                        "files": ["k8s/worker.yaml"]}))
    before = cache.load(project.ledger).state["records"]
    hit, miss = _calls(project,
                       ("check_attempt", {"summary": "increase the worker memory limit", "files": ["k8s/worker.yaml"]}),
                       ("check_attempt", {"summary": "add an index to the orders table"}))
    assert hit.structured_content["tried_before"] is True
    assert hit.structured_content["matches"][0]["outcome"] == "failed"
    assert "FAILED" in hit.structured_content["verdict"]
    assert miss.structured_content["tried_before"] is False and miss.structured_content["matches"] == []
    assert cache.load(project.ledger).state["records"] == before


def test_session_round_trip_hands_over_next_steps(project):
    """start_session returns an id and the state; attempts carry the session; end_session's next is handed over."""
    start, = _calls(project, ("start_session", {"goal": "fix the OOM in worker", "client": "claude-code"}))
    sid = start.structured_content["session_id"]

    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            s = await client.call_tool("start_session", {"goal": "second agent"})
            a = await client.call_tool("record_attempt", {"summary": "lower prefetch", "outcome": "tried"})
            e = await client.call_tool("end_session", {"session_id": s.structured_content["session_id"],
                                                       "did": "lowered prefetch", "broke": "",
                                                       "next": "watch memory for an hour"})
            return s, a, e

    second, attempt, end = run(body)
    # the runtimes were never asked (start_session reads the stored observation): unknown, never OK
    assert start.structured_content["state"]["status"] == "UNKNOWN" and "Session " + sid in text(start)
    second_id = second.structured_content["session_id"]
    assert second.structured_content["kept_open"] == [sid]  # the first agent is still active
    record = find_record(project.ledger, attempt.structured_content["id"])
    assert record["author"]["session"] == second_id
    assert end.structured_content == {"session_id": second_id, "ended_at": end.structured_content["ended_at"],
                                      "status": "ended"}
    (third,) = _calls(project, ("start_session", {"goal": "next day"}))
    assert third.structured_content["previous"]["next"] == "watch memory for an hour"
    assert "watch memory for an hour" in text(third)


def test_end_session_errors_are_readable(project):
    """Ending an unknown or already ended session is a tool error naming what to do."""
    start, = _calls(project, ("start_session", {"goal": "g"}))
    sid = start.structured_content["session_id"]
    unknown, ok, again, missing = _calls(
        project,
        ("end_session", {"session_id": "nope", "did": "x", "next": "y"}),
        ("end_session", {"session_id": sid, "did": "x", "next": "y"}),
        ("end_session", {"session_id": sid, "did": "x", "next": "y"}),
        ("end_session", {"session_id": sid, "did": "x"}))
    assert unknown.is_error and "no open session nope" in text(unknown)
    assert not ok.is_error
    assert again.is_error and "already ended" in text(again)
    assert missing.is_error and "next" in text(missing)
