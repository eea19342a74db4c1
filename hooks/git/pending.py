"""After an allowed push to a deploy branch: a pending deploy for each service CI will roll out.

In both field reports nobody restarted anything: the push triggered CI, and "CI passed" is where the
incident began. So a push of a commit that changes a ``deployed_by = "ci"`` service's code (by the one
"runs HEAD's code" rule, against what that service is known to run) records a ``deploy`` with status
``pending``: the service is UNVERIFIED everywhere until ``deploystate verify --wait`` sees the runtime
run the pushed code, and the next push to a deploy branch is refused meanwhile. The hook reads only the
ledger's projection and the stored observation (no runtime calls, standard library only).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any


def _known_running(state: dict[str, Any], service: str) -> str | None:
    svc = (state.get("services") or {}).get(service) or {}
    return svc.get("running_commit")


def record(project: Any, state: dict[str, Any], pushes: list[tuple[str, str, str, str]]) -> list[str]:
    """Record pending deploys for ``pushes`` (pre-push ref lines to deploy branches); the lines said."""
    services = project.deployed_by_ci()
    if not services:
        return []
    # Only now: the store and the one rule (git, path rules) cost an allowed push that CI deploys nothing
    # for ~10 ms it does not need to pay.
    from deploystate.state.ledger import store
    from deploystate.state.drift.headcode import Judge, short

    said = []
    for _, local_sha, remote_ref, _ in pushes:
        if len(local_sha) != 40 or set(local_sha) - set("0123456789abcdef"):
            continue  # pre-commit's "unknown": nothing to name as the pushed commit
        judge = Judge.for_project(project, head=local_sha)
        branch = remote_ref.removeprefix("refs/heads/")
        for name in services:
            running = _known_running(state, name)
            verdict = judge.judge(name, running)
            if verdict.ok:
                continue  # this push does not change what the service should run
            store.record(project, "deploy", {
                "service": name, "commit": local_sha, "strategy": "ci", "performed_by": "ci",
                "status": "pending", "platform": "", "platform_ids": {}, "warnings": [], "forced": False,
                "reason": "", "started_at": "", "duration": 0.0, "base": running, "pushed_to": branch,
                "message": f"pushed to {branch}; CI deploys it: {verdict.reason}"[:300]}, commit=local_sha)
            now = f"running {short(running)}" if running else "running an unknown revision"
            said.append(f"{name}: pushed {short(local_sha)} to {branch}, CI deploy pending ({now}); "
                        f"next: deploystate verify --wait {name}")
    for line in said:
        print(f"deploystate: {line}", file=sys.stderr)
    return said
