"""The last thing each service's runtime said, kept with its time in the state directory (standard library only).

``deploystate state``, ``read_deployment_state`` and ``system_health`` ask every runtime at once under a
short deadline and ``merge`` the answers here; a service whose runtime did not answer keeps its last
answer, with its age, and the reason it did not answer now. Everything else (``--no-observe``, the
state file, the hooks) reads only this file, so no runtime is ever called from a hook.

The file is derived data in a directory of its own with a ``*`` .gitignore. It can only make the
status worse than the ledger's (BROKEN, DRIFT, UNKNOWN); an edited file never marks anything deployed.
The pure ``broken_reason`` says why an answer means "not working"; ``assessment`` decides what an observation
means for the state and its headline.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

from deploystate.jsonlite import loads
from deploystate.ospath import exists, join, norm, read_text
from deploystate.state.ledger.ids import parse_iso

DIR, FILE = "observed", "last.json"
VERSION = 1
MAX_SERVICES = 200
MAX_PROBLEMS = 5
MAX_INSTANCES = 10
MAX_TEXT = 300
CRASH_WINDOW = 600.0   # seconds: a policy restart this recent means the service is still crashing
# instance reasons that mean "not working", whatever the service-level state says
BAD_REASONS = frozenset({"OOMKilled", "Restarting", "Error", "Unhealthy", "CrashLoopBackOff", "ImagePullBackOff",
                         "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
                         "ContainerCannotRun", "Evicted", "DeadlineExceeded", "BackOff", "Failed"})
BAD_STATES = frozenset({"stopped", "missing", "degraded", "exited", "restarting", "failed"})
_KEYS = ("state", "target", "revision", "revision_source", "started_at", "healthy", "restart_count", "oom_killed")


def file_of(state_dir: str | os.PathLike[str]) -> str:
    """The stored observations' file, as a str (the hooks read it without pathlib)."""
    return join(norm(state_dir), DIR, FILE)


def path(state_dir: str | os.PathLike[str]) -> Path:
    from pathlib import Path

    return Path(file_of(state_dir))


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    s = _clean(str(value))
    return s if len(s) <= limit else s[: limit - 1] + "…"


# The same runtime texts come back on every observation of a server's life: each is redacted once
# (``redact`` is pure: the same text always gives the same masked text).
_CLEANED: dict[str, str] = {}


def _clean(text: str) -> str:
    done = _CLEANED.get(text)
    if done is None:
        from deploystate.state.ledger.redact import redact  # its patterns cost a hook process ~3 ms to compile; only a write needs them

        done = redact(" ".join(text.split()))
        if len(_CLEANED) >= 512:
            _CLEANED.clear()
        _CLEANED[text] = done
    return done


def bounded(obs: dict[str, Any]) -> dict[str, Any]:
    """The fields kept of one observation: known keys only, short strings, redacted, few problems."""
    out: dict[str, Any] = {}
    for key in _KEYS:
        v = obs.get(key)
        out[key] = v if v is None or isinstance(v, (bool, int, float)) else _text(v, 120)
    out["problems"] = [_text(p) for p in list(obs.get("problems") or [])[:MAX_PROBLEMS]]
    out["instances"] = [{k: (i.get(k) if isinstance(i.get(k), (bool, int, type(None))) else _text(i.get(k), 120))
                         for k in ("name", "state", "reason", "exit_code", "oom_killed", "healthy", "restart_count")}
                        for i in list(obs.get("instances") or [])[:MAX_INSTANCES] if isinstance(i, dict)]
    return out


def merge(stored: dict[str, Any], fresh: dict[str, dict[str, Any]], at: str) -> dict[str, Any]:
    """``stored`` updated with this round (pure). ``fresh`` maps a service to ``{"obs": {...}}`` or
    ``{"error": why}``; an error keeps the service's last answer and records why there is no new one."""
    services = {k: dict(v) for k, v in (stored.get("services") or {}).items() if isinstance(v, dict)}
    for name, got in fresh.items():
        entry = services.get(name, {})
        if got.get("error") is not None:
            entry.update(error=_text(got["error"]), error_at=at)
        else:
            entry = {"at": at, "obs": bounded(got.get("obs") or {}), "error": None, "error_at": None}
        services[name] = entry
    keep = sorted(services, key=lambda n: (services[n].get("at") or services[n].get("error_at") or ""))
    return {"version": VERSION, "at": at, "services": {n: services[n] for n in sorted(keep[-MAX_SERVICES:])}}


# A process that stays up (the MCP server) may hold its newest observation in memory and write it
# right after its reply (``flush``): the file then lags, and a lagging answer only reads older.
_HOLD = [False]
_HELD: dict[str, dict[str, Any]] = {}


def hold_writes(on: bool) -> None:
    """Keep observations in memory until ``flush`` (on), or write each at once (off, the default)."""
    _HOLD[0] = on
    if not on:
        _HELD.clear()


