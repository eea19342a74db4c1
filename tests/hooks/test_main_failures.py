"""hooks/__main__.py when the hook below it breaks: every blocking hook refuses, the others step aside, and
an override still works, is refused when it is no reason, and is loud when it cannot be recorded.

The hook module is replaced in sys.modules by one whose run() raises, and main() is called in this process
(its isolate() edits sys.path, so the test gives it a copy)."""

from __future__ import annotations

import io
import json
import sys
import types

import pytest

from deploystate.hooks import __main__ as entry

AGENTS = "deploystate.hooks.agents.agents"
GITPUSH = "deploystate.hooks.git.gitpush"


def _broken(monkeypatch, module: str, error: BaseException) -> None:
    fake = types.ModuleType(module)

    def run(hook, args):
        raise error

    fake.run = run
    monkeypatch.setitem(sys.modules, module, fake)


@pytest.fixture(autouse=True)
def _own_path(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)


def _main(monkeypatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return entry.main(argv)


@pytest.mark.parametrize("client,key", [("claude", None), ("cursor", "additional_context")])
def test_a_broken_session_start_warns_that_the_state_is_unknown(monkeypatch, capsys, client, key):
    """A session-start hook that crashes does not block the session; it tells the agent the state is
    unknown and to run doctor, in the client's own field."""
    _broken(monkeypatch, AGENTS, RuntimeError("disk on fire"))
    assert _main(monkeypatch, ["agent", client, "session-start"], "{}") == 0
    out = json.loads(capsys.readouterr().out)
    text = out[key] if key else out["hookSpecificOutput"]["additionalContext"]
    assert text.startswith("deploystate: the session-start hook failed (RuntimeError: disk on fire), so the "
                           "deployment state is unknown.") and "deploystate doctor" in text
    assert key or out["hookSpecificOutput"]["hookEventName"] == "SessionStart"


def test_a_broken_cursor_stop_asks_for_a_followup(monkeypatch, capsys):
    """Cursor's stop reads only a follow-up message: a crashing stop hook sends the refusal there."""
    _broken(monkeypatch, AGENTS, RuntimeError("boom"))
    assert _main(monkeypatch, ["agent", "cursor", "stop"], "{}") == 0
    message = json.loads(capsys.readouterr().out)["followup_message"]
    assert message.startswith("deploystate: the stop hook failed (RuntimeError: boom), so it cannot tell")
    assert "`deploystate hooks install --cursor`" in message


@pytest.mark.parametrize("payload", ['{"loop_count": "many"}', "not json", '["a list"]'])
def test_a_stop_whose_input_cannot_be_read_blocks(monkeypatch, capsys, payload):
    """When the stop input cannot tell whether the agent already continued once, a broken stop hook blocks
    (exit 2) rather than let "done" through."""
    _broken(monkeypatch, AGENTS, RuntimeError("boom"))
    assert _main(monkeypatch, ["agent", "claude", "stop"], payload) == 2
    assert "the stop hook failed (RuntimeError: boom)" in capsys.readouterr().err


def test_a_stop_after_a_continued_loop_lets_the_agent_stop(monkeypatch):
    """A loop count above zero says a stop hook already continued this turn: no second block."""
    _broken(monkeypatch, AGENTS, RuntimeError("boom"))
    assert _main(monkeypatch, ["agent", "cursor", "stop"], '{"loop_count": 1}') == 0


def test_an_interrupted_pre_tool_hook_refuses(monkeypatch, capsys):
    """Ctrl-C (or the client's timeout signal) in a pre-tool hook blocks the command, saying it was
    interrupted; an interrupted git hook exits 130, which git reads as a refusal."""
    _broken(monkeypatch, AGENTS, KeyboardInterrupt())
    assert _main(monkeypatch, ["agent", "claude", "pre-tool"], "{}") == 2
    assert "the pre-tool hook failed (interrupted)" in capsys.readouterr().err
    _broken(monkeypatch, GITPUSH, KeyboardInterrupt())
    assert _main(monkeypatch, ["pre-push", "origin", "url"]) == 130
    assert _main(monkeypatch, ["agent", "claude", "session-start"], "{}") == 130


def test_a_broken_post_commit_hook_never_gets_in_the_way(monkeypatch, capsys):
    """post-commit cannot block anything: its failure is said on stderr and the commit stands (exit 0)."""
    _broken(monkeypatch, "deploystate.hooks.git.postcommit", ValueError("bad\n  record"))
    assert _main(monkeypatch, ["post-commit"]) == 0
    assert capsys.readouterr().err == "deploystate: the post-commit hook failed (ValueError: bad record)\n"


@pytest.mark.parametrize("argv", [[], ["pre-rebase"]])
def test_an_unknown_hook_is_a_usage_error(monkeypatch, capsys, argv):
    """No hook name, or one deploystate does not have: exit 2 with the usage."""
    assert _main(monkeypatch, argv) == 2
    assert capsys.readouterr().err.startswith("usage: python -m deploystate.hooks {pre-push|")


@pytest.mark.parametrize("reason", ["yes", "skip", "short"])
def test_an_override_that_is_no_reason_does_not_pass_a_broken_hook(monkeypatch, capsys, reason):
    """DEPLOYSTATE_OVERRIDE=yes (or any non-reason) past a broken pre-push is refused, saying why."""
    _broken(monkeypatch, GITPUSH, RuntimeError("boom"))
    monkeypatch.setenv("DEPLOYSTATE_OVERRIDE", reason)
    assert _main(monkeypatch, ["pre-push", "origin", "url"]) == 1
    err = capsys.readouterr().err
    assert f"deploystate: DEPLOYSTATE_OVERRIDE={reason!r} is not a reason." in err and "refusing" in err


def test_an_override_is_judged_even_when_the_override_module_is_broken(monkeypatch, capsys):
    """With the override module itself unimportable, its rule (8 characters at least) still applies."""
    _broken(monkeypatch, GITPUSH, RuntimeError("boom"))
    import deploystate.hooks

    monkeypatch.setitem(sys.modules, "deploystate.hooks.override", None)
    monkeypatch.delattr(deploystate.hooks, "override", raising=False)
    monkeypatch.setenv("DEPLOYSTATE_OVERRIDE", "short")
    assert _main(monkeypatch, ["pre-push", "origin", "url"]) == 1
    assert "deploystate: too short" in capsys.readouterr().err


def test_an_override_that_cannot_be_recorded_still_passes_loudly(monkeypatch, capsys, tmp_path):
    """Outside any project the override cannot be written to a ledger: it is honoured, and stderr says it
    was NOT recorded and how to record it by hand."""
    _broken(monkeypatch, GITPUSH, RuntimeError("boom"))
    monkeypatch.setenv("DEPLOYSTATE_OVERRIDE", "outage hotfix, verifying after")
    monkeypatch.setenv("DEPLOYSTATE_ROOT", str(tmp_path / "nowhere"))
    assert _main(monkeypatch, ["pre-push", "origin", "url"]) == 0
    err = capsys.readouterr().err
    assert ("deploystate: OVERRIDE ('outage hotfix, verifying after') past a failed pre-push hook "
            "(RuntimeError: boom); it could NOT be recorded") in err and "Record it by hand" in err


def test_an_unreadable_stdin_is_read_as_empty_input(monkeypatch, capsys):
    """A client whose stdin cannot be read still gets a decision: the broken pre-tool hook refuses."""
    _broken(monkeypatch, AGENTS, RuntimeError("boom"))

    class Closed(io.StringIO):
        def read(self, *args):
            raise ValueError("I/O operation on closed file")

    monkeypatch.setattr(sys, "stdin", Closed())
    assert entry.main(["agent", "claude", "pre-tool"]) == 2
    assert "the pre-tool hook failed (RuntimeError: boom)" in capsys.readouterr().err


def test_a_hook_started_in_a_deleted_directory_still_isolates_its_path(tmp_path, monkeypatch):
    """When the working directory is gone, only the PYTHONPATH entries are dropped from the import path."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    path = ["/usr/lib/python3", str(tmp_path / "app"), ""]
    assert entry.isolate(path, pythonpath=str(tmp_path / "app")) == ["/usr/lib/python3"]
