"""The ``worktree`` revision source: code bind-mounted from this checkout runs from the working tree.

No image label can say which commit such a container runs: its mounted files are whatever the
checkout holds. The running revision is therefore HEAD, but only when that is true:

- none of the service's files has uncommitted changes (a bind mount serves them, no commit has
  them: the revision is unknown, verify is inconclusive, nothing is marked deployed);
- no file baked into the image (the service's paths outside ``mounted``) changed in a commit made
  after the container was created (the image holds older code: recreate it);
- with ``reloads = false`` (the process does not pick up changed files itself), no mounted file
  changed in a commit made after the container started (the process still runs the old files:
  restart it).

Times are whole seconds and a commit in the same second as the container's start counts as later,
so a tie is never read as "running". Committer dates come from the agent's own commits; a
backdated commit is a deliberate lie this source cannot see through (the image label sources can).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from deploystate.state.git import gitinfo
from deploystate.state.config.config import Revision
from deploystate.state.errors import DeploystateError
from deploystate.state.config.mapping import matches

from .revision import RevisionReading, describe

MAX_LISTED = 5


def _listed(files: list[str]) -> str:
    return ", ".join(files[:MAX_LISTED]) + (f" and {len(files) - MAX_LISTED} more" if len(files) > MAX_LISTED else "")


def _seconds(stamp: Any) -> int | None:
    """Docker's ``2026-12-01T21:10:26.123456789Z`` as whole epoch seconds (None when unreadable/zero)."""
    if not isinstance(stamp, str) or len(stamp) < 19 or stamp.startswith("0001-"):
        return None
    try:
        return int(datetime.fromisoformat(stamp[:19]).replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def _in(path: str, globs: list[str]) -> bool:
    return any(matches(g, path) for g in globs)


def worktree_reading(cfg: Revision, root: Path, paths: list[str], created: Any, started: Any) -> RevisionReading:
    """The revision of one container whose code is bind-mounted from ``root`` (see the module doc)."""
    source = describe(cfg)
    mounted = list(cfg.mounted) or list(paths)
    if not paths:
        return RevisionReading(None, source, "the service has no paths: nothing says which files it runs")
    try:
        head = gitinfo.head(root)
        dirty = sorted(f for f in gitinfo.uncommitted(root) if _in(f, paths))
        born, began = _seconds(created), _seconds(started)
        if head is None:
            return RevisionReading(None, source, f"{root} has no commit checked out")
        if dirty:
            return RevisionReading(None, source, f"uncommitted changes in the service's files ({_listed(dirty)}): "
                                                 "the container runs code no commit has; commit or stash them")
        if born is None or began is None:
            return RevisionReading(None, source, "the container's creation/start time is unknown")
        baked = [(sha, f) for sha, _, files in gitinfo.commits_since(root, born)
                 for f in files if _in(f, paths) and not _in(f, mounted)]
        if baked:
            return RevisionReading(None, source, f"{_listed([f for _, f in baked])} (baked into the image, not "
                                                 f"mounted) changed in commit {baked[0][0][:12]} after the "
                                                 "container was created: recreate it")
        if not cfg.reloads:
            stale = [(sha, f) for sha, _, files in gitinfo.commits_since(root, began)
                     for f in files if _in(f, mounted)]
            if stale:
                return RevisionReading(None, source, f"{_listed([f for _, f in stale])} changed in commit "
                                                     f"{stale[0][0][:12]} after the process started and it does not "
                                                     "reload by itself (reloads = false): restart it")
    except DeploystateError as exc:          # git failed or timed out: unknown, never HEAD
        return RevisionReading(None, source, f"cannot read the checkout: {exc.message}")
    return RevisionReading(head, source)


def reader(cfg: Revision, root: Path, paths: list[str]) -> Callable[[dict[str, Any]], RevisionReading] | None:
    """For ``readings_for``: a per-container reading when the service's source is ``worktree``, else None."""
    if cfg.source != "worktree":
        return None
    return lambda attrs: worktree_reading(cfg, root, paths, attrs.get("Created"),
                                          (attrs.get("State") or {}).get("StartedAt"))
