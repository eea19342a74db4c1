"""Install the agent-client hooks into each client's settings file, merging, never clobbering.

What goes into a **shared** (committed) file must work on every machine: the
command is a short POSIX-sh launcher that runs ``deploystate-hook`` from PATH
(the script deploystate installs) and, when it is missing or breaks,
refuses in the client's own terms (exit 2 with a one-line reason; Cursor's stop
gets a ``followup_message``) instead of exiting 127, which every client treats
as "not blocking". Personal files (``--scope local`` / ``user``) may name this
machine's launcher by absolute path, wrapped the same way.

Ours are recognised by their command, so installing twice changes nothing and
uninstalling removes only ours: every other key, event, matcher group and hook
in the file stays as it was.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from deploystate.state.errors import InputError

from . import agent_rules

LAUNCHER = "deploystate-hook"
MARKS = (f"{LAUNCHER} agent", "-m deploystate.hooks agent")  # the second: what older releases wrote
SCOPES = ("project", "local", "user")

# client -> (settings file per scope (None: the client has no such file), flat layout?,
#            [(event, matcher or None, our event)])
# Claude Code: .claude/settings.json (shared), .claude/settings.local.json (personal, gitignored),
# ~/.claude/settings.json. Codex: <repo>/.codex/hooks.json, ~/.codex/hooks.json. Gemini CLI:
# .gemini/settings.json, ~/.gemini/settings.json. Cursor: .cursor/hooks.json, ~/.cursor/hooks.json.
# Gemini compares a lifecycle matcher with the trigger exactly (===), so SessionStart has no matcher
# (it then runs on startup, resume and clear alike).
CLIENTS: dict[str, tuple[dict[str, str | None], bool, list[tuple[str, str | None, str]]]] = {
    "claude": ({"project": ".claude/settings.json", "local": ".claude/settings.local.json",
                "user": "~/.claude/settings.json"}, False,
               [("SessionStart", "startup|resume|clear|compact", "session-start"),
                ("Stop", None, "stop"), ("PreToolUse", "Bash", "pre-tool")]),
    "codex": ({"project": ".codex/hooks.json", "local": None, "user": "~/.codex/hooks.json"}, False,
              [("SessionStart", "startup|resume|clear", "session-start"),
               ("Stop", None, "stop"), ("PreToolUse", "Bash", "pre-tool")]),
    "gemini": ({"project": ".gemini/settings.json", "local": None, "user": "~/.gemini/settings.json"}, False,
               [("SessionStart", None, "session-start"), ("AfterAgent", None, "stop"),
                ("BeforeTool", "run_shell_command", "pre-tool")]),
    "cursor": ({"project": ".cursor/hooks.json", "local": None, "user": "~/.cursor/hooks.json"}, True,
               [("sessionStart", None, "session-start"), ("stop", None, "stop"),
                ("beforeShellExecution", None, "pre-tool")]),
}
TIMEOUT_SECONDS = 30


def settings_path(top: Path, client: str, scope: str = "project") -> Path:
    """The file ``client`` reads for ``scope``; an InputError when the client has no such file."""
    rel = CLIENTS[client][0].get(scope)
    if rel is None:
        have = ", ".join(s for s, r in CLIENTS[client][0].items() if r)
        raise InputError(f"{client} has no {scope}-scope hooks file", f"use --scope {have.replace(', ', ' or ')}")
    return Path(rel).expanduser() if rel.startswith("~") else top / rel


def launcher_for(scope: str, python: str | None) -> str:
    """What the command runs: the bare name in shared files; this machine's launcher in personal ones."""
    if scope == "project":
        if python:
            raise InputError("--python would write this machine's interpreter into a shared, committed file",
                             "drop --python, or use --scope local (or user) for a personal file")
        return LAUNCHER
    here = Path(python or sys.executable).parent / LAUNCHER
    if here.exists():
        return str(here)
    if python:  # an interpreter without the deploystate-hook script: run the module in isolated mode
        return f"{shlex.quote(python)} -I -m deploystate.hooks"
    return LAUNCHER


