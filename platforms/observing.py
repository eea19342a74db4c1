"""Ask every service's runtime what it runs, all at once under one short deadline, and keep the answers.

``state``, ``read_deployment_state``, ``system_health`` and ``render`` call ``refresh`` by default. Each
runtime is asked on its own daemon thread with the time left as its timeout; whatever has not answered
when the overall deadline passes is "no answer within Ns" and the process does not wait for it. An
adapter that is missing, a daemon that is down or a timeout is an error for that service only: the
stored observation (``state.observations``) then keeps the service's last answer, with its age.
"""

from __future__ import annotations

import os
import _thread  # threading's Lock; threading itself only when a runtime is asked on a thread
import time
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any

from deploystate.state.drift import observations
from deploystate.state.errors import DeploystateError
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.config.project import Project

from .base import ServiceRef
from .registry import get_platform

DEFAULT_DEADLINE = 4.0


def redact(text: str) -> str:
    """``state.ledger.redact.redact``, imported on the first text to clean: an answer with no problem and
    no error (the usual one) needs no redaction, and that module's import brings re (~25M instructions)."""
    from deploystate.state.ledger.redact import redact as clean

    return clean(text)


def observe_one(project: Project, name: str, cfg: Any, timeout: float) -> dict[str, Any]:
    """``{"obs": {...}}`` with what the runtime said, or ``{"error": why}``; never raises."""
    try:
        obs = get_platform(cfg.platform).observe(ServiceRef(name, cfg, project.rootdir), timeout=timeout)
    except DeploystateError as exc:
        return {"error": redact(exc.message)}
    except Exception as exc:  # a missing adapter or a library error: reported for this service, never a crash
        return {"error": redact(f"{type(exc).__name__}: {exc}")}
    return {"obs": {"state": obs.state, "target": obs.target, "revision": obs.revision,
                    "revision_source": obs.revision_source, "started_at": obs.started_at, "healthy": obs.healthy,
                    "restart_count": obs.restart_count, "oom_killed": obs.oom_killed,
                    "problems": [redact(p) for p in obs.problems[:observations.MAX_PROBLEMS]],
                    "instances": [{"name": i.name, "state": i.state, "reason": i.reason, "exit_code": i.exit_code,
                                   "oom_killed": i.oom_killed, "healthy": i.healthy,
                                   "restart_count": i.restart_count}
                                  for i in obs.instances[:observations.MAX_INSTANCES]]}}


def observe_all(project: Project, services: dict[str, Any], deadline: float) -> dict[str, dict[str, Any]]:
    """Every service asked at once; returns by ``deadline`` seconds whatever the runtimes did."""
    out: dict[str, dict[str, Any]] = {}
    lock = _thread.allocate_lock()
    end = time.monotonic() + deadline

    def ask(name: str, cfg: Any) -> None:
        got = observe_one(project, name, cfg, max(0.1, end - time.monotonic()))
        with lock:
            out[name] = got

    # What a platform can answer without any I/O is asked here; the others each on a daemon thread (a
    # runtime that hangs past its own timeout must not keep the CLI from exiting).
    waiting = {}
    for n, c in services.items():
        if _instant(c):
            ask(n, c)
        else:
            waiting[n] = c
    threads = []
    if waiting:
        import threading  # here: ~4M instructions a process whose every platform answers at once skips

        threads = [threading.Thread(target=ask, args=(n, c), name=f"observe-{n}", daemon=True)
                   for n, c in waiting.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    with lock:
        answered = dict(out)
    for name in services:
        answered.setdefault(name, {"error": f"no answer within the {deadline:g}s observation deadline"})
    return answered


def _instant(cfg: Any) -> bool:
    """The platform says observing ``cfg`` needs no process, file or network (``instant``)."""
    try:
        instant = getattr(get_platform(cfg.platform), "instant", None)
        return bool(instant and instant(cfg))
    except Exception:  # an unknown or uninstalled platform is asked (and fails) on its own thread
        return False


def refresh(project: Project, services: dict[str, Any], deadline: float) -> dict[str, Any]:
    """Observe now and merge into the stored observation; returns the merged data (also when the state
    directory is missing or not writable, so this answer still shows what was seen)."""
    stored = observations.load(project.state_dirname)  # Project's str paths: its Path ones import pathlib
    if not services:
        return stored
    merged = observations.merge(stored, observe_all(project, services, deadline), iso(utc_now()))
    if os.path.isdir(project.state_dirname) and observations.keep(project.state_dirname, merged):
        _rewrite_state_file(project)
    return merged


def _rewrite_state_file(project: Project) -> None:
    """DEPLOYMENT_STATE.md shows the observation just taken (a file that cannot be written is said, not fatal)."""
    import sys

    from deploystate.state.ledger.store import refresh_soon

    try:
        refresh_soon(project)  # now, or right after the reply in a server that defers derived files
    except (OSError, DeploystateError) as exc:
        print(f"deploystate: could not refresh {project.state_file.name}: {exc}", file=sys.stderr)


def deadline_of(config: Any, given: float | None = None) -> float:
    """The overall observation deadline: given, else ``[project] observe_deadline``, else 4 s."""
    if given is not None:
        return max(0.1, float(given))
    return float(getattr(config.project, "observe_deadline", DEFAULT_DEADLINE) or DEFAULT_DEADLINE)
