"""read_deployment_state, affected_services, the resources and the session_start prompt, in memory."""

from __future__ import annotations

import json

from mcp.client import Client

from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.state_summary import SUMMARY_BUDGET
from deploystate.state.ledger import store
from tests.server.mcp_support import AUTHOR, deploy, project, run, text, verify  # noqa: F401 (fixture)


def _call(project, tool: str, args: dict | None = None):
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            return await client.call_tool(tool, args or {})
    return run(body)


def test_summary_puts_status_first_then_drift_then_problems(git_repo, project):
    """The summary reads top-down in the order an agent must act: status, drift, broken, doom, attempts."""
    first = git_repo.head()
    deploy(project, "web", first)
    deploy(project, "worker", first)
    verify(project, "worker", first, "fail", "worker crashed: OOMKilled", failed_checks=["restarts: 3 since restart"])
    git_repo.commit("fix web", {"web/app.py": "print('v2')\n"})
    result = _call(project, "read_deployment_state")
    assert not result.is_error
    body = text(result)
    assert body.startswith("Status: BROKEN")
    assert body.index("Committed, not running") < body.index("Broken or unverified") < body.index("Doom loop")
    assert "web runs " + first[:10] in body and "web/app.py" in body
    assert "BROKEN worker" in body and "restarts: 3 since restart" in body
    assert "UNVERIFIED web" in body
    data = result.structured_content
    assert data["status"] == "BROKEN"
    assert data["drift"] == [{"service": "web", "running_commit": first, "files": ["web/app.py"], "count": 1,
                              "source": "ledger"}]
    assert {(p["service"], p["state"]) for p in data["problems"]} == {("worker", "BROKEN"), ("web", "UNVERIFIED")}


def test_doom_loop_failed_attempts_near_duplicates_overdue_and_sessions_are_shown(git_repo, project):
    """Doom loop flag, failed attempts with their near-duplicate marks, overdue rechecks and handoffs appear."""
    head = git_repo.head()
    deploy(project, "web", head)
    verify(project, "web", head, "pass", recheck_due="2020-01-01T00:00:00.000000Z")
    deploy(project, "worker", head)
    for i in range(3):
        verify(project, "worker", head, "fail", f"event loop is closed #{i}")
    first = store.record(project, "attempt", {"summary": "restart celery worker to fix event loop", "outcome": "failed",
                                              "files": [], "services": ["worker"], "similar_to": []}, author=AUTHOR)
    store.record(project, "attempt", {"summary": "restart the worker again for the event loop", "outcome": "failed",
                                      "files": [], "services": ["worker"], "similar_to": [first["id"]]}, author=AUTHOR)
    store.record(project, "session_start", {"session_id": "s1", "goal": "fix the worker", "client": "codex"},
                 author=AUTHOR)
    store.record(project, "session_end", {"session_id": "s1", "did": "restarted worker twice", "broke": "worker",
                                          "next": "read the OOM evidence first", "status": "ended"}, author=AUTHOR)
    result = _call(project, "read_deployment_state")
    body, data = text(result), result.structured_content
    assert data["status"] == "DOOM LOOP" and data["doom_loop"]["active"] and data["doom_loop"]["streak"] == 3
    assert "Doom loop: YES" in body and "STOP" in body
    assert f"repeats {first['id']}" in body
    assert data["failed_attempts"][0]["similar_to"] == [first["id"]]
    assert data["overdue_rechecks"] == ["web"] and "Recheck overdue: web" in body
    assert data["sessions"][0]["next"] == "read the OOM evidence first"
    assert "next: read the OOM evidence first" in body


def test_summary_is_bounded_and_says_what_it_left_out(git_repo, project):
    """With hundreds of long failed attempts the summary stays within budget and names what to call for more."""
    head = git_repo.head()
    deploy(project, "web", head)
    long_text = "tried raising the pool size and pinning the driver version because " * 40
    records = [{"id": "", "ts": "", "kind": "attempt", "author": AUTHOR, "commit": head,
                "payload": {"summary": f"{i} {long_text}", "outcome": "failed", "files": [f"web/f{j}.py" for j in range(15)],
                            "services": ["web"], "similar_to": []}} for i in range(300)]
    project.ledger.append_sealed(records, reseal=True)
    summary = _call(project, "read_deployment_state", {"detail": "summary"})
    body = text(summary)
    assert len(body) <= SUMMARY_BUDGET
    assert len(json.dumps(summary.structured_content)) <= SUMMARY_BUDGET
    assert summary.structured_content["failed_attempts_total"] == 300
    assert any("older failed attempts" in item for item in summary.structured_content["left_out"])
    assert 'detail="full"' in body
    full = _call(project, "read_deployment_state", {"detail": "full"})
    assert len(full.structured_content["failed_attempts"]) == 50  # everything the projection keeps
    assert len(text(full)) > SUMMARY_BUDGET


