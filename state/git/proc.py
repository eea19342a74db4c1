"""The one place deploystate starts a subprocess: argv lists, never a shell, always a timeout."""

from __future__ import annotations

import os

from deploystate.state.errors import CommandError, InputError  # the rarer two where raised (errors.RARE)
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


def _spawn_git(argv: list[str], cwd, timeout: float) -> tuple[int, str, str]:  # noqa: ANN001
    """``git`` started with ``os.posix_spawnp`` (``git -C <cwd>`` stands for the working directory), its own
    session and group as ``_run_group`` gives it, stdin from /dev/null, both outputs read to the end,
    decoded and newline-translated as ``subprocess`` text mode does, SIGPIPE/SIGXFSZ reset as Popen resets
    them (unlike Popen it leaves open any inheritable descriptor this process was given; Python's own are not
    inheritable). The hooks' git calls take this path:
    importing subprocess (threading, signal, selectors, locale) costs a hook ~4 ms. Raises
    FileNotFoundError / OSError as Popen does, and TimeoutError after killing the group."""
    import io
    import select
    import time

    args = ["git", "-C", os.fspath(cwd), *argv[1:]] if cwd is not None else list(argv)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        import _signal  # the C module (signal itself builds enums): dispositions Python ignores, reset as Popen does

        reset = tuple(getattr(_signal, n) for n in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(_signal, n))
        pid = os.posix_spawnp("git", args, os.environ, setsid=True, setsigdef=reset,
                              file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                                            (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)])
    except BaseException:
        for fd in (out_r, err_r):
            os.close(fd)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    deadline = time.monotonic() + timeout
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    open_fds = set(chunks)
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill_group(pid)
                os.waitpid(pid, 0)
                raise TimeoutError(f"{args[0]} did not finish within {timeout:g}s")
            for fd, _ in poller.poll(left * 1000):
                data = os.read(fd, 65536)
                if data:
                    chunks[fd].append(data)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
        _, status = os.waitpid(pid, 0)
    except BaseException as exc:
        if not isinstance(exc, TimeoutError):
            _kill_group(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        raise
    finally:
        for fd in chunks:
            os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    enc = io.TextIOWrapper(io.BytesIO(), errors="replace").encoding  # what Popen(text=True) decodes with

    def text(fd: int) -> str:
        return b"".join(chunks[fd]).decode(enc, "replace").replace("\r\n", "\n").replace("\r", "\n")

    return code, text(out_r), text(err_r)


def run(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None, input: str | None = None, check: bool = False,
        max_output: int | None = MAX_OUTPUT) -> Completed:
    """Run ``argv`` and capture its output; raise on timeout, missing program, or (with check) failure.

    Each stream keeps at most ``max_output`` characters (its tail) and says so in ``truncated``;
    pass ``None`` where the whole output is the data (a ledger read from git)."""
    if isinstance(argv, (str, bytes)) or not argv or not all(isinstance(a, str) for a in argv):
        raise InputError("a command must be a non-empty list of strings",
                         'write it as an argv list, for example ["systemctl", "restart", "api"]')
    light = (argv[0] == "git" and input is None and env is None and hasattr(os, "posix_spawnp")
             and (cwd is None or (os.path.isdir(cwd) and os.access(cwd, os.X_OK))))
    try:
        if light:  # no subprocess import on the hooks' path (their only processes are git's)
            returncode, out, err = _spawn_git(list(argv), cwd, timeout)
        else:
            import subprocess

            full_env = None if env is None else {**os.environ, **env}
            try:
                proc = _run_group(list(argv), cwd=cwd, env=full_env, input=input, timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise TimeoutError(str(exc)) from exc
            returncode, out, err = proc.returncode, proc.stdout, proc.stderr
    except FileNotFoundError as exc:
        from deploystate.state.errors import CommandNotFound

        raise CommandNotFound(f"{argv[0]!r} is not installed or not on PATH",
                              f"install {argv[0]} or fix the command in deploystate.toml") from exc
    except TimeoutError as exc:
        from deploystate.state.errors import CommandTimeout

        raise CommandTimeout(f"{' '.join(argv)[:200]} did not finish within {timeout:g}s and was stopped",
                             "check that the program is not waiting for input, or raise its timeout") from exc
    except OSError as exc:
        raise CommandError(f"could not run {argv[0]!r}: {exc}", "check the command and its permissions") from exc
    cut = max_output is not None and (len(out) > max_output or len(err) > max_output)
    if cut:
        out, err = out[-max_output:], err[-max_output:]  # type: ignore[index]
    result = Completed(tuple(argv), returncode, out, err, truncated=cut)
    if check and not result.ok:
        tail = (result.stderr or result.stdout).strip()[-500:]
        raise CommandError(f"{' '.join(argv)[:200]} exited {result.returncode}: {tail}",
                           "read the output above; fix the cause and run again")
    return result