_STOP_CONTINUED = ("*'\"stop_hook_active\": true'*|*'\"stop_hook_active\":true'*|"
                   "*'\"loop_count\": '[1-9]*|*'\"loop_count\":'[1-9]*")


def command(client: str, event: str, launcher: str = LAUNCHER) -> str:
    """The POSIX-sh command line for one hook: run the launcher, and refuse in the client's terms when
    it is missing (127), cannot start, or exits with anything but 0 (decided) or 2 (blocked)."""
    exe = launcher if " " in launcher else shlex.quote(launcher)
    probe = shlex.quote(launcher.split(" ", 1)[0])
    # unset: the app's PYTHONPATH must not reach the launcher's interpreter (a shadowing json.py or re.py
    # would break it before deploystate's own code runs)
    if event == "stop":  # its guard below reads the input: the shell keeps a copy and hands it on
        head = (f"in=$(cat); unset PYTHONPATH PYTHONHOME PYTHONSTARTUP; if command -v {probe} >/dev/null 2>&1; then "
                f"printf '%s' \"$in\" | {exe} agent {client} {event}; rc=$?; else rc=127; fi; ")
    else:  # the launcher reads the client's input itself (a copy through the shell costs every call ~3 ms);
        # without a launcher the input is still read, so the client never writes into a closed pipe
        head = (f"unset PYTHONPATH PYTHONHOME PYTHONSTARTUP; if command -v {probe} >/dev/null 2>&1; then "
                f"{exe} agent {client} {event}; rc=$?; else cat >/dev/null; rc=127; fi; ")
    if event == "session-start":  # never blocks: say the state is unknown instead
        warn = ("deploystate is not installed here (or its hook failed), so the deployment state is unknown. "
                "Do not assume anything is deployed, running or verified.")
        out = ({"additional_context": warn} if client == "cursor" else
               {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": warn}})
        return head + f"case $rc in 0) ;; *) printf '%s\\n' {shlex.quote(json.dumps(out))}; rc=0;; esac; exit $rc"
    missing = (f"deploystate: {launcher.split(' ', 1)[0]} is not installed or not on PATH here, so this hook "
               "cannot check anything; refusing until it is (pip install deploystate, then: deploystate hooks "
               f"install --{client} --scope local), or remove the deploystate hooks from this client's settings.")
    broken = "deploystate: the deploystate hook failed (exit $rc), so it cannot check this; refusing. Run: deploystate doctor"
    if event == "stop" and client == "cursor":  # Cursor's stop only listens to followup_message
        refuse_missing = f"printf '%s\\n' {shlex.quote(json.dumps({'followup_message': missing}))}; rc=0"
        refuse_broken = (f"printf '%s\\n' {shlex.quote(json.dumps({'followup_message': broken.replace(' (exit $rc)', '')}))}"
                         "; rc=0")
    else:
        refuse_missing = f"echo {shlex.quote(missing)} >&2; rc=2"
        refuse_broken = f'echo "{broken}" >&2; rc=2'
    # A stop hook that already continued the turn lets the agent stop: never loop it.
    guard = f"case $in in {_STOP_CONTINUED}) exit 0;; esac; " if event == "stop" else ""
    return head + f"case $rc in 0|2) ;; 127) {guard}{refuse_missing};; *) {guard}{refuse_broken};; esac; exit $rc"


def _handler(client: str, cmd: str, event: str) -> dict:
    if client == "cursor":
        # failClosed: a hook that crashes or times out blocks instead of letting the command through
        return {"command": cmd, "timeout": TIMEOUT_SECONDS, **({"failClosed": True} if event == "pre-tool" else {})}
    if client == "gemini":  # Gemini's timeouts are in milliseconds and hooks have names
        return {"name": f"deploystate-{event}", "type": "command", "command": cmd, "timeout": TIMEOUT_SECONDS * 1000,
                "description": "deploystate: deployment state and verification guard"}
    return {"type": "command", "command": cmd, "timeout": TIMEOUT_SECONDS}


def _ours(entry) -> bool:
    return isinstance(entry, dict) and any(mark in str(entry.get("command", "")) for mark in MARKS)


def _load(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); deploystate will not overwrite it",
                         "fix the file (or add the hooks by hand from docs/hooks.md), then install again") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{path} does not hold a JSON object", "fix the file, then install again")
    return doc


def _write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def remove_ours(doc: dict, flat: bool) -> bool:
    """Drop our handlers (and groups/events they alone filled); return True if anything was removed."""
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        return False
    removed = False
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue  # e.g. Gemini's "enabled"/"disabled" keys
        kept = []
        for entry in entries:
            if flat:
                if _ours(entry):
                    removed = True
                    continue
            elif isinstance(entry, dict) and isinstance(entry.get("hooks"), list):
                inner = [h for h in entry["hooks"] if not _ours(h)]
                if len(inner) != len(entry["hooks"]):
                    removed = True
                    if not inner:
                        continue
                    entry = {**entry, "hooks": inner}
            kept.append(entry)
        if len(kept) != len(entries):
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]
        elif kept != entries:
            hooks[event] = kept
    return removed


