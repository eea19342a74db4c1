"""``deploystate state``: what is running, what is broken, what was tried, what to do next."""

from __future__ import annotations

TYPE_CHECKING = False  # argparse only builds the parser (register): a run need not import it
if TYPE_CHECKING:
    import argparse

import os
import sys

from deploystate.state.config.project import Project
from deploystate.state.ledger.ids import utc_now
from deploystate.state.view.render import next_steps

from ._common import arg, command, emit


def register(sub: argparse._SubParsersAction) -> None:
    import argparse

    command(sub, "state", run, json=True,
            help="show the current deployment state",
            description="Show per service the running commit, drift against HEAD (\"committed, not "
                        "running\"), the last verdict and when a recheck is due; what is broken or "
                        "unverified, the doom-loop flag, failed attempts, recent sessions, next steps. "
                        "Asks every service's runtime what it runs (all at once, within "
                        "[project] observe_deadline, default 4 s) and keeps the answer in the state "
                        "directory; a runtime that does not answer shows its last answer and its age.",
            epilog="examples:\n  deploystate state\n  deploystate state --no-observe   (the ledger and "
                   "the last stored observation only)\n  deploystate state --json",
            defaults={"observe": True},
            arguments=(
                arg("--no-observe", dest="observe", action="store_false",
                    help="do not ask the runtimes; use the last stored observation and say how old it is"),
                arg("--observe", dest="observe", action="store_true", help=argparse.SUPPRESS),
                arg("--deadline", "--timeout", dest="deadline", type=float, default=None, metavar="SECONDS",
                    help="overall time limit for asking the runtimes (default: [project] observe_deadline, 4 s)"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.state.view import cache

    if cache.holding():  # a caller that holds the projection already (a server): as it is
        return _run(args)
    # The state file re-rendered after observing and this view both load the projection: the second load
    # takes the first's state from memory (a marshal copy, checked against the ledger's tail) instead of
    # parsing and hashing the cache file again. Nothing is appended here, so no write is deferred.
    cache.hold_writes(True)
    try:
        return _run(args)
    finally:
        cache.flush_held()
        cache.hold_writes(False)


def _run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config
    from deploystate.state.view.view import build_view

    from ._state_text import state_text

    project = Project.discover(getattr(args, "root", None))
    config = load_config(project.config_file)  # a bad config stops here (exit 2), before anything is read
    notes = []
    if not os.path.isdir(project.state_dirname):  # the str forms: Project's Path ones import pathlib (~17M)
        notes.append(f"no state directory at {project.state_dirname} yet: run `deploystate init`")
    observed = None
    if args.observe and project.raw.get("services"):
        from deploystate.platforms.observing import deadline_of, refresh

        observed = refresh(project, dict(config.services), deadline_of(config, args.deadline))
    elif args.observe:
        from deploystate.state.drift.observations import load

        observed = load(project.state_dirname)  # no service to ask: what refresh returns without asking
    else:
        from deploystate.state.drift.assessment import age
        from deploystate.state.drift.observations import load

        at = load(project.state_dirname).get("at")
        notes.append(f"--no-observe: showing what the runtimes said {age(at, utc_now())} ago ({at[:19]}Z)" if at
                     else "--no-observe: the runtimes have never been asked; what runs is unknown")
    view = build_view(project, now=utc_now(), generated_by="deploystate state", observed=observed)
    data = {**view, "next_steps": next_steps(view), "observed": {s["name"]: s["observed"] for s in view["services"]
                                                                 if "observed" in s}, "notes": notes}
    from deploystate.server.colour import enabled

    from ._state_text import ansi, plain

    emit(args, data, state_text(view, notes, ansi if enabled(sys.stdout) else plain))
    return 0

