"""One small error tree for all of deploystate.

Every error carries a ``hint``: the next thing a person or agent should do.
Adapters translate library errors into these at the boundary
(``raise PlatformUnreachable(...) from exc``) so callers handle one tree.

The classes no hook decision raises (``RARE``: a broken chain, a command that timed out or is missing, the
runtimes' errors, a refusal of the CLI) live in ``errors_rare`` and load on first use through the module's
``__getattr__``: ``from deploystate.state.errors import Refused`` and ``except errors.Refused`` work as before,
with the same class, while a hook process creates only the classes it can raise (an exception class costs
~100k instructions to create; tests/state/test_errors_tree.py pins the split).
"""

from __future__ import annotations


class DeploystateError(Exception):
    """Base of every error deploystate raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  next: {self.hint}" if self.hint else self.message


class InputError(DeploystateError):
    """A bad argument: oversized, malformed, hostile or unknown."""

    exit_code = 2


class ConfigError(DeploystateError):
    """deploystate.toml is missing or invalid; nothing was written."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "", *, file: str = "", line: int | None = None,
                 key: str = "") -> None:
        super().__init__(message, hint)
        self.file, self.line, self.key = file, line, key


class StateMissing(DeploystateError):
    """No deploystate.toml / state directory where one was expected."""

    exit_code = 2


class LedgerError(DeploystateError):
    """The ledger cannot be read or written."""


class GitError(DeploystateError):
    """A git command failed or a revision does not exist."""


class CommandError(DeploystateError):
    """A subprocess could not be run or failed."""


RARE = frozenset({"ChainBroken", "CommandTimeout", "CommandNotFound", "PlatformError", "PlatformUnreachable",
                  "TargetNotFound", "Refused"})


def __getattr__(name: str) -> type:
    if name in RARE:
        from deploystate.state import errors_rare

        cls = getattr(errors_rare, name)
        globals()[name] = cls  # found here from now on, as if defined here
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *RARE})