def merged(doc: dict, client: str, launcher: str = LAUNCHER) -> dict:
    """``doc`` with our hooks for ``client`` (replacing any earlier ones of ours)."""
    _, flat, events = CLIENTS[client]
    doc = json.loads(json.dumps(doc))  # a deep copy: the caller's dict stays as read
    remove_ours(doc, flat)
    if client == "claude":  # the second layer: Claude Code's own deny rules for the plain bypasses
        agent_rules.claude_remove(doc)
        agent_rules.claude_add(doc)
    if flat:
        doc.setdefault("version", 1)
    hooks = doc.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InputError(f"'hooks' in the {client} settings is not an object", "fix the file, then install again")
    for event, matcher, ours in events:
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise InputError(f"hooks.{event} in the {client} settings is not a list", "fix it, then install again")
        handler = _handler(client, command(client, ours, launcher), ours)
        if flat:
            entries.append(handler)
        else:
            group: dict = {"matcher": matcher} if matcher else {}
            group["hooks"] = [handler]
            entries.append(group)
    return doc


def install(top: Path, client: str, python: str | None = None, scope: str = "project") -> str:
    path = settings_path(top, client, scope)
    launcher = launcher_for(scope, python)
    doc = _load(path)
    new = merged(doc, client, launcher)
    rules = agent_rules.codex_install(path) if client == "codex" else False
    if new == doc and not rules:
        return f"{client}: already installed ({path})"
    if new != doc:
        _write(path, new)
    extra = f"; deny rules in {agent_rules.codex_path(path)}" if client == "codex" else \
        "; deny rules in permissions.deny" if client == "claude" else ""
    return f"{client}: installed ({path}{extra})"


def uninstall(top: Path, client: str, scope: str = "project") -> str:
    path = settings_path(top, client, scope)
    flat = CLIENTS[client][1]
    doc = _load(path)
    rules = agent_rules.codex_uninstall(path) if client == "codex" else False
    hooks_removed = remove_ours(doc, flat)
    denies_removed = agent_rules.claude_remove(doc) if client == "claude" else False
    if not (hooks_removed or denies_removed):
        return f"{client}: removed its deny rules ({agent_rules.codex_path(path)})" if rules else \
            f"{client}: not installed ({path})"
    if doc.get("hooks") == {}:
        del doc["hooks"]  # we emptied it: leave the file as it was before we installed
    leftover = {k: v for k, v in doc.items() if not (k == "version" and flat)}
    if leftover in ({}, {"hooks": {}}):
        path.unlink()  # the file held nothing but ours
        try:
            path.parent.rmdir()
        except OSError:
            pass  # the directory holds other files
        return f"{client}: removed ({path} held only deploystate's hooks)"
    _write(path, doc)
    return f"{client}: removed deploystate's hooks from {path}"


def status(top: Path, client: str, scope: str = "project") -> str:
    try:
        path = settings_path(top, client, scope)
        doc = _load(path)
    except InputError as exc:
        return f"unreadable: {exc.message}"
    probe = json.loads(json.dumps(doc))
    return "installed" if remove_ours(probe, CLIENTS[client][1]) else "not installed"