def _failed_attempts(project, n: int) -> list[str]:
    ids = [store.record(project, "attempt", {"summary": f"attempt {i}: raise the pool size", "outcome": "failed",
                                             "files": [], "services": ["worker"], "similar_to": []},
                        author=AUTHOR)["id"] for i in range(n)]
    return ids[::-1]  # newest first


def test_calm_summary_shows_five_failed_attempts_and_says_how_to_see_the_rest(git_repo, project):
    """Outside a doom loop the summary lists the 5 newest failed attempts, says how many more exist and
    where they are (detail="full", check_attempt); detail="full" lists them all."""
    head = git_repo.head()
    deploy(project, "web", head)
    verify(project, "web", head, "pass")
    newest = _failed_attempts(project, 8)
    summary = _call(project, "read_deployment_state")
    data, body = summary.structured_content, text(summary)
    assert data["status"] != "DOOM LOOP"
    assert [a["id"] for a in data["failed_attempts"]] == newest[:5] and data["failed_attempts_total"] == 8
    assert "Tried and failed (5 of 8, newest first)" in body
    [note] = [item for item in data["left_out"] if "older failed attempts" in item]
    assert note.startswith("3 older failed attempts") and 'detail="full"' in note and "check_attempt" in note
    full = _call(project, "read_deployment_state", {"detail": "full"})
    assert [a["id"] for a in full.structured_content["failed_attempts"]] == newest


def test_doom_loop_summary_shows_up_to_ten_failed_attempts(git_repo, project):
    """In a doom loop, what was tried is what to read first: the summary lists up to 10 failed attempts."""
    head = git_repo.head()
    deploy(project, "worker", head)
    for i in range(3):
        verify(project, "worker", head, "fail", f"event loop is closed #{i}")
    newest = _failed_attempts(project, 12)
    data = _call(project, "read_deployment_state").structured_content
    assert data["status"] == "DOOM LOOP"
    assert [a["id"] for a in data["failed_attempts"]] == newest[:10]
    assert any(item.startswith("2 older failed attempts") for item in data["left_out"])


def test_empty_lists_are_left_out_of_the_structured_answer(git_repo, project):
    """A list with nothing in it (drift, problems, overdue rechecks, open sessions, attempts) is absent from the
    structured answer, as its schema default says; one with something in it is there."""
    head = git_repo.head()
    deploy(project, "web", head)
    verify(project, "web", head, "pass")
    data = _call(project, "read_deployment_state").structured_content
    for name in ("drift", "problems", "overdue_rechecks", "open_sessions", "failed_attempts", "sessions"):
        assert name not in data, name
    assert data["failed_attempts_total"] == 0 and data["services"]
    deploy(project, "worker", head)  # restarted, never verified: a problem
    store.record(project, "session_start", {"session_id": "s9", "goal": "g", "client": "codex"}, author=AUTHOR)
    data = _call(project, "read_deployment_state").structured_content
    assert [p["service"] for p in data["problems"]] == ["worker"] and data["open_sessions"] == ["s9"]


def test_affected_defaults_to_each_services_last_verified_deploy(git_repo, project):
    """Without base, each service is compared from its own last verified deploy, with files and patterns as
    reasons."""
    first = git_repo.head()
    deploy(project, "web", first)
    verify(project, "web", first, "pass")
    git_repo.commit("worker change", {"shared/util.py": "X = 2\n", "docs/notes.md": "n\n"})
    deploy(project, "worker", git_repo.head())
    verify(project, "worker", git_repo.head(), "pass")
    git_repo.commit("web change", {"web/app.py": "print('v3')\n"})
    result = _call(project, "affected_services")
    services = {s["name"]: s for s in result.structured_content["services"]}
    assert result.structured_content["base_mode"] == "running commit"
    assert services["web"]["affected"] is True and services["web"]["base"] == first
    assert [m["file"] for m in services["web"]["matches"]] == ["web/app.py"]
    assert services["web"]["matches"][0]["pattern"] == "web/**"
    assert services["worker"]["affected"] is False  # shared/util.py is already running there
    assert "docs/notes.md" in result.structured_content["unmatched_files"]


