"""The classes of the error tree that no hook decision raises, loaded on first use (``errors.RARE``).

Import them from ``deploystate.state.errors`` as every other error: its ``__getattr__`` loads this module.
Each class says it belongs to ``deploystate.state.errors`` (its ``__module__``), where tracebacks and pickle
look for it.
"""

from __future__ import annotations

from deploystate.state.errors import CommandError, DeploystateError, LedgerError

_MODULE = "deploystate.state.errors"


class ChainBroken(LedgerError):
    """A record was changed, deleted or reordered: the hash chain does not verify."""

    __module__ = _MODULE


class CommandTimeout(CommandError):
    """A subprocess did not finish within its timeout and was killed."""

    __module__ = _MODULE


class CommandNotFound(CommandError):
    """The executable is not installed or not on PATH."""

    __module__ = _MODULE


class PlatformError(DeploystateError):
    """A runtime (compose, docker, kubernetes, ecs, command) refused or failed."""

    __module__ = _MODULE


class PlatformUnreachable(PlatformError):
    """The daemon or API did not answer (down, refused, timed out, throttled)."""

    __module__ = _MODULE


class TargetNotFound(PlatformError):
    """The container, deployment, service or task the config names does not exist."""

    __module__ = _MODULE


class Refused(DeploystateError):
    """deploystate refuses an action (unverified deploy, no change, no pass)."""

    __module__ = _MODULE
