"""``deploystate state``: what is running, what is broken, what was tried, what to do next."""

from __future__ import annotations

import argparse

from deploystate.state.ids import iso, utc_now
from deploystate.state.render import next_steps

from ._common import RAW, add_json, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("state", formatter_class=RAW, help="show the current deployment state",
                       description="Show per service the running commit, drift against HEAD (\"committed, not "
                                   "running\"), the last verdict and when a recheck is due; what is broken or "
                                   "unverified, the doom-loop flag, failed attempts, recent sessions, next steps. "
                                   "Read from the ledger; --observe also asks each runtime what it runs.",
                       epilog="examples:\n  deploystate state\n  deploystate state --observe   (compare with the "
                              "revision the runtime reports)\n  deploystate state --json")
    p.add_argument("--observe", action="store_true",
                   help="also ask each service's platform for the revision it is running")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="per-service time limit for --observe (default 10)")
    add_json(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config import load_config
    from deploystate.state.view import build_view

    from ._state_text import state_text

    project = project_from(args)
    config = load_config(project.config_path)  # a bad config stops here (exit 2), before anything is read
    notes = []
    if not project.state_dir.is_dir():
        notes.append(f"no state directory at {project.state_dir} yet: run `deploystate init`")
    view = build_view(project, now=utc_now(), generated_by="deploystate state")
    observed = None
    if args.observe:
        from deploystate.server.observe import observe_all

        observed = observe_all(project, dict(config.services), view, max(0.1, args.timeout))
    data = {**view, "next_steps": next_steps(view), "observed_at": iso(utc_now()) if observed is not None else None,
            "observed": observed, "notes": notes}
    emit(args, data, state_text(view, observed, notes))
    return 0
