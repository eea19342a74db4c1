"""The second layer: the clients' own permission rules that refuse the plain hook bypasses.

The pre-tool hook is the guard (it reads nested shells, variables, abbreviations and the state); these
rules are written beside it by ``hooks install`` so that the plainest bypasses are refused by the client
itself even where the hook cannot run or was removed from the settings. They are prefix rules, so they
only catch the literal shapes (``git push --no-verify ...``); anything cleverer is the hook's job. A
rule never matches free text such as a commit message, so no ordinary command is refused by them.

- Claude Code: ``permissions.deny`` in the same settings file as the hooks (deny wins over every
  allow rule and every permission mode);
- Codex: a ``.rules`` file of ``prefix_rule(..., decision = "forbidden")`` in the layer's ``rules/``
  directory (``.codex/rules/`` loads once the project is trusted; ``~/.codex/rules/`` for the user),
  with ``match``/``not_match`` examples Codex checks when it loads the file.

Gemini CLI's policy files and Cursor have no equivalent written here (see docs/hooks.md).
"""

from __future__ import annotations

import json
from pathlib import Path

# Claude Code rule syntax: Bash(<command pattern>), `*` any run of characters, a trailing ` *` optional.
CLAUDE_DENY = (
    "Bash(git push --no-verify *)",
    "Bash(git push * --no-verify)",
    "Bash(git push * --no-verify *)",
    "Bash(git commit --no-verify *)",
    "Bash(git commit -n *)",
    "Bash(git merge --no-verify *)",
    "Bash(git -c core.hooksPath*)",
    "Bash(git config core.hooksPath *)",
    "Bash(git send-pack *)",
    "Bash(git http-push *)",
    "Bash(deploystate hooks uninstall *)",
)

CODEX_FILE = "deploystate.rules"
CODEX_MARK = "# deploystate: installed by `deploystate hooks install --codex`"
WHY = ("deploystate: this skips the git hooks that keep an unverified or failed deploy from being built on. "
       "Run the plain git command; if a hook refuses, fix what it names or override on the record "
       "(DEPLOYSTATE_OVERRIDE=\"<why>\" git ...).")
# (pattern tokens, examples that must match, examples that must not): Codex validates both on load.
CODEX_RULES = (
    (["git", ["push", "commit", "merge", "pull"], "--no-verify"],
     ["git push --no-verify origin main", "git commit --no-verify -m wip"], ["git push origin main"]),
    (["git", "commit", "-n"], ["git commit -n -m wip"], ["git commit -m wip"]),
    (["git", ["send-pack", "http-push"]], ["git send-pack origin refs/heads/main"], ["git status"]),
    (["deploystate", "hooks", "uninstall"], ["deploystate hooks uninstall --all"], ["deploystate hooks status"]),
)


def claude_add(doc: dict) -> None:
    """Add our deny rules to a Claude Code settings document (in place), keeping every other rule."""
    perms = doc.get("permissions")
    if perms is None:
        perms = doc["permissions"] = {}
    if not isinstance(perms, dict) or not isinstance(perms.get("deny", []), list):
        from deploystate.state.errors import InputError
        raise InputError("'permissions' (or permissions.deny) in the Claude Code settings has the wrong type",
                         "fix the file, then install again")
    deny = perms.setdefault("deny", [])
    deny += [rule for rule in CLAUDE_DENY if rule not in deny]


def claude_remove(doc: dict) -> bool:
    """Drop our deny rules (and the keys they alone filled); True if any was there."""
    perms = doc.get("permissions")
    if not isinstance(perms, dict) or not isinstance(perms.get("deny"), list):
        return False
    kept = [rule for rule in perms["deny"] if rule not in CLAUDE_DENY]
    if len(kept) == len(perms["deny"]):
        return False
    if kept:
        perms["deny"] = kept
    else:
        del perms["deny"]
        if not perms:
            del doc["permissions"]
    return True


def codex_text() -> str:
    """The Starlark rules file (Codex's execpolicy language)."""
    out = [CODEX_MARK, "# `deploystate hooks uninstall --codex` removes it. The pre-tool hook is the full check;",
           "# these refuse the plain shapes even where the hook cannot run.", ""]
    for pattern, good, bad in CODEX_RULES:
        out += ["prefix_rule(", f"    pattern = {json.dumps(pattern)},", '    decision = "forbidden",',
                f"    justification = {json.dumps(WHY)},", f"    match = {json.dumps(good)},",
                f"    not_match = {json.dumps(bad)},", ")", ""]
    return "\n".join(out)


def codex_path(hooks_file: Path) -> Path:
    """The rules file beside a Codex config layer (the directory holding hooks.json)."""
    return hooks_file.parent / "rules" / CODEX_FILE


def codex_install(hooks_file: Path) -> bool:
    """Write (or refresh) our rules file; True when it changed."""
    path = codex_path(hooks_file)
    text = codex_text()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    if path.exists() and CODEX_MARK not in path.read_text(encoding="utf-8"):
        from deploystate.state.errors import InputError
        raise InputError(f"{path} exists and is not deploystate's", "move it away, then install again")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def codex_uninstall(hooks_file: Path) -> bool:
    path = codex_path(hooks_file)
    try:
        if CODEX_MARK not in path.read_text(encoding="utf-8"):
            return False
    except OSError:
        return False
    path.unlink()
    try:
        path.parent.rmdir()
    except OSError:
        pass  # other rules files live there
    return True
