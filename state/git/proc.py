"""The one place deploystate starts a subprocess: argv lists, never a shell, always a timeout."""

from __future__ import annotations

import os

from deploystate.state.errors import CommandError, CommandNotFound, CommandTimeout, InputError
from deploystate.state.plain import Frozen

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Mapping, Sequence

    import subprocess

DEFAULT_TIMEOUT = 60.0
GRACE = 5.0  # after killing a timed-out group: how long to wait for its pipes to close
MAX_OUTPUT = 4 * 1024 * 1024  # keep at most this much of stdout/stderr per stream


# Frozen (state/plain.py), not a dataclass: the hooks' decision path builds these, and dataclasses costs it ~8 ms.
class Completed(Frozen):
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    truncated: bool  # output beyond max_output was cut (the tail is kept); default False
    _fields = ("argv", "returncode", "stdout", "stderr", "truncated")
    _defaults = {"truncated": False}

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def option_safe(value: str, what: str = "value") -> str:
    """Return ``value`` unless a program could read it as an option (leading ``-``)."""
    if not isinstance(value, str) or not value:
        raise InputError(f"{what} must be a non-empty string", "pass a plain name or revision")
    if value.startswith("-"):
        raise InputError(f"{what} {value!r} starts with '-' and could be read as an option",
                         "pass a name or revision that does not start with '-'")
    if "\x00" in value or "\n" in value:
        raise InputError(f"{what} contains a control character", "pass a single-line value")
    return value


def _kill_group(pid: int) -> None:
    """SIGKILL the whole process group the child leads: a check that backgrounds a helper
    (``sh -c 'sleep 300 & ...'``) must not leave it running after its timeout."""
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _run_group(argv: list[str], *, cwd, env, input, timeout: float) -> subprocess.CompletedProcess[str]:
    """subprocess.run, but the child leads its own process group (new session), and a timeout
    kills that group, not only the child."""
    import subprocess  # here, not at the top: a hook that starts no process skips its ~3 ms import

    with subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                          shell=False, start_new_session=True) as child:
        try:
            out, err = child.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child.pid)
            try:  # the group is dead, so the pipes close; a process that left the group may still hold them
                child.communicate(timeout=GRACE)
            except subprocess.TimeoutExpired:
                pass
            raise
        except BaseException:
            _kill_group(child.pid)
            raise
        return subprocess.CompletedProcess(argv, child.returncode, out, err)


def run(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None, input: str | None = None, check: bool = False,
        max_output: int | None = MAX_OUTPUT) -> Completed:
    """Run ``argv`` and capture its output; raise on timeout, missing program, or (with check) failure.

    Each stream keeps at most ``max_output`` characters (its tail) and says so in ``truncated``;
    pass ``None`` where the whole output is the data (a ledger read from git)."""
    if isinstance(argv, (str, bytes)) or not argv or not all(isinstance(a, str) for a in argv):
        raise InputError("a command must be a non-empty list of strings",
                         'write it as an argv list, for example ["systemctl", "restart", "api"]')
    import subprocess

    full_env = None if env is None else {**os.environ, **env}
    try:
        proc = _run_group(list(argv), cwd=cwd, env=full_env, input=input, timeout=timeout)
    except FileNotFoundError as exc:
        raise CommandNotFound(f"{argv[0]!r} is not installed or not on PATH",
                              f"install {argv[0]} or fix the command in deploystate.toml") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandTimeout(f"{' '.join(argv)[:200]} did not finish within {timeout:g}s and was stopped",
                             "check that the program is not waiting for input, or raise its timeout") from exc
    except OSError as exc:
        raise CommandError(f"could not run {argv[0]!r}: {exc}", "check the command and its permissions") from exc
    out, err = proc.stdout, proc.stderr
    cut = max_output is not None and (len(out) > max_output or len(err) > max_output)
    if cut:
        out, err = out[-max_output:], err[-max_output:]  # type: ignore[index]
    result = Completed(tuple(argv), proc.returncode, out, err, truncated=cut)
    if check and not result.ok:
        tail = (result.stderr or result.stdout).strip()[-500:]
        raise CommandError(f"{' '.join(argv)[:200]} exited {result.returncode}: {tail}",
                           "read the output above; fix the cause and run again")
    return result
