# PYTHON_ARGCOMPLETE_OK
"""The ``deploystate`` command line: an explicit registry of sub-command modules.

Each module in ``deploystate.server.commands`` exposes ``register(subparsers)``
which adds its parser and sets ``func(args) -> int``. Modules import heavy
libraries inside their functions so ``deploystate --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

from deploystate import __version__
from deploystate.state.errors import DeploystateError

from .colour import COLOR_MODES, set_mode

TYPE_CHECKING = False  # argparse is imported where the parser is built (server/fastargs.py skips it)
if TYPE_CHECKING:
    import argparse

ROOT_HELP = "repository root holding deploystate.toml (default: search upward from the current directory)"

# Order is the order ``--help`` lists them in.
COMMANDS = (
    "demo", "init", "state", "affected", "restart", "verify", "mark-deployed", "rollback",
    "preflight", "health", "logs", "attempt", "session", "hooks", "serve", "sync", "render", "doctor", "compact",
    "config", "completion",
)

EPILOG = """\
Committed is not running; "deployment successful" is not "system working".
Typical loop: deploystate affected -> deploystate restart --affected -> deploystate verify
-> deploystate mark-deployed. Agents: deploystate serve (MCP). Exit codes: 0 ok,
1 problems/fail, 2 bad input or config, 3 inconclusive.
"""


def chosen_command(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names (its first word after the top-level options), or None."""
    rest = iter(argv)
    for word in rest:
        if len(word) > 2 and any(opt.startswith(word.split("=")[0]) for opt in ("--root", "--color")) \
                and "=" not in word:  # argparse takes "--ro X" for "--root X" as well
            next(rest, None)  # the option's value, even when it reads like a command
        elif word == "--" or not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``only``, just that sub-command's (a command run imports its own module,
    not the twenty others: about 0.1 s of every run). Its help and errors are the same either way."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="deploystate", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Know what is really running, restart what a change affects, and verify it from evidence.")
    parser.add_argument("--version", action="version", version=f"deploystate {__version__}")
    parser.add_argument("--root", help=ROOT_HELP)
    parser.add_argument("--color", choices=COLOR_MODES, default=None,
                        help="colour in text output: auto (a terminal, unless NO_COLOR is set), always, never")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import importlib  # here: `state` and `render` build no parser (importlib brings warnings, ~1.6M instructions)

    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"deploystate.server.commands.{name.replace('-', '_')}").register(sub)
    for child in sub.choices.values():
        _shared_options(child)
    return parser


def _shared_options(child: argparse.ArgumentParser) -> None:
    """--root and --color work after the sub-command too; SUPPRESS keeps a value given before it."""
    import argparse

    taken = {opt for action in child._actions for opt in action.option_strings}
    if "--root" not in taken:
        child.add_argument("--root", default=argparse.SUPPRESS, help=ROOT_HELP)
    if "--color" not in taken:
        child.add_argument("--color", choices=COLOR_MODES, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    for action in child._actions:  # nested actions (attempt add, hooks install, config schema, ...)
        if isinstance(action, argparse._SubParsersAction):
            for grandchild in action.choices.values():
                _shared_options(grandchild)


def one_shot() -> None:
    """No cyclic garbage collection for the rest of this process: `state` and `render` end within a second
    and leave few cycles (the exit frees them), while the collector's passes over every object the imports
    made cost such a process ~20M instructions. Only the console script's process, never a caller of main."""
    import gc

    gc.disable()


def exit_now(code: int) -> int:
    """End the console script's `state`/`render` process with ``code`` once its output is flushed and its
    exit handlers ran, skipping the interpreter's teardown (finalizing every imported module, a last full
    collection: ~14M instructions of such a process). ``code`` is returned for the usual exit instead when
    a stream cannot be flushed (a closed pipe is then reported as Python reports it) or a thread that is not
    a daemon still runs (the usual exit waits for it)."""
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon for t in threading.enumerate()
                                     if t is not threading.main_thread()):
        return code
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 (the usual exit reports it)
        return code
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        return code
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    completing = "_ARGCOMPLETE" in os.environ
    words = sys.argv[1:] if argv is None else list(argv)
    from . import fastargs

    args = None
    if not completing and fastargs.simple(words) is not None:  # `state`, `render`: no parser built
        if argv is None:  # the console script's one-shot process (not a caller's): see one_shot, exit_now
            one_shot()
            return exit_now(_run(fastargs.parse(words)))
        args = fastargs.parse(words)
    if args is None:
        parser = build_parser(None if completing else chosen_command(words))
        if completing:  # only while the shell asks for completions: no cost otherwise
            import argcomplete

            argcomplete.autocomplete(parser)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            set_mode(getattr(args, "color", None))
            parser.print_help()
            return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The command's function, its errors said as one line each with their exit codes."""
    set_mode(getattr(args, "color", None))
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
