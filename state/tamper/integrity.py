"""One question every decision asks first: can this ledger be trusted? (standard library only)

``check(project)`` returns the problems that make deploystate refuse: the hooks,
``mark-deployed``, the deciding MCP tools and ``doctor`` all call it, so none of
them can be talked into a decision the others would refuse. It combines

- the anchor (``anchor.py``): a ledger shorter than its anchored head, not ending
  with the anchored record (edited, re-hashed from an edit onward, replaced),
  emptied, or read from another state_dir than the one anchored (moved);
- the hash chain (``chainmark``): a record changed, deleted or moved above its parent;
- config escapes: ``deploy_branches`` differing from what was last acknowledged
  (narrowing it would let a push to the old deploy branch skip every check);
- the remote anchor (``remote_anchor``): what the last contact with the team ledger found
  (this copy diverging from it, or shorter than it), until a later contact finds them agreeing.

``warnings(project)`` are said loudly but decide nothing (a clone that never synced
with its configured team ledger may lack history nobody here can see).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any

from . import anchor, chainmark
from deploystate.ospath import exists
from deploystate.state.config.project import Project

ACCEPT = "deploystate doctor --accept-config"
REMOTE_SECTION = "remote"  # remote_anchor.SECTION (a test keeps them equal): imported only when it is there


def acknowledged(project: Project) -> dict[str, Any]:
    """The config settings as last acknowledged, for the anchor's ``config`` section."""
    return {"state_dir": project.state_dir_key, "deploy_branches": sorted(project.deploy_branches)}


def config_changes(project: Project, data: dict[str, Any] | None = None) -> dict[str, list]:
    """{setting: [acknowledged, now]} for each escape-relevant setting that changed."""
    data = anchor.read(project.ledger) if data is None else data
    seen = data.get("config")
    if not isinstance(seen, dict):
        return {}
    now = acknowledged(project)
    return {k: [seen.get(k), v] for k, v in now.items() if k in seen and seen.get(k) != v}


def _config_problems(project: Project, data: dict[str, Any]) -> list[str]:
    out = []
    for key, (was, now) in config_changes(project, data).items():
        if key == "state_dir" and (data.get("chain") or {}).get("dir") not in (None, now):
            continue  # anchor.problems already names the move
        out.append(f"{anchor.TAMPERED}: {key} changed from {was!r} to {now!r} and the change was never "
                   f"recorded: run `{ACCEPT}` to record it in the ledger")
    return out


def check(project: Project, data: dict[str, Any] | None = None) -> list[str]:
    """Every reason to refuse, worded for the user; [] when the ledger can be trusted. ``data``: the anchor
    as the caller read it moments ago with nothing written since (the hooks' snapshot), else it is read here."""
    ledger = project.ledger
    data = anchor.read(ledger) if data is None else data
    problems = anchor.problems(ledger, data)
    problems += [p for p in chainmark.check(ledger).problems if p not in problems]
    problems += _config_problems(project, data)
    if isinstance(data.get(REMOTE_SECTION), dict):  # a team ledger was contacted: what it found still counts
        from . import remote_anchor

        problems += [p for p in remote_anchor.problems(data) if p not in problems]
    if "config" not in data and "unreadable" not in data and (data.get("chain") or exists(ledger.file)):
        anchor.update(ledger, "config", acknowledged(project))  # first sight: what later changes are judged by
    return problems


def team_ledger(project: Project) -> bool:
    """Is a team ledger configured (``backend`` git or s3, or ``[project.hooks] sync_before``)?"""
    settings = project.settings
    hooks = settings.get("hooks") if isinstance(settings.get("hooks"), dict) else {}
    backend = settings.get("backend")
    return (isinstance(backend, str) and backend not in ("", "files")) or hooks.get("sync_before") is True


def never_synced(project: Project) -> bool:
    """This clone has no record of a sync (a fresh clone, or one whose state directory was lost)."""
    import json

    for name in ("sync.json", "s3.json"):
        try:
            data = json.loads((project.ledger.dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (data.get("last_sync") or any(
                isinstance(v, dict) and v.get("last_ok") for v in data.values())):
            return False
    return True


def warnings(project: Project) -> list[str]:
    """Loud, non-deciding: a configured team ledger this clone has never synced with."""
    if not team_ledger(project) or not never_synced(project):
        return []
    return ["this clone has never synced with its team ledger: records written elsewhere (a failed "
            "verification, an attempt) may be missing here; run `deploystate sync`"]


class Status:
    """``chainmark.ChainStatus``'s shape (ok, problems, how), for callers that took a chain verdict."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None) -> None:
        self.problems, self.warnings = problems, list(warnings or [])
        self.ok, self.how, self.records = not problems, "integrity", 0

    def __repr__(self) -> str:
        return f"integrity.Status(ok={self.ok}, problems={self.problems!r})"


def status(project: Project, data: dict[str, Any] | None = None) -> Status:
    """``check`` (given ``data``, the anchor just read: see there) with ``warnings``."""
    return Status(check(project) if data is None else check(project, data), warnings(project))


def accept_config(project: Project) -> dict[str, list] | None:
    """Record changed settings as a ``note`` record and acknowledge them; None when nothing changed.

    A moved state_dir is accepted only when the new ledger still holds the anchored history
    (it was moved, not emptied); its records are otherwise left for the user to bring over."""
    from deploystate.state.ledger import store
    from deploystate.state.errors import Refused

    ledger = project.ledger
    data = anchor.read(ledger)
    changes = config_changes(project, data)
    head = data.get("chain") or {}
    moved = head.get("dir") not in (None, project.state_dir_key)
    if moved:
        changes.setdefault("state_dir", [head.get("dir"), project.state_dir_key])
    if not changes:
        return None
    if moved:
        fake = {**head, "dir": project.state_dir_key}
        lost = anchor.problems(ledger, {"version": anchor.VERSION, "chain": fake})
        if lost:
            raise Refused(f"state_dir changed to {project.state_dir_key!r} but that ledger lacks the anchored "
                          f"history ({lost[0]})", f"move the ledger from {head.get('dir')!r} there first (records "
                          "are never dropped), or set state_dir back")
        anchor.update(ledger, "chain", fake, quiet=False)
    # recorded first, acknowledged after: a refused append (a TAMPERED ledger) acknowledges nothing
    store.record(project, "note", {"event": "config_change", "changes": changes,
                                   "text": "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changes.items())},
                 refresh=False)
    anchor.update(ledger, "config", acknowledged(project), quiet=False)
    store.refresh_derived(project)
    return changes
