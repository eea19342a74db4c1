"""Install the agent-client hooks into each client's project settings, merging, never clobbering.

Ours are recognised by their command (``-m deploystate.hooks agent``), so
installing twice changes nothing and uninstalling removes only ours: every
other key, event, matcher group and hook in the file stays as it was.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from deploystate.state.errors import InputError

MARK = "-m deploystate.hooks agent"

# client -> (settings file, flat layout?, [(event, matcher or None, our event)])
CLIENTS: dict[str, tuple[str, bool, list[tuple[str, str | None, str]]]] = {
    "claude": (".claude/settings.json", False, [("SessionStart", "startup|resume|clear|compact", "session-start"),
                                                ("Stop", None, "stop"), ("PreToolUse", "Bash", "pre-tool")]),
    "codex": (".codex/hooks.json", False, [("SessionStart", "startup|resume|clear", "session-start"),
                                           ("Stop", None, "stop"), ("PreToolUse", "Bash", "pre-tool")]),
    "gemini": (".gemini/settings.json", False, [("SessionStart", "startup|resume|clear", "session-start"),
                                                ("AfterAgent", None, "stop"),
                                                ("BeforeTool", "run_shell_command", "pre-tool")]),
    "cursor": (".cursor/hooks.json", True, [("sessionStart", None, "session-start"), ("stop", None, "stop"),
                                            ("beforeShellExecution", None, "pre-tool")]),
}
TIMEOUT_SECONDS = 30


def command(python: str, client: str, event: str) -> str:
    return f"{shlex.quote(python)} {MARK} {client} {event}"


def _handler(client: str, cmd: str, event: str) -> dict:
    if client == "cursor":
        return {"command": cmd}
    if client == "gemini":  # Gemini's timeouts are in milliseconds and hooks have names
        return {"name": f"deploystate-{event}", "type": "command", "command": cmd, "timeout": TIMEOUT_SECONDS * 1000,
                "description": "deploystate: deployment state and verification guard"}
    return {"type": "command", "command": cmd, "timeout": TIMEOUT_SECONDS}


def _ours(entry) -> bool:
    return isinstance(entry, dict) and MARK in str(entry.get("command", ""))


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


def merged(doc: dict, client: str, python: str) -> dict:
    """``doc`` with our hooks for ``client`` (replacing any earlier ones of ours)."""
    _, flat, events = CLIENTS[client]
    doc = json.loads(json.dumps(doc))  # a deep copy: the caller's dict stays as read
    remove_ours(doc, flat)
    if flat:
        doc.setdefault("version", 1)
    hooks = doc.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InputError(f"'hooks' in the {client} settings is not an object", "fix the file, then install again")
    for event, matcher, ours in events:
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise InputError(f"hooks.{event} in the {client} settings is not a list", "fix it, then install again")
        handler = _handler(client, command(python, client, ours), ours)
        if flat:
            entries.append(handler)
        else:
            group: dict = {"matcher": matcher} if matcher else {}
            group["hooks"] = [handler]
            entries.append(group)
    return doc


def install(top: Path, client: str, python: str | None = None) -> str:
    rel, _, _ = CLIENTS[client]
    path = top / rel
    doc = _load(path)
    new = merged(doc, client, python or sys.executable)
    if new == doc:
        return f"{client}: already installed ({path})"
    _write(path, new)
    return f"{client}: installed ({path})"


def uninstall(top: Path, client: str) -> str:
    rel, flat, _ = CLIENTS[client]
    path = top / rel
    doc = _load(path)
    if not remove_ours(doc, flat):
        return f"{client}: not installed ({path})"
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


def status(top: Path, client: str) -> str:
    rel, flat, _ = CLIENTS[client]
    try:
        doc = _load(top / rel)
    except InputError as exc:
        return f"unreadable: {exc.message}"
    probe = json.loads(json.dumps(doc))
    return "installed" if remove_ours(probe, flat) else "not installed"
