"""Plain commands: restart, observe, logs and roll back any process manager (systemd, supervisord, a
control script the app ships) by configured argv lists, each run through ``proc.run`` with a timeout.

Every command gets ``DEPLOYSTATE_SERVICE`` (and, for rollback, ``DEPLOYSTATE_ROLLBACK_TO``) in its
environment. Logs come from ``log_file`` (its tail, from where the file stood at the last restart)
or from ``logs_cmd`` (whose argv may use ``{since}`` / ``{since_epoch}``). The running revision
comes from an HTTP ``/version`` endpoint (``revision.source = "http"``) or from ``observe_cmd``.
"""

from __future__ import annotations

import os
import time
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path  # imported where a command runs or a log is read: observing without observe_cmd
    # (every `state` of such a service) needs no path, and pathlib costs a process ~17M instructions
    from typing import Any, Iterator

from deploystate.state.git import proc
from deploystate.state.config.config import CommandService
from deploystate.state.errors import CommandError, CommandTimeout, ConfigError, InputError, PlatformError
from deploystate.state.ledger.ids import iso, utc_now

from deploystate.platforms.base import Instance, Observation, Progress, RestartResult, ServiceRef
from .command_parse import as_bool, as_int, as_state, filter_since, parse_output, parse_time, pick

# command_logs (logs), revision (an http revision endpoint) and recorded (a restart's log position) are
# imported where they are used: observing a service needs none of them.

STRATEGIES = ("command", "auto", "restart")
OBSERVE_AFTER_RESTART = 10.0          # seconds allowed for the post-restart observation
DETACH_HINT = ("if the command starts a background process, detach it fully: redirect its stdin/stdout/stderr "
               "(for example to a log file) and start it in a new session, or it keeps deploystate waiting "
               "on its output; see docs/platforms-ecs-command.md")