def test_affected_with_explicit_base_and_unknown_states(git_repo, project):
    """An explicit base compares two revisions; a never-deployed service is unknown, not guessed."""
    first = git_repo.head()
    git_repo.commit("shared change", {"shared/util.py": "X = 3\n"})
    given = _call(project, "affected_services", {"base": first})
    services = {s["name"]: s for s in given.structured_content["services"]}
    assert services["worker"]["affected"] is True and services["web"]["affected"] is False
    assert services["worker"]["matches"][0]["pattern"] == "shared/*.py"
    deploy(project, "web", git_repo.head())             # restarted, never verified: no base
    default = _call(project, "affected_services")
    assert all(s["affected"] is None for s in default.structured_content["services"])
    assert "WARNING: comparing from HEAD~1: no verified deploy" in text(default)


def test_affected_rejects_bad_revisions_readably(project):
    """A revision that does not exist, or looks like an option, is a tool error with the next step."""
    missing = _call(project, "affected_services", {"base": "no-such-branch"})
    assert missing.is_error and "not a commit" in text(missing) and "next:" in text(missing)
    option = _call(project, "affected_services", {"base": "--output=/tmp/x"})
    assert option.is_error and "base" in text(option)


def test_state_resource_and_attempt_resource(git_repo, project):
    """deploystate://state is the rendered state file; deploystate://attempts/{id} is the full record."""
    rec = store.record(project, "attempt", {"summary": "pin redis client", "outcome": "worked", "files": [],
                                            "services": [], "similar_to": []}, author=AUTHOR)

    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            state = await client.read_resource("deploystate://state")
            attempt = await client.read_resource(f"deploystate://attempts/{rec['id']}")
            templates = await client.list_resource_templates()
            try:
                await client.read_resource("deploystate://attempts/0000000000zzzzzzzzzzzzzzzz")
                missing = None
            except Exception as exc:  # the SDK raises the server's protocol error
                missing = str(exc)
            return state, attempt, templates, missing

    state, attempt, templates, missing = run(body)
    assert state.contents[0].text.startswith("<!-- Generated by deploystate.")
    assert "# Deployment state: shop" in state.contents[0].text
    assert json.loads(attempt.contents[0].text)["payload"]["summary"] == "pin redis client"
    assert templates.resource_templates[0].uri_template == "deploystate://attempts/{attempt_id}"
    assert missing and "no attempt" in missing


def test_session_start_prompt_walks_through_reading_state(project):
    """The prompt tells the agent to read state before touching anything and includes the current state."""
    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            prompts = await client.list_prompts()
            return prompts, await client.get_prompt("session_start", {"goal": "fix checkout"})

    prompts, prompt = run(body)
    assert [p.name for p in prompts.prompts] == ["session_start"]
    message = prompt.messages[0].content.text
    assert message.startswith("Your goal: fix checkout")
    # the prompt reads the stored observation only, and the runtimes were never asked: unknown, not OK
    assert message.index("Before touching anything") < message.index("Status: UNKNOWN")
    assert "check_attempt" in message and "end_session" in message


def test_observe_shows_what_each_runtime_really_runs_next_to_head(git_repo):
    """By default the runtime is asked: the web process reports the old commit (committed, not running)."""
    from tests.server.mcp_support import CONFIG, make_project

    first_files = {"web/app.py": "print('v1')\n"}
    git_repo.commit("v1", first_files)
    old = git_repo.head()
    config = CONFIG.replace('paths = ["web/**"]\nrestart_cmd = ["true"]',
                            'paths = ["web/**"]\nrestart_cmd = ["true"]\n'
                            f'observe_cmd = ["echo", "{{\\"state\\": \\"running\\", \\"revision\\": \\"{old}\\"}}"]')
    proj = make_project(git_repo, config)
    git_repo.commit("web v2", {"web/app.py": "print('v2')\n"})
    result = _call(proj, "read_deployment_state")
    assert not result.is_error
    data = result.structured_content
    lines = {s["name"]: s for s in data["services"]}
    assert lines["web"]["runtime_revision"] == old and lines["web"]["runtime"] == "not_head"
    assert data["status"] == "DRIFT" and data["reason"].startswith(f"committed, not running: web runs {old[:10]}")
    assert data["drift"] == [{"service": "web", "running_commit": old, "files": ["web/app.py"], "count": 1,
                              "source": "runtime"}]
    assert "runtime_revision" not in lines["worker"]  # no observe command: nothing invented (null is left out)
    assert f"[runtime: not_head — web runs {old[:10]}" in text(result)
    # observe=false: the stored observation, with its age
    again = _call(proj, "read_deployment_state", {"observe": False}).structured_content
    assert again["status"] == "DRIFT" and again["observed_at"] == data["observed_at"]
