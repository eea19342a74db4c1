"""The one way past a refusing hook: DEPLOYSTATE_OVERRIDE="reason", always recorded.

An override that leaves no trace is how a guardrail rots, so using it appends
an ``override`` record (who, reason, refs, hook) to the ledger and re-renders
DEPLOYMENT_STATE.md, where the next person and the next agent will see it.
"""

from __future__ import annotations

import os
import sys

ENV = "DEPLOYSTATE_OVERRIDE"
MIN_REASON = 8
_NOT_REASONS = {"1", "y", "yes", "true", "force", "override", "skip", "ok"}


def requested() -> str | None:
    """The override reason from the environment, or None when no override was asked for."""
    value = os.environ.get(ENV)
    return value.strip() if value and value.strip() else None


def problem(reason: str) -> str | None:
    """Why ``reason`` is not accepted as a reason, or None when it is."""
    if reason.lower() in _NOT_REASONS or len(reason) < MIN_REASON:
        return (f"{ENV}={reason!r} is not a reason. Say why this cannot wait, in a few words, for example: "
                f'{ENV}="hotfix for the outage; verifying right after" — it is recorded and shown to everyone.')
    return None


def record(project, hook: str, reason: str, refs: list[str], refused: list[str], commit: str | None) -> dict:
    """Append the override record (and re-render the state file); return the record."""
    from deploystate.state.git.author import current_author
    from deploystate.state.ledger.store import record as store_record

    author = current_author()
    payload = {"reason": reason[:500], "refs": refs[:20], "hook": hook, "who": author.get("name"),
               "refused": [r[:300] for r in refused[:10]]}
    return store_record(project, "override", payload, commit=commit, author=author)


def announce(rec: dict, refused: list[str]) -> None:
    print(f"deploystate: OVERRIDE recorded as {rec['id']} by {rec['payload'].get('who')}: "
          f"{rec['payload'].get('reason')}", file=sys.stderr)
    for line in refused:
        print(f"  overridden: {line}", file=sys.stderr)
    print("  It is in the ledger and in DEPLOYMENT_STATE.md under 'Overrides'.", file=sys.stderr)


def granted(hook: str, snap, refused: list, details) -> bool:  # noqa: ANN001
    """Whether a DEPLOYSTATE_OVERRIDE lets a refusing git hook pass: with an unreadable state through the
    broken-hook path, otherwise recorded and announced. A reason that is no reason is said and refused.
    ``details()`` gives (refs, commit) for the record, asked only when the override is taken."""
    reason = requested()
    if reason and snap.project is None and problem(reason) is None:
        from deploystate.hooks.__main__ import override_when_broken  # the state is unreadable: the override still works
        if override_when_broken(hook, snap.error or "unreadable state"):
            return True
    if reason and snap.project is not None:
        bad = problem(reason)
        if bad is None:
            refs, commit = details()
            rec = record(snap.project, hook, reason, refs, [r.line() for r in refused], commit=commit)
            announce(rec, [r.what for r in refused])
            return True
        print(f"deploystate: {bad}", file=sys.stderr)
    return False