def keep(state_dir: str | os.PathLike[str], data: dict[str, Any]) -> bool:
    """Store ``data``: held in memory while ``hold_writes`` is on (True), else ``save``d now."""
    if _HOLD[0]:
        _HELD[file_of(state_dir)] = data
        return True
    return save(state_dir, data)


def flush(state_dir: str | os.PathLike[str]) -> bool:
    """Write the held observation of ``state_dir``, if any; True when one was written."""
    data = _HELD.pop(file_of(state_dir), None)
    return data is not None and save(state_dir, data)


def load(state_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The stored observations (this process's held one first); ``{}`` when there are none, or the file
    is unreadable (never trusted more)."""
    held = _HELD.get(file_of(state_dir))
    if held is not None:
        return held
    try:
        data = loads(read_text(file_of(state_dir)))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("services"), dict):
        return {}
    return data


def save(state_dir: str | os.PathLike[str], data: dict[str, Any]) -> bool:
    """Write atomically (temp file + rename); False when the directory is not writable."""
    from deploystate.jsonlite import canonical_encoder  # json's C encoder without the json package (~5M)
    target = file_of(state_dir)
    folder, name = os.path.split(target)
    tmp = join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        text = canonical_encoder()(data)  # sorted, compact: what json.dump wrote, but UTF-8 kept as it is
        os.makedirs(folder, exist_ok=True)
        ignore = join(folder, ".gitignore")
        if not exists(ignore):
            with open(ignore, "w", encoding="utf-8") as fh:
                fh.write("# deploystate: the last observation of each runtime, per clone.\n*\n")
        with open(tmp, "w", encoding="utf-8") as fh:
            # not fsynced: every state read asks the runtimes again, and a file a crash left unreadable
            # reads as "never asked" (unknown), never as a pass
            fh.write(text)
        os.replace(tmp, target)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _seconds(a: str | None, b: str | None) -> float | None:
    try:
        return (parse_iso(str(b)) - parse_iso(str(a))).total_seconds() if a and b else None
    except ValueError:
        return None


def broken_reason(obs: dict[str, Any], at: str | None = None) -> str | None:
    """Why the runtime's own answer says the service is not working, or None (pure).

    Exited, OOM-killed, restarting, crash-looping or unhealthy instances are broken whatever any
    verification said: it is what runs now. Caught between two crashes a looping container is
    "running": restarts by its restart policy with the last start under CRASH_WINDOW before the
    observation (``at``) are a crash loop."""
    insts = [i for i in obs.get("instances") or [] if isinstance(i, dict)]
    bad = obs.get("state") in BAD_STATES or bool(obs.get("oom_killed")) or obs.get("healthy") is False \
        or any(i.get("reason") in BAD_REASONS or i.get("oom_killed") for i in insts)
    up_for = _seconds(obs.get("started_at"), at)
    if not bad and (obs.get("restart_count") or 0) > 0 and up_for is not None and up_for < CRASH_WINDOW:
        return (f"crash-looping: restarted {obs['restart_count']} time(s) by its restart policy, the last "
                f"{int(up_for)} s before it was observed")
    if not bad:
        return None
    words = list(obs.get("problems") or [])[:3]
    if not words:
        words = [f"{i.get('name')}: {i.get('reason')}" for i in insts if i.get("reason")][:3] or \
            [f"the runtime reports it {obs.get('state') or 'not running'}"]
    return "; ".join(words)


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "?"


def findings(project: Any, state: dict[str, Any]) -> dict[str, str]:
    """service -> why its stored runtime answer says it is not deployed (broken, or not running HEAD's
    code), for the hooks: the stored file only, never a runtime. Answers older than the service's last
    deploy record are left out (that deploy may have changed what runs)."""
    stored = load(getattr(project, "state_dirname", None) or project.state_dir).get("services") or {}
    configured = project.service_paths()
    out: dict[str, str] = {}
    judge = None
    for name, entry in sorted(stored.items()):
        obs, at = (entry or {}).get("obs"), (entry or {}).get("at")
        since = (((state.get("services") or {}).get(name) or {}).get("deploy") or {}).get("ts")
        if name not in configured or not obs or not at or (since and at < since):
            continue
        when = f"its runtime said at {at[:16].replace('T', ' ')} UTC"
        why = broken_reason(obs, at)
        if why:
            out[name] = f"{when} that it is not working: {why}."
            continue
        if obs.get("revision"):
            from .headcode import NOT_HEAD, Judge  # git and the path rules, only for a stored revision

            judge = judge or Judge.for_project(project)
            rule = judge.judge(name, obs["revision"])
            if rule.status == NOT_HEAD:
                out[name] = (f"{when} that it runs {_short(rule.running)}, and HEAD's code for {name} is "
                             f"{_short(rule.head)}: committed, not running.")
    return out
