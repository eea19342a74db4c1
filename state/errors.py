"""One small error tree for all of deploystate.

Every error carries a ``hint``: the next thing a person or agent should do.
Adapters translate library errors into these at the boundary
(``raise PlatformUnreachable(...) from exc``) so callers handle one tree.
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


class ChainBroken(LedgerError):
    """A record was changed, deleted or reordered: the hash chain does not verify."""


class GitError(DeploystateError):
    """A git command failed or a revision does not exist."""


class CommandError(DeploystateError):
    """A subprocess could not be run or failed."""


class CommandTimeout(CommandError):
    """A subprocess did not finish within its timeout and was killed."""


class CommandNotFound(CommandError):
    """The executable is not installed or not on PATH."""


class PlatformError(DeploystateError):
    """A runtime (compose, docker, kubernetes, ecs, command) refused or failed."""


class PlatformUnreachable(PlatformError):
    """The daemon or API did not answer (down, refused, timed out, throttled)."""


class TargetNotFound(PlatformError):
    """The container, deployment, service or task the config names does not exist."""


class Refused(DeploystateError):
    """deploystate refuses an action (unverified deploy, no change, no pass)."""
