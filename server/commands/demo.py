"""``deploystate demo``: build a tiny two-service app and play the story deploystate exists for."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._common import arg, command

EPILOG = """\
examples:
  deploystate demo                   the whole story in a temporary directory (about 15 s)
  deploystate demo --step            pause between steps (press Enter)
  deploystate demo --dir ./demo      build in ./demo and keep it to look around afterwards
  deploystate demo --platform compose   the same story on docker compose (needs a Docker engine)
exit codes: 0 every step behaved as described, 1 a step did not (named at the end), 2 bad input,
130 interrupted. Every process the demo starts is stopped when it ends, whatever happens.
"""


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "demo", run, json=True,
            epilog=EPILOG,
            help="see deploystate work end to end on a tiny local app (no cloud, no containers)",
            description="Build a git repository with a tiny application (an HTTP api and a worker, run "
                        "as local processes), its deploystate.toml, a bare remote and the git hooks, "
                        "then play seven steps: a committed fix that is not running, a targeted restart, "
                        "a verification that fails on evidence, the right fix verified and pushed, a "
                        "pushed fix that is not running until restarted, a doom loop, and the final DEPLOYMENT_STATE.md. Each step checks its outcome.",
            arguments=(
                arg("--dir", type=Path, metavar="DIR", help="build here (a new or empty directory; kept afterwards)"),
                arg("--step", action="store_true", help="pause between steps (only at a terminal)"),
                arg("--platform", choices=("command", "compose"), default="command",
                    help="run the app as local processes (default) or on docker compose"),
                arg("--keep", action="store_true", help="keep the temporary directory (processes are still stopped)"),
            ))


def run(args: argparse.Namespace) -> int:
    from deploystate.server.demo import Options, play
    from deploystate.server.demo.report import Narrator

    from deploystate.server.colour import enabled

    colour = enabled(sys.stdout) and not args.json
    narrator = Narrator(None if args.json else sys.stdout, colour)
    result = play(Options(directory=args.dir, step=args.step, keep=args.keep, platform=args.platform), narrator)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    if result.interrupted:
        return 130
    return 0 if result.ok else 1
