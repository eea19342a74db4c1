"""The ``deploystate`` command line: an explicit registry of sub-command modules.

Each module in ``deploystate.server.commands`` exposes ``register(subparsers)``
which adds its parser and sets ``func(args) -> int``. Modules import heavy
libraries inside their functions so ``deploystate --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from deploystate.state.errors import DeploystateError

# Order is the order ``--help`` lists them in.
COMMANDS = (
    "demo", "init", "state", "affected", "restart", "verify", "mark-deployed", "rollback",
    "preflight", "health", "attempt", "session", "hooks", "serve", "sync", "render", "doctor", "compact",
)

EPILOG = """\
Committed is not running; "deployment successful" is not "system working".
Typical loop: deploystate affected -> deploystate restart --affected -> deploystate verify
-> deploystate mark-deployed. Agents: deploystate serve (MCP). Exit codes: 0 ok,
1 problems/fail, 2 bad input or config, 3 inconclusive.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploystate", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Know what is really running, restart what a change affects, and verify it from evidence.")
    parser.add_argument("--root", help="repository root holding deploystate.toml (default: search upward "
                                       "from the current directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"deploystate.server.commands.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DeploystateError as exc:
        print(f"deploystate: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("deploystate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a permission or disk problem on the state directory, said plainly
        print(f"deploystate: {exc.strerror or exc}: {exc.filename or ''}\n  next: check that the path exists "
              "and is writable (state_dir in deploystate.toml)", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one readable line, the traceback only on request
        if os.environ.get("DEPLOYSTATE_DEBUG"):
            raise
        print(f"deploystate: unexpected {type(exc).__name__}: {exc}\n  next: run again with DEPLOYSTATE_DEBUG=1 "
              "for the traceback and report it; the ledger is append-only, so nothing recorded was lost",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
