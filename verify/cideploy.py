"""``verify --wait``: wait for the deploy CI performs, record what the runtime shows, then verify.

One entry point for the CLI and the MCP ``verify_deploy`` tool: the services default to those with a
pending CI deploy (else every configured one); each is watched until it runs the pushed commit's code
(``wait.wait_for_rollout``), a rolled-out service gets a deploy record observed from its runtime and is
verified with its checks, and a service CI never rolled out is a failed verification naming what still
runs. The overall verdict is the worst of all of them; one alert covers the whole run.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from deploystate.state.view import cache, projection
from deploystate.state.git import gitinfo
from deploystate.state.config.config import Config
from deploystate.state.errors import GitError, InputError
from deploystate.state.config.extras import require_services
from deploystate.state.config.project import Project

from . import alerts
from .result import worst
from .service import Progress, ServiceVerdict, VerifyReport, _add_status, alert_text, verify_services
from .wait import DEFAULT_INTERVAL, Rollout, record_not_deployed, record_rollouts, wait_for_rollout

DEFAULT_WAIT = 600.0
MAX_WAIT = 6 * 3600.0


def default_names(project: Project, config: Config) -> list[str]:
    """The services with a pending CI deploy, else every configured service."""
    waiting = [n for n in projection.pending(cache.load(project.ledger).state) if n in config.services]
    return waiting or sorted(config.services)


def verify_with_wait(project: Project, config: Config, names: list[str] | None = None, *,
                     commit: str | None = None, wait_timeout: float = DEFAULT_WAIT,
                     interval: float = DEFAULT_INTERVAL, deadline: float | None = None,
                     progress: Progress | None = None, say: Callable[[str], None] | None = None,
                     author: dict[str, Any] | None = None, alert: bool = True
                     ) -> tuple[VerifyReport, list[Rollout]]:
    """Wait for each service to run HEAD's code (at most ``wait_timeout`` s), then verify those that do."""
    if not 0 < wait_timeout <= MAX_WAIT:
        raise InputError(f"wait timeout {wait_timeout:g}s is out of range", f"use 1 to {MAX_WAIT:g} seconds")
    head = gitinfo.head(project.root)
    if head is None:
        raise GitError(f"{project.root} has no commits", "check out the commit CI deploys, then verify")
    if commit:
        try:
            wanted = gitinfo.resolve(project.root, commit)
        except GitError as exc:
            raise InputError(f"--commit {commit[:40]!r} is not a commit of this clone",
                             "fetch it (git fetch) or pass the pushed commit id") from exc
        if wanted != head:
            raise InputError(f"--commit {commit[:12]} is not HEAD ({head[:12]})",
                             f"check out {commit[:12]} first: verify compares what runs with HEAD's code")
    names = list(dict.fromkeys(names or default_names(project, config)))
    for name in names:
        config.service(name)  # unknown names fail before anything waits
    require_services(config, names)
    t0 = time.monotonic()
    rollouts = wait_for_rollout(project, config, names, head=head, timeout=wait_timeout, interval=interval, say=say)
    record_rollouts(project, config, rollouts, head=head, author=author)
    missing = record_not_deployed(project, rollouts, head=head, author=author)
    rolled = [r.service for r in rollouts if r.rolled_out]
    services: list[ServiceVerdict] = []
    dl = 0.0
    if rolled:
        inner = verify_services(project, config, rolled, deadline=deadline, progress=progress, author=author,
                                alert=False)
        services, dl = list(inner.services), inner.deadline
    for m in missing:
        services.append(ServiceVerdict(service=m["service"], commit=m["commit"], verdict="fail",
                                       expected_from=f"the pushed commit {head[:10]}",
                                       running_revision=m["running_revision"], summary=m["summary"],
                                       failed_checks=m["failed_checks"], record_id=m["record_id"]))
    order = {n: i for i, n in enumerate(names)}
    services.sort(key=lambda sv: order.get(sv.service, len(order)))
    report = VerifyReport(verdict=worst(sv.verdict for sv in services), services=services, deadline=dl,
                          duration=round(time.monotonic() - t0, 3))
    _add_status(project, report)
    if alert and report.verdict != "pass":
        problem = alerts.send(config.project.alert_webhook, alert_text(project, report))
        if problem:
            report.alert_problems.append(problem)
    return report, rollouts