class CommandPlatform:
    name = "command"

    def __init__(self) -> None:
        self._offsets: dict[tuple[str, str], dict[str, Any]] = {}   # (root, service) -> log position at restart

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _cfg(svc: ServiceRef) -> CommandService:
        if not isinstance(svc.config, CommandService):
            raise ConfigError(f"service {svc.name!r} is not a command service", 'set platform = "command"')
        return svc.config

    @staticmethod
    def _cwd(svc: ServiceRef, cfg: CommandService) -> Path:
        from pathlib import Path

        cwd = Path(cfg.cwd).expanduser() if cfg.cwd else Path(".")
        return cwd if cwd.is_absolute() else svc.root / cwd

    def _run(self, svc: ServiceRef, argv: list[str], timeout: float, what: str,
             env: dict[str, str] | None = None) -> proc.Completed:
        cfg = self._cfg(svc)
        full_env = {"DEPLOYSTATE_SERVICE": svc.name, "DEPLOYSTATE_ROOT": str(svc.root), **(env or {})}
        try:
            return proc.run(argv, timeout=timeout, cwd=self._cwd(svc, cfg), env=full_env)
        except CommandTimeout as exc:
            raise CommandTimeout(f"{what} for {svc.name!r} did not finish within {timeout:g}s: {' '.join(argv)[:200]}",
                                 DETACH_HINT if what == "restart_cmd" else exc.hint) from exc

    def _log_path(self, svc: ServiceRef, cfg: CommandService) -> Path | None:
        if not cfg.log_file:
            return None
        from pathlib import Path

        path = Path(cfg.log_file).expanduser()
        return path if path.is_absolute() else self._cwd(svc, cfg) / path

    @staticmethod
    def _position(path: Path | None) -> dict[str, Any]:
        """Where the log file stands now; a file that does not exist yet will hold only newer lines."""
        if path is None:
            return {}
        try:
            st = path.stat()
        except OSError:
            return {"log_offset": 0, "log_inode": None}
        return {"log_offset": st.st_size, "log_inode": st.st_ino}

    # -- restart and rollback ----------------------------------------------------------------------
    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        cfg = self._cfg(svc)
        if strategy not in STRATEGIES:
            raise ConfigError(f"restart strategy {strategy!r} does not apply to command service {svc.name!r}",
                              'use restart = "command" (or "auto")')
        return self._act(svc, cfg.restart_cmd, "restart_cmd", "command", timeout, progress, {})

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        cfg = self._cfg(svc)
        if not cfg.rollback_cmd:
            raise PlatformError(f"command service {svc.name!r} has no rollback_cmd",
                                "add rollback_cmd to its table in deploystate.toml (it receives the target "
                                "revision as DEPLOYSTATE_ROLLBACK_TO)")
        if not to or to == "previous":
            raise InputError(f"rolling back command service {svc.name!r} needs a target revision",
                             "pass a commit (deploystate rollback SERVICE --to REV), or deploy through deploystate "
                             "first so the ledger knows the earlier commits")
        proc.option_safe(to, "rollback target")
        return self._act(svc, cfg.rollback_cmd, "rollback_cmd", "rollback", timeout, progress,
                         {"DEPLOYSTATE_ROLLBACK_TO": to})

    def _act(self, svc: ServiceRef, argv: list[str], what: str, strategy: str, timeout: float,
             progress: Progress | None, env: dict[str, str]) -> RestartResult:
        cfg = self._cfg(svc)
        started, clock = utc_now(), time.monotonic()
        position = self._position(self._log_path(svc, cfg))
        if position:
            position["log_started_at"] = iso(started)
        if progress:
            progress(f"{svc.name}: running {what}: {' '.join(argv)[:200]}")
        ids: dict[str, Any] = {"argv": list(argv), **position}
        try:
            res = self._run(svc, argv, timeout, what, {"DEPLOYSTATE_STRATEGY": strategy, **env})
        except CommandTimeout as exc:
            return RestartResult(svc.name, strategy, False, f"{exc.message}\n  next: {exc.hint}", platform_ids=ids,
                                 started_at=iso(started), duration=round(time.monotonic() - clock, 3))
        ids["exit_code"] = res.returncode
        self._offsets[(str(svc.root), svc.name)] = position
        if not res.ok:
            tail = (res.stderr.strip() or res.stdout.strip())[-800:]
            return RestartResult(svc.name, strategy, False, f"{what} exited {res.returncode}: {tail}",
                                 platform_ids=ids, started_at=iso(started),
                                 duration=round(time.monotonic() - clock, 3))
        warnings: list[str] = []
        if cfg.observe_cmd or cfg.revision.source == "http":
            remaining = max(1.0, min(OBSERVE_AFTER_RESTART, timeout - (time.monotonic() - clock)))
            try:
                obs = self.observe(svc, timeout=remaining)
                ids.update({k: v for k, v in (("pid", obs.facts.get("pid")), ("revision", obs.revision))
                            if v is not None})
                if obs.state not in ("running", "progressing"):
                    warnings.append(f"after {what} the service looks {obs.state}: {'; '.join(obs.problems)[:300]}")
            except (CommandError, PlatformError) as exc:
                warnings.append(f"could not observe {svc.name} after {what}: {exc.message}")
        return RestartResult(svc.name, strategy, True, f"{what} succeeded", platform_ids=ids, warnings=warnings,
                             started_at=iso(started), duration=round(time.monotonic() - clock, 3))

    # -- observe -----------------------------------------------------------------------------------
    @staticmethod
    def instant(config: Any) -> bool:
        """True when observing this service starts no process and asks no endpoint (no observe_cmd, no
        http revision): the answer ("state unknown") is known at once, so it needs no thread of its own."""
        return isinstance(config, CommandService) and not config.observe_cmd and config.revision.source != "http"

    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        """What observe_cmd (and the http revision endpoint) say. ``problems`` are failures only; what could
        not be read goes to ``facts["notes"]`` (verification calls that inconclusive, not failed)."""
        cfg = self._cfg(svc)
        deadline = time.monotonic() + timeout
        obs = Observation(svc.name, "command", f"command:{svc.name}", "unknown")
        notes: list[str] = []
        data: dict[str, Any] = {}
        if cfg.observe_cmd:
            res = self._run(svc, cfg.observe_cmd, timeout, "observe_cmd")
            data = parse_output(res.stdout)
            if not data:
                notes.append(f"observe_cmd exited {res.returncode} and printed nothing deploystate can read "
                             "(a JSON object or key=value lines)")
            elif not res.ok:
                notes.append(f"observe_cmd exited {res.returncode}")
        else:
            notes.append("no observe_cmd configured: process state unknown")
        self._fill(obs, data)
        revision_key = (cfg.revision.name,) if cfg.revision.source == "env" else ()
        reported = pick(data, "revision", revision_key)
        obs.revision, obs.revision_source = (str(reported), "observe_cmd") if reported is not None else (None, "")
        if cfg.revision.source == "http":
            from deploystate.platforms.revision import read_revision

            reading = read_revision(cfg.revision, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
            if reading.value is None:
                notes.append(f"revision: {reading.error}")
            elif obs.revision and obs.revision != reading.value:
                obs.problems.append(f"observe_cmd says revision {obs.revision} but {reading.source} "
                                    f"says {reading.value}")
            if reading.value is not None or obs.revision is None:
                obs.revision, obs.revision_source = reading.value, reading.source
        elif obs.revision is None and cfg.observe_cmd:
            notes.append("observe_cmd reports no revision (print a 'revision' key, or set "
                         'revision = {source = "http", url = ...})')
        if obs.facts.get("pid") or obs.started_at:
            # One instance: the process itself, so "was it really replaced by the restart?" can be checked.
            obs.instances.append(Instance(
                name=f"pid {obs.facts.get('pid') or '?'}", state={"running": "running", "stopped": "exited"}.get(
                    obs.state, obs.state), healthy=obs.healthy, started_at=obs.started_at,
                restart_count=obs.restart_count, oom_killed=obs.oom_killed or None,
                exit_code=as_int(pick(data, "exit_code")), revision=obs.revision))
        obs.facts["notes"] = notes
        return obs

    @staticmethod
    def _fill(obs: Observation, data: dict[str, Any]) -> None:
        state = as_state(pick(data, "state"))
        pid = as_int(pick(data, "pid"))
        if state is None and pid:
            state = "running" if process_alive(pid) else "stopped"
            if state == "stopped":
                obs.problems.append(f"pid {pid} is not running")
        obs.state = state or "unknown"
        if pick(data, "state") is not None and obs.state == "unknown":
            obs.problems.append(f"state {pick(data, 'state')!r} is not one deploystate knows")
        started = pick(data, "started_at")
        parsed = parse_time(str(started)) if started else None
        obs.started_at = iso(parsed) if parsed else None
        obs.healthy = as_bool(pick(data, "healthy"))
        obs.restart_count = as_int(pick(data, "restart_count"))
        obs.oom_killed = bool(as_bool(pick(data, "oom_killed"))) or as_int(pick(data, "exit_code")) == 137
        if obs.oom_killed:
            obs.problems.append("the process was killed for memory (OOM, exit 137)")
        if obs.healthy is False:
            obs.problems.append("the process reports itself unhealthy")
        if obs.state == "stopped" and not any("not running" in p for p in obs.problems):
            obs.problems.append("the process is not running")
        obs.facts = {**{k: str(v)[:200] for k, v in list(data.items())[:20]}, "pid": pid if pid else None}

    # -- logs --------------------------------------------------------------------------------------
    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        from datetime import timezone  # here: observing a service (every `state`) reads no time

        cfg = self._cfg(svc)
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        if cfg.logs_cmd:
            return self._logs_cmd(svc, cfg, since, previous, timeout)
        path = self._log_path(svc, cfg)
        if path is None:
            raise PlatformError(f"command service {svc.name!r} has no logs_cmd or log_file",
                                "set log_file (the file the process writes) or logs_cmd in deploystate.toml")
        return self._log_file(svc, path, since, previous)

    def _logs_cmd(self, svc: ServiceRef, cfg: CommandService, since: datetime | None, previous: bool,
                  timeout: float) -> Iterator[str]:
        from datetime import datetime, timezone

        moment = since or datetime.fromtimestamp(0, tz=timezone.utc)
        values = {"{since}": iso(moment).replace(".000000Z", "Z"), "{since_epoch}": f"@{int(moment.timestamp())}"}
        argv = [values.get(a, a) for a in cfg.logs_cmd or []]
        res = self._run(svc, argv, timeout, "logs_cmd", {"DEPLOYSTATE_SINCE": values["{since}"],
                                                         "DEPLOYSTATE_PREVIOUS": "1" if previous else "0"})
        if not res.ok:
            raise PlatformError(f"logs_cmd for {svc.name!r} exited {res.returncode}: {res.stderr.strip()[-300:]}",
                                "run the command by hand and fix it in deploystate.toml")
        return filter_since(res.stdout.splitlines(), since, keep_leading=True)

    def _restart_position(self, svc: ServiceRef) -> dict[str, Any]:
        mine = self._offsets.get((str(svc.root), svc.name))
        if mine:
            return mine
        from deploystate.platforms import recorded

        entry = recorded.last_deploy(svc.root, svc.name)
        ids = entry.get("platform_ids") or {}
        return {k: ids.get(k) for k in ("log_offset", "log_inode", "log_started_at")} if "log_offset" in ids else {}

    def _log_file(self, svc: ServiceRef, path: Path, since: datetime | None, previous: bool) -> Iterator[str]:
        from .command_logs import read_log_file

        return read_log_file(path, self._restart_position(svc), since, previous)


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent to reap it counts as gone: a
    container's PID 1 often never reaps, and a dead service must not look running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal check is the evidence there is
    return state != "Z"
