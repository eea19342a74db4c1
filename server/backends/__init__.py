"""Ledger backends beyond the local files: the git ref (state.sync_git) and S3 (backends.s3)."""

from __future__ import annotations

from deploystate.state.errors import DeploystateError
from deploystate.state.ledger.ids import parse_duration
from deploystate.state.config.project import Project


def sync_before_deciding(project: Project, remote: str = "origin") -> str | None:
    """With ``[project.hooks] sync_before = true``, bring in the team's records before a decision
    (mark-deployed, restart). Returns what happened, worded for the user; never raises: offline is
    said, and the decision then uses the local ledger."""
    from deploystate.state.tamper import integrity

    hooks = project.settings.get("hooks") or {}
    hooks = hooks if isinstance(hooks, dict) else {}
    first = integrity.team_ledger(project) and integrity.never_synced(project)  # a fresh clone restores first
    if hooks.get("sync_before") is not True and not first:
        return None
    try:
        timeout = parse_duration(hooks.get("sync_timeout", 5.0))
    except (TypeError, ValueError):
        timeout = 5.0
    backend = project.settings.get("backend")
    try:
        if isinstance(backend, str) and backend.startswith("s3://"):
            from .s3 import S3Ledger

            res = S3Ledger(backend, timeout=timeout).sync(project.ledger)
            return f"synced with {backend}: {res.pulled} records in, {res.pushed} out"
        from deploystate.state.git.sync_git import sync

        return sync(project.root, project.ledger, remote, timeout=timeout, retries=2).message
    except DeploystateError as exc:
        return f"offline: using local state ({exc.message})"
    except Exception as exc:  # noqa: BLE001 - a sync failure must never block the decision itself
        return f"offline: using local state ({type(exc).__name__}: {exc})"


def check_remote(project: Project, remote: str = "origin", timeout: float = 10.0) -> str:
    """Compare this copy with the team ledger's remote anchor without merging (doctor). What it finds
    is kept in the local anchor (``remote_anchor``), where every decision reads it; returns what the
    contact said, worded for the user (offline is said, never raised)."""
    backend = project.settings.get("backend")
    try:
        if isinstance(backend, str) and backend.startswith("s3://"):
            from . import s3_anchor
            from .s3 import S3Ledger

            return s3_anchor.check(S3Ledger(backend, timeout=timeout), project.ledger)
        from deploystate.state.git.sync_git import check_remote as git_check

        return git_check(project.root, project.ledger, remote, timeout=timeout).message
    except DeploystateError as exc:
        return f"offline: the remote anchor could not be read ({exc.message})"
    except Exception as exc:  # noqa: BLE001 - doctor reports; it must not crash on a backend's failure
        return f"offline: the remote anchor could not be read ({type(exc).__name__}: {exc})"
