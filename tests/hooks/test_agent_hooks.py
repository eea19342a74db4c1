"""Agent-client hooks: each client's JSON in, each client's documented JSON out."""

from __future__ import annotations

import json

import pytest

from .conftest import AGENT, run_hook

CLIENTS = ("claude", "codex", "cursor", "gemini")


def _agent(shop, client: str, event: str, payload: dict, env: dict | None = None):
    res = run_hook(["agent", client, event], cwd=shop.path, input=json.dumps(payload), env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else None


def _start_input(client: str, cwd) -> dict:
    if client == "cursor":
        return {"hook_event_name": "sessionStart", "conversation_id": "sess-1", "session_id": "sess-1",
                "workspace_roots": [str(cwd)], "is_background_agent": False, "composer_mode": "agent"}
    return {"hook_event_name": "SessionStart", "session_id": "sess-1", "cwd": str(cwd), "source": "startup",
            "transcript_path": None}


def _context(client: str, out: dict) -> str:
    if client == "cursor":
        return out["additional_context"]
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    return out["hookSpecificOutput"]["additionalContext"]


@pytest.mark.parametrize("client", CLIENTS)
def test_session_start_injects_state(shop, client):
    """Session start gives the state summary as additional context in the client's own field."""
    shop.deploy("api")
    text = _context(client, _agent(shop, client, "session-start", _start_input(client, shop.path)))
    assert "Status: UNVERIFIED" in text and "restarted but not verified: api" in text
    assert "Committed is not running" in text


def test_session_start_respects_the_budget(shop):
    """The injected context never exceeds its size budget."""
    for i in range(30):
        shop.record("attempt", {"summary": f"attempt {i}: " + "tried a long thing " * 20, "outcome": "failed"})
    out = _agent(shop, "claude", "session-start", _start_input("claude", shop.path),
                 env={"DEPLOYSTATE_CONTEXT_BUDGET": "1500"})
    assert len(_context("claude", out)) <= 1500


def test_session_start_warns_when_state_is_unreadable(shop):
    """A broken config gives a short warning, never a silent empty context."""
    (shop.path / "deploystate.toml").write_text("[project\n")
    text = _context("codex", _agent(shop, "codex", "session-start", _start_input("codex", shop.path)))
    assert text.startswith("deploystate: could not read the deployment state")
    assert "Do not assume anything is deployed" in text


def test_session_start_outside_a_project(tmp_path):
    """Where deploystate is not set up, the context says the state is unknown."""
    res = run_hook(["agent", "claude", "session-start"], cwd=tmp_path,
                   input=json.dumps({"session_id": "s", "cwd": str(tmp_path)}))
    text = json.loads(res.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "no deploystate.toml" in text and "unknown" in text


def test_session_start_exports_the_session_for_later_commands(shop, tmp_path):
    """Claude Code's env file gets DEPLOYSTATE_SESSION so deploys from this session are recorded as its own."""
    env_file = tmp_path / "claude.env"
    env_file.write_text("")
    _agent(shop, "claude", "session-start", _start_input("claude", shop.path),
           env={"CLAUDE_ENV_FILE": str(env_file)})
    text = env_file.read_text()
    assert "export DEPLOYSTATE_SESSION=sess-1" in text and "export DEPLOYSTATE_CLIENT=claude-code" in text


def _stop_input(client: str, cwd, message: str = "All done.", active: bool = False) -> dict:
    if client == "cursor":
        return {"hook_event_name": "stop", "conversation_id": "sess-1", "workspace_roots": [str(cwd)],
                "status": "completed", "loop_count": 1 if active else 0}
    if client == "gemini":
        return {"hook_event_name": "AfterAgent", "session_id": "sess-1", "cwd": str(cwd), "prompt": "fix it",
                "prompt_response": message, "stop_hook_active": active}
    return {"hook_event_name": "Stop", "session_id": "sess-1", "cwd": str(cwd), "stop_hook_active": active,
            "last_assistant_message": message, "turn_id": "t1", "transcript_path": None}


def _blocked(client: str, out: dict | None) -> str | None:
    if client == "cursor":
        return (out or {}).get("followup_message")
    if client == "gemini":
        return out["reason"] if out and out.get("decision") == "deny" else None
    return out["reason"] if out and out.get("decision") == "block" else None


@pytest.mark.parametrize("client", CLIENTS)
def test_stop_blocks_on_own_unverified_deploy(shop, client):
    """A deploy made in this session and not verified keeps the agent from finishing."""
    shop.deploy("api", author=AGENT)
    reason = _blocked(client, _agent(shop, client, "stop", _stop_input(client, shop.path)))
    assert reason and "you deployed in this session" in reason and "deploystate verify api" in reason


@pytest.mark.parametrize("client", CLIENTS)
def test_stop_never_loops(shop, client):
    """When the client says a stop hook already continued the turn, the hook lets it stop."""
    shop.deploy("api", author=AGENT)
    out = _agent(shop, client, "stop", _stop_input(client, shop.path, "deployed!", active=True))
    assert _blocked(client, out) is None
    if client in ("claude", "codex"):
        assert out is None  # nothing printed: no decision
    else:
        assert out == {}


def test_stop_ignores_other_sessions_deploys(shop):
    """Another session's unverified deploy does not block this one unless it claims deployment."""
    shop.deploy("api", author={**AGENT, "session": "someone-else"})
    assert _agent(shop, "claude", "stop", _stop_input("claude", shop.path, "Refactored the cart.")) is None


def test_stop_blocks_a_deployment_claim(shop):
    """"It's deployed and working" without a passing verification blocks, naming what is unverified."""
    shop.deploy("api", author={**AGENT, "session": "someone-else"})
    out = _agent(shop, "codex", "stop", _stop_input("codex", shop.path, "The fix is deployed and working in production."))
    assert "your last message says" in out["reason"] and "`api`" in out["reason"]


def test_stop_allows_the_claim_after_a_pass(shop):
    """After a passing verification the same claim is fine."""
    shop.deploy("api", author=AGENT)
    shop.verify("api", "pass")
    assert _agent(shop, "claude", "stop", _stop_input("claude", shop.path, "api is deployed and verified working.")) is None


def test_stop_reads_the_transcript_when_no_message_is_given(shop, tmp_path):
    """Older Claude Code sends only transcript_path: the last assistant text is read from it."""
    transcript = tmp_path / "t.jsonl"
    lines = [{"type": "user", "message": {"role": "user", "content": "ship it"}},
             {"type": "assistant", "message": {"role": "assistant",
                                               "content": [{"type": "text", "text": "Deployed to production."}]}}]
    transcript.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    payload = {"hook_event_name": "Stop", "session_id": "s9", "cwd": str(shop.path), "stop_hook_active": False,
               "transcript_path": str(transcript)}
    out = _agent(shop, "claude", "stop", payload)
    assert out["decision"] == "block" and "Deployed to production." in out["reason"]


def _tool_input(client: str, cwd, command: str) -> dict:
    if client == "cursor":
        return {"hook_event_name": "beforeShellExecution", "conversation_id": "sess-1", "command": command,
                "cwd": str(cwd), "workspace_roots": [str(cwd)]}
    if client == "gemini":
        return {"hook_event_name": "BeforeTool", "session_id": "sess-1", "cwd": str(cwd),
                "tool_name": "run_shell_command", "tool_input": {"command": command}}
    return {"hook_event_name": "PreToolUse", "session_id": "sess-1", "cwd": str(cwd), "tool_name": "Bash",
            "tool_input": {"command": command}, "tool_use_id": "tu1", "permission_mode": "default"}


def _denied(client: str, out: dict | None) -> str | None:
    if not out:
        return None
    if client == "cursor":
        return out["agent_message"] if out.get("permission") == "deny" else None
    if client == "gemini":
        return out["reason"] if out.get("decision") == "deny" else None
    spec = out["hookSpecificOutput"]
    assert spec["hookEventName"] == "PreToolUse"
    return spec["permissionDecisionReason"] if spec["permissionDecision"] == "deny" else None


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("command,category,named", [
    ("git commit --no-verify -m wip", "no-verify", "`git commit --no-verify`"),
    ("git add -A && git commit -anm wip", "no-verify", "`git commit -n`"),
    ("git push --no-verify origin main", "no-verify", "`git push --no-verify` skips the pre-push hook"),
    ("git -c core.hooksPath=/dev/null push origin main", "hooks-path", "`git -c core.hooksPath=/dev/null`")])
def test_pre_tool_denies_hook_bypass(shop, client, command, category, named):
    """--no-verify (commit -n) and a redirected core.hooksPath are denied in each client's shape, naming the
    category and the exact option that was refused."""
    reason = _denied(client, _agent(shop, client, "pre-tool", _tool_input(client, shop.path, command)))
    assert reason and reason.startswith(f"deploystate: denied ({category}): ")
    assert named in reason


@pytest.mark.parametrize("client", CLIENTS)
def test_pre_tool_denies_a_push_pre_push_would_refuse(shop, client):
    """`git push` to a deploy branch over an unverified deploy is denied before it runs."""
    shop.deploy("api")
    shop.change("api/app.py", "print(2)\n")
    reason = _denied(client, _agent(shop, client, "pre-tool",
                                    _tool_input(client, shop.path, "git commit -am x && git push origin HEAD:main")))
    assert reason and reason.startswith("deploystate: denied (refused-push): ")
    assert "would be refused by the pre-push hook" in reason and "deploystate verify api" in reason


def test_pre_tool_push_without_refspec_uses_the_upstream(shop):
    """A bare `git push` on main is judged as a push to main."""
    shop.git("branch", "--set-upstream-to=origin/main")
    shop.deploy("api")
    assert _denied("claude", _agent(shop, "claude", "pre-tool", _tool_input("claude", shop.path, "git push")))


@pytest.mark.parametrize("command", ["git status", "git push origin feature", "git commit -m 'not deployed yet'",
                                     "DEPLOYSTATE_OVERRIDE='outage hotfix now' git push origin main",
                                     "git push --dry-run origin main", "echo git push --no-verify"])
def test_pre_tool_allows_the_rest(shop, command):
    """Anything that is not a bypass or a refused push is allowed (Claude/Codex: no output at all)."""
    shop.deploy("api")
    shop.git("branch", "feature")
    assert _agent(shop, "claude", "pre-tool", _tool_input("claude", shop.path, command)) is None


def test_pre_tool_allows_push_after_pass_and_cursor_says_allow(shop):
    """With the deploy verified the push is allowed; Cursor gets an explicit allow."""
    shop.deploy("api")
    shop.verify("api", "pass")
    out = _agent(shop, "cursor", "pre-tool", _tool_input("cursor", shop.path, "git push origin main"))
    assert out == {"permission": "allow"}


def test_pre_tool_judges_deployed_tags(shop):
    """Pushing a deployed/* tag without a pass is denied."""
    shop.git("tag", "deployed/today")
    reason = _denied("gemini", _agent(shop, "gemini", "pre-tool",
                                      _tool_input("gemini", shop.path, "git push origin deployed/today")))
    assert reason and "tag `deployed/today`" in reason


def test_stop_refuses_a_claim_when_the_config_is_invalid(shop):
    """With a bad deploystate.toml, even a claim that a pass would allow is blocked, naming file, line and key."""
    shop.deploy("api", author=AGENT)
    shop.verify("api", "pass")
    config = (shop.path / "deploystate.toml").read_text()
    shop.change("deploystate.toml", config.replace('platform = "command"', 'platform = "nomad"', 1), "typo")
    out = _agent(shop, "claude", "stop", _stop_input("claude", shop.path, "api is deployed and verified working."))
    assert out is not None and "deploystate.toml:" in json.dumps(out) and "services.api.platform" in json.dumps(out)
