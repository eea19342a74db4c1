"""Start-up work done while the server is still importing the MCP SDK: the ledger's integrity (after a
``cp -a`` the chain mark's content key re-hashes the verified bytes, ~0.1 s per 100k records, outside the
GIL), the projection cache and the git diffs the first view needs; then, while the client says hello, the
config, the platform adapters and DEPLOYMENT_STATE.md. Its answers land where every call
looks anyway (the chain mark, the projection cache, ``view._DIFFS``), so nothing here is trusted on its
own: the first call asks the same questions again, now answered from what was just verified.

The first call waits for it (``wait``) instead of repeating the same hashing beside it.
"""

from __future__ import annotations

import threading
from typing import Any

_THREAD: list[threading.Thread] = []
WAIT = 120.0  # seconds: as long as the call itself would have taken to ask the same (every git call has a timeout)


def start(root: str | None) -> threading.Thread:
    """Begin the start-up work for the project at ``root`` (or found from the working directory)."""
    thread = threading.Thread(target=_warm, args=(root,), name="deploystate-warm", daemon=True)
    _THREAD[:] = [thread]
    thread.start()
    return thread


def then(ctx: Any) -> None:
    """Once the SDK is loaded (the server built): the config parsed and validated, and the platform adapter
    of each service loaded, as the first call would (it is answered while the client says hello)."""
    first = list(_THREAD)

    def more() -> None:
        for t in first:
            t.join(WAIT)
        try:
            from deploystate.platforms.registry import get_platform

            from deploystate.state.ledger.store import write_state_file

            project = ctx.project()
            for cfg in ctx.config(project).services.values():
                get_platform(cfg.platform)
            if project.state_dir.is_dir():
                write_state_file(project)  # what it says is then known: a first read that agrees defers its own
        except Exception:  # said again by the call that needs it
            return

    thread = threading.Thread(target=more, name="deploystate-warm-config", daemon=True)
    _THREAD.append(thread)
    thread.start()


def wait() -> None:
    """Let the start-up work finish first (at once when there is none, or it is done)."""
    for t in list(_THREAD):
        t.join(WAIT)
    if not any(t.is_alive() for t in _THREAD):
        _THREAD.clear()


def _warm(root: str | None) -> None:
    try:
        from deploystate.state.config.project import Project
        from deploystate.state.tamper import integrity
        from deploystate.state.view.view import build_base

        project = Project.discover(root)
        if not project.state_dir.is_dir() or not project.config_path.is_file():
            return
        integrity.check(project)
        build_base(project)
    except Exception:  # anything wrong here is found again, and said, by the call that needs it
        return
