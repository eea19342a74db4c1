"""``deploystate compact``: move old, resolved records into the archive so the ledger stays small."""

from __future__ import annotations

import argparse

from deploystate.state.ledger.compact import DEFAULT_OLDER_THAN, compact

from ._common import arg, command, emit, project_from

EPILOG = """\
examples:
  deploystate compact --dry-run          # what would move, and what stays and why
  deploystate compact --older-than 90d
Never archived: unresolved failures, unverified deploys, overrides, open sessions, the latest
deploy/verification per service. The chain still verifies: `deploystate doctor`.
"""


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "compact", run, json=True,
            epilog=EPILOG,
            help="archive old, resolved ledger records (keeps the chain verifiable)",
            description="Move ledger records older than --older-than into archive.jsonl in the state "
                        "directory. Records that still matter stay in ledger.jsonl (copied, so the "
                        "archive remains a complete prefix of the hash chain). Takes the ledger lock.",
            arguments=(
                arg("--older-than", default=DEFAULT_OLDER_THAN, metavar="AGE",
                    help=f"archive records older than this (default {DEFAULT_OLDER_THAN}; e.g. 7d, 12h)"),
                arg("--dry-run", action="store_true", help="change nothing; print what would happen"),
            ))


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    res = compact(project, older_than=args.older_than, dry_run=args.dry_run)
    verb = "would archive" if res["dry_run"] else "archived"
    lines = [f"{verb} {res['archived']} records older than {res['cutoff'][:16].replace('T', ' ')} UTC "
             f"({res['already_archived']} were archived before)",
             f"ledger.jsonl keeps {res['live_records']} records"
             + (f" ({res['live_bytes_before']} -> {res['live_bytes_after']} bytes)" if not res["dry_run"] else "")]
    if res["kept_reasons"]:
        lines.append(f"{res['kept_in_live']} old records stay in ledger.jsonl because they still matter:")
        lines += [f"  {n:>5}  {why}" for why, n in sorted(res["kept_reasons"].items(), key=lambda kv: -kv[1])]
    if not res["dry_run"] and not res["changed"]:
        lines.append("nothing to compact")
    emit(args, res, "\n".join(lines))
    return 0
