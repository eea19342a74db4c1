"""The commit-msg hook: a message may not say "deployed", "live" or "working in production"
unless the running commit has a passing verification.

The common case (a message that claims nothing) costs a regex over the message:
the state is only read when a claim is found.
"""

from __future__ import annotations

import sys

from deploystate.hooks import claims
from deploystate.hooks.settings import find


def _comment_char(root) -> str:
    """git's core.commentChar (default '#')."""
    from deploystate.state.git.proc import run as run_proc
    try:
        res = run_proc(["git", "config", "core.commentChar"], cwd=root, timeout=5)
    except Exception:  # noqa: BLE001 - git's default is '#'
        return "#"
    value = res.stdout.strip()
    return value if res.ok and len(value) == 1 else "#"


def _maybe_comment(claim: str) -> bool:
    """Could the claim's line be a comment under a custom core.commentChar? Only then is git asked."""
    first = claim[:1]
    return bool(first) and not first.isalnum() and not first.isspace() and first not in "\"'([{*-`"


def _patterns_untrusted(settings, bad: list) -> bool:  # noqa: ANN001
    """The claim patterns cannot be read as configured: TOML broken, wrong type, or a bad regex.
    (Other config problems do not change what this hook decides, so they do not block commits.)"""
    if "commit_msg_patterns" not in settings.text:  # defaults in use; a claim still meets the full check
        return False
    settings.raw()
    value = settings._hooks().get("commit_msg_patterns", [])
    typed = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return bool(bad or settings.error or not typed)


def _full_problem(settings) -> str:  # noqa: ANN001
    from deploystate.state.config.configcheck import problem

    root = settings.root
    return (settings.config_problem() or problem(settings.raw(), settings.text, root / "deploystate.toml")
            or "invalid commit_msg_patterns")


def gates_report_bad_config(bad: str) -> str:
    from deploystate.hooks.gates import Refusal, report

    return report("refusing this commit: deploystate cannot tell whether its message claims a deployment.",
                  [Refusal(f"deploystate.toml is invalid ({bad}).", "fix that key, then commit again.")],
                  "none while the config is invalid (an override is recorded from it); fix the key")


def run(hook: str, args: list[str]) -> int:
    settings = find()
    if not settings.configured:
        return 0
    path = args[0] if args else ".git/COMMIT_EDITMSG"
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as exc:
        print(f"deploystate: cannot read the commit message {path}: {exc}", file=sys.stderr)
        return 1
    patterns, bad = claims.compile_patterns(settings.claim_patterns())
    for b in bad:
        print(f"deploystate: ignoring invalid commit_msg_patterns entry {b}", file=sys.stderr)
    claim = claims.find_claim(claims.strip_commit_message(text), patterns)
    if claim is None:
        bad_config = _full_problem(settings) if _patterns_untrusted(settings, bad) else None
        if bad_config:  # the claim patterns themselves are broken: it cannot tell, so it refuses
            sys.stderr.write(gates_report_bad_config(bad_config))
            return 1
        return 0
    message = claims.strip_commit_message(text)
    if _maybe_comment(claim):  # a line like "; deployed" may be a comment under a custom comment char
        message = claims.strip_commit_message(text, _comment_char(settings.root))
        claim = claims.find_claim(message, patterns)
        if claim is None:
            return 0
    from deploystate.hooks import gates, override, snapshot

    snap = snapshot.take(settings.root_dir)  # an invalid deploystate.toml is an error here: a claim is refused
    if snap.error:
        refusals = [gates.Refusal(f"deploystate could not read its state ({snap.error}).",
                                  "`deploystate state` to see the problem and fix it.")]
    else:
        names = claims.mentioned(message, sorted(set(snap.state["services"]) | set(settings.service_names())))
        refusals = [] if snap.chain_ok else gates.deploy_gate(snap.state, 1 << 30, False, snap.chain_problems)[:1]
        refusals += gates.running_verified(snap.state, names or None)
    if not refusals:
        return 0
    if override.granted(hook, snap, refusals, lambda: ([f"message: {claim}"], None)):
        return 0
    title = (f"refusing this commit message: it says \"{claim}\", but the running code has no passing "
             "verification.")
    from deploystate.hooks.settings import framework_note
    sys.stderr.write(gates.report(title, refusals, 'DEPLOYSTATE_OVERRIDE="<why>" git commit ...   — or reword '
                                  "the message to say what is true (\"committed, not yet deployed\").",
                                  framework_note()))
    return 1
