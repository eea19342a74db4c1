"""JSON in and out for each agent client (pure except for reading a transcript tail).

Claude Code, Codex, Cursor and Gemini CLI share one idea (JSON on stdin, a
decision as JSON on stdout, exit 0) with different field names; everything
client-specific lives here, per each client's published hook reference:

| event        | Claude Code / Codex            | Gemini CLI                   | Cursor                       |
|--------------|--------------------------------|------------------------------|------------------------------|
| session start| SessionStart: hookSpecificOutput.additionalContext | SessionStart: same | sessionStart: additional_context |
| stop         | Stop: decision "block" + reason | AfterAgent: decision "deny" + reason | stop: followup_message |
| shell command| PreToolUse (Bash): hookSpecificOutput.permissionDecision "deny" + permissionDecisionReason | BeforeTool (run_shell_command): decision "deny" + reason | beforeShellExecution: permission "deny" + user_message/agent_message |

"Already continuing because of a stop hook" is ``stop_hook_active`` everywhere
except Cursor, whose stop input counts automatic follow-ups in ``loop_count``.
"""

from __future__ import annotations

import os

from deploystate.jsonlite import loads  # json.loads without importing json (~6M instructions a hook)

CLIENTS = ("claude", "codex", "cursor", "gemini")
EVENTS = ("session-start", "stop", "pre-tool")
# The name each client goes by in ledger records (state.author uses the same names).
CLIENT_NAMES = {"claude": "claude-code", "codex": "codex", "cursor": "cursor", "gemini": "gemini-cli"}
SHELL_TOOLS = {"Bash", "Shell", "run_shell_command", "shell", "local_shell", "exec_command"}
TRANSCRIPT_TAIL = 512 * 1024


class AgentInput:
    """The fields the hooks need, whatever the client called them."""

    def __init__(self, client: str, raw: dict) -> None:
        self.client, self.raw = client, raw
        roots = raw.get("workspace_roots") or []
        self.cwd = (raw.get("cwd") or (roots[0] if roots else None) or os.environ.get("CLAUDE_PROJECT_DIR")
                    or os.environ.get("GEMINI_PROJECT_DIR") or os.getcwd())
        self.session_id = str(raw.get("session_id") or raw.get("conversation_id") or "") or None
        tool_input = raw.get("tool_input")
        if isinstance(tool_input, str):  # Cursor passes MCP tool input as a JSON string
            try:
                tool_input = loads(tool_input)
            except ValueError:
                tool_input = {}
        tool_input = tool_input if isinstance(tool_input, dict) else {}
        self.tool_name = raw.get("tool_name")
        command = raw.get("command") if client == "cursor" else None
        if command is None and (self.tool_name in SHELL_TOOLS or self.tool_name is None):
            command = tool_input.get("command")
        if isinstance(command, list):  # some clients pass argv
            command = " ".join(str(c) for c in command)
        self.command = command if isinstance(command, str) else None
        self.stop_active = bool(raw.get("stop_hook_active")) or int(raw.get("loop_count") or 0) > 0
        self.transcript_path = raw.get("transcript_path")
        message = raw.get("last_assistant_message")
        if message is None:
            message = raw.get("prompt_response")  # Gemini's AfterAgent
        self._last_message = message if isinstance(message, str) else None

    def last_message(self) -> str:
        """The agent's last message: from the input when the client sends it, else the transcript."""
        if self._last_message is not None:
            return self._last_message
        if isinstance(self.transcript_path, str) and self.transcript_path:
            return last_message_from_transcript(self.transcript_path)
        return ""


def parse(client: str, text: str) -> AgentInput:
    try:
        raw = loads(text) if text.strip() else {}
    except ValueError:
        raw = {}
    return AgentInput(client, raw if isinstance(raw, dict) else {})


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content
                         if isinstance(part, dict) and part.get("type") in ("text", "output_text", None)
                         and isinstance(part.get("text"), str))
    return ""


def last_message_from_transcript(path: str) -> str:
    """The last assistant text in a JSON Lines transcript (Claude Code's layout, tolerant of others)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TRANSCRIPT_TAIL))
            lines = fh.read().splitlines()
    except OSError:
        return ""
    for raw in reversed(lines):
        try:
            entry = loads(raw)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        message = entry.get("message") if isinstance(entry.get("message"), dict) else entry
        role = message.get("role") or entry.get("type") or entry.get("role")
        if role == "assistant":
            text = _text_of(message.get("content"))
            if text.strip():
                return text
    return ""


def render_output(client: str, event: str, decision: str, text: str) -> str:
    """stdout for ``decision`` ('context', 'block', 'allow'); '' means: print nothing."""
    if event == "pre-tool" and decision != "block":
        # Codex rejects permissionDecision "allow" without updatedInput: allowing is saying nothing.
        # (json.dumps({"permission": "allow"}) for Cursor, written out: an allowed command imports no json)
        return '{"permission": "allow"}' if client == "cursor" else "{}" if client == "gemini" else ""
    from deploystate import jsonlite as json  # json.dumps without importing json (and re)

    if event == "session-start":
        if client == "cursor":
            return json.dumps({"additional_context": text})
        return json.dumps({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}})
    if event == "stop":
        if decision != "block":
            return "{}" if client in ("cursor", "gemini") else ""
        if client == "cursor":
            return json.dumps({"followup_message": text})
        if client == "gemini":
            return json.dumps({"decision": "deny", "reason": text})
        return json.dumps({"decision": "block", "reason": text})
    # pre-tool, blocked
    if client == "cursor":
        return json.dumps({"permission": "deny", "user_message": text, "agent_message": text})
    if client == "gemini":
        return json.dumps({"decision": "deny", "reason": text})
    return json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                              "permissionDecisionReason": text}})
