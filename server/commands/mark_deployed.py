"""``deploystate mark-deployed``: call it deployed, only after the running commit's latest verification passed."""

from __future__ import annotations

import argparse
import sys

from ._common import arg, command, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "mark-deployed", run, json=True,
            help="record that a verified deploy is done (refused without a passing verification)",
            description="Append a mark_deployed record for each service whose latest verification "
                        "passed and whose runtime, asked again at the moment of marking, runs HEAD's "
                        "code for it. Refuses (exit 1, nothing written) if any service was never "
                        "verified, restarted since, failed/was inconclusive, or runs other code than "
                        "HEAD's, and says what to run instead.",
            epilog="examples:\n  deploystate mark-deployed backend --note \"stop-loss fix, verified\"\n"
                   "  deploystate mark-deployed          (every deployed or verified service)",
            arguments=(
                arg("services", nargs="*", metavar="SERVICE",
                    help="services (default: every service with a deploy or verification on record)"),
                arg("--note", default="", help="what was deployed, for the next reader"),
            ))


def _announce_sync(project) -> None:
    from deploystate.server.backends import sync_before_deciding

    said = sync_before_deciding(project)
    if said:
        print(f"deploystate: {said}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config
    from deploystate.verify.marking import mark_deployed

    project = project_from(args)
    config = load_config(project.config_path)
    _announce_sync(project)
    outcome = mark_deployed(project, config, args.services or None, args.note)
    lines = [f"marked deployed: {m['service']} at {(m['commit'] or '?')[:10]} (verification {m['verification_id']})"
             + (f" — WARNING: running revision not checked (revision_waiver: {m['revision_waiver']})"
                if m.get("revision_waiver") else "") for m in outcome.marked]
    lines += [f"already marked: {name} (same verification)" for name in outcome.already]
    emit(args, outcome.model_dump(mode="json"), "\n".join(lines) or "nothing to mark")
    return 0
