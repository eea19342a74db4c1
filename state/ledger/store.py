"""Record something and keep the projection and DEPLOYMENT_STATE.md in step (standard library only)."""

from __future__ import annotations

import sys
import _thread  # threading.RLock is _thread's; the threading module costs a process ~4M instructions
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Callable

from deploystate.state.tamper import anchor
from deploystate.state.view import cache
from deploystate.state.git import gitinfo
from deploystate.state.errors import DeploystateError
from deploystate.state.config.project import Project
from deploystate.state.view.render import render, write_atomic
from deploystate.state.view.view import Base, build_base, with_observed

# Kinds that never change the state file's status line or a service's row (attempts, notes, sessions):
# a process that stays up (the MCP server) may render the derived files for them after its reply.
DEFERRABLE = frozenset({"attempt", "note", "session_start", "session_end"})
_later: Callable[[Project], None] | None = None
_RENDER = _thread.RLock()  # one render at a time in a process: an older view never overwrites a newer one


def render_later(schedule: Callable[[Project], None] | None) -> None:
    """Install (or remove, with None) the server's deferral: ``schedule(project)`` must refresh the
    derived files after the reply and before the process exits (``server.mcp.derived``)."""
    global _later
    _later = schedule


def record(project: Project, kind: str, payload: dict[str, Any], *, commit: str | None = None,
           author: dict[str, Any] | None = None, refresh: bool = True) -> dict:
    """Append one record (redacted), update the cache, re-render the state file; return the record.

    The record is durable before anything is rendered: a rendering problem is
    reported on stderr and never loses it."""
    from deploystate.state.git.author import current_author  # a write's: a read never needs it

    head = gitinfo.head(project.root)  # once: the record's commit and the state file's HEAD
    rec = project.ledger.append(kind, payload, author=author or current_author(),
                                commit=commit if commit is not None else head)
    _first_write(project)
    if refresh:
        if _later is not None and kind in DEFERRABLE:
            _later(project)
        else:
            refresh_derived(project, rec["id"], head)
    return rec


def record_many(project: Project, items: list[dict[str, Any]], *, refresh: bool = True) -> list[dict]:
    """``record`` for many: items {kind, payload, author?, commit?} appended (each redacted) under one
    lock and one fsync, acknowledged together; the cache and state file refreshed once at the end."""
    from deploystate.state.git.author import current_author

    head = gitinfo.head(project.root)
    who = None
    batch = []
    for item in items:
        author = item.get("author")
        if not author:
            who = who or current_author()
            author = who
        batch.append({**item, "author": author, "commit": item["commit"] if item.get("commit") is not None else head})
    recs = project.ledger.append_many(batch)
    _first_write(project)
    if refresh and recs:
        refresh_derived(project, recs[-1]["id"], head)
    return recs


def _first_write(project: Project) -> None:
    if "config" not in anchor.read(project.ledger):
        # the settings a later change is judged by (integrity.config_changes), from the first write on
        from deploystate.state.tamper.integrity import acknowledged
        anchor.update(project.ledger, "config", acknowledged(project))


def refresh_soon(project: Project) -> None:
    """DEPLOYMENT_STATE.md re-rendered (an observation was stored): now, or by the server's deferral."""
    if _later is not None:
        _later(project)
    else:
        write_state_file(project)


def refresh_derived(project: Project, rid: str = "", head: str | None = None) -> None:
    """Bring the cache and DEPLOYMENT_STATE.md up to date; a problem is said, never raised."""
    try:
        with _RENDER:
            if not cache.holding():  # a held cache is brought up to date (and written) by the render's own load
                cache.load(project.ledger)
            write_state_file(project, head=head)
    except (OSError, DeploystateError) as exc:
        print(f"deploystate: recorded {rid} but could not refresh {project.state_file.name}: {exc}",
              file=sys.stderr)



# A server's last state-file base per state file, with the key of what it was read from (``basekey``):
# a read that only brought a new observation renders from it instead of reading the ledger's part again.
_BASES: dict[str, tuple[tuple, Base]] = {}


def _base(project: Project, head: str | None, generated_by: str) -> Base:
    files = None
    if _later is not None:  # only a process that stays up keeps one
        from deploystate.state.view.basekey import base_key

        files = base_key(project)
    key = (files, head, generated_by) if files is not None else None
    kept = _BASES.get(project.state_filename)
    if key is not None and kept is not None and kept[0] == key:
        return kept[1]
    base = build_base(project, head=head, generated_by=generated_by)
    if key is not None and base_key(project) == files:  # nothing moved while it was read
        _BASES[project.state_filename] = (key, base)
    return base


def _view_text(project: Project, head: str | None, generated_by: str | None) -> tuple[dict, str]:
    from deploystate.state.drift import observations

    base = _base(project, head, generated_by or "deploystate render")
    view = with_observed(project, base, observations.load(project.state_dirname))
    budget = project.settings.get("state_file_budget", 12_000)
    return view, render(view, budget if isinstance(budget, int) and budget >= 2000 else 12_000)


def state_file_text(project: Project, *, head: str | None = None, generated_by: str | None = None) -> str:
    return _view_text(project, head, generated_by)[1]


# What the state file last written by this process says: its status and each service's runtime verdict
# and drift, so a server can tell whether the file it defers would say anything else (``shows``).
_SHOWN: dict[str, tuple] = {}


def _gist(view: dict) -> tuple:
    return (view["status"], tuple((s["name"], (s.get("observed") or {}).get("verdict"), s["drift"]["state"])
                                  for s in view["services"]))


def shows(project: Project, view: dict) -> bool:
    """Does the state file this process last wrote say the status and verdicts ``view`` says?"""
    return _SHOWN.get(project.state_filename) == _gist(view)


def write_state_file(project: Project, *, head: str | None = None, generated_by: str | None = None) -> bool:
    # derived from the ledger and re-rendered by every write: not fsynced (the ledger append is)
    with _RENDER:
        view, text = _view_text(project, head, generated_by)
        written = write_atomic(project.state_filename, text, durable=False)
        _SHOWN[project.state_filename] = _gist(view)
        return written
