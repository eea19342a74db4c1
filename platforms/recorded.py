"""What the ledger remembers about a service's last restart, for adapters that need it later.

An ECS observation must know which deployment is *ours* (the one the last
``deploystate restart`` started) and a command service's logs must know where
the log file stood when it was restarted; a later process (``verify``) only has
the ledger to ask. Read-only, and any problem reading it means "nothing recorded".
"""

from __future__ import annotations

from pathlib import Path
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any

from deploystate.state.view import cache
from deploystate.state.errors import DeploystateError
from deploystate.state.config.project import Project


def last_deploy(root: Path, service: str) -> dict[str, Any]:
    """The projection's entry for the service's last deploy/rollback record, or {}."""
    try:
        project = Project.discover(root)
        if not project.ledger.path.exists():
            return {}
        state = cache.load(project.ledger, write=False).state
    except (DeploystateError, OSError, ValueError):
        return {}
    entry = (state.get("services", {}).get(service) or {}).get("deploy")
    return entry if isinstance(entry, dict) else {}


def last_platform_ids(root: Path, service: str) -> dict[str, Any]:
    ids = last_deploy(root, service).get("platform_ids")
    return ids if isinstance(ids, dict) else {}
