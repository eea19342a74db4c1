"""The last thing each service's runtime said, kept with its time in the state directory (standard library only).

``deploystate state``, ``read_deployment_state`` and ``system_health`` ask every runtime at once under a
short deadline and ``merge`` the answers here; a service whose runtime did not answer keeps its last
answer, with its age, and the reason it did not answer now. Everything else (``--no-observe``, the
state file, the hooks) reads only this file, so no runtime is ever called from a hook.

The file is derived data in a directory of its own with a ``*`` .gitignore. It can only make the
status worse than the ledger's (BROKEN, DRIFT, UNKNOWN); an edited file never marks anything deployed.
The pure ``assess`` and ``status`` decide what an observation means.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from datetime import datetime
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


def age(ts: str | None, now: datetime | None) -> str | None:
    """'12 s', '5 min', '3 h', '2 days' between ``ts`` and ``now`` (None when either is unknown)."""
    if not ts or now is None:
        return None
    try:
        secs = max(0.0, (now - parse_iso(ts)).total_seconds())
    except ValueError:
        return None
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if secs >= size * (2 if unit == "days" else 1):
            return f"{int(secs // size)} {unit}"
    return f"{int(secs)} s"


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


def assess(name: str, entry: dict[str, Any] | None, head: str | None, rule: Any, *,
           since: str | None = None, waiver: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What the stored observation of ``name`` means (pure over its inputs).

    ``rule`` is the verdict of the one "runs HEAD's code" rule (``state.headcode.HeadCode``) for the
    observed revision, or None when there is none to judge. ``since``: the service's last deploy
    record time; an observation older than that no longer tells what runs. ``waiver``: the configured
    reason for not reading a revision. The verdict is one of broken, not_head, runs_head, unknown,
    stale, never."""
    entry = entry or {}
    obs, at = entry.get("obs"), entry.get("at")
    out: dict[str, Any] = {"at": at, "age": age(at, now), "error": entry.get("error"),
                           "error_at": entry.get("error_at"), "state": None, "revision": None, "target": None,
                           "problems": [], "verdict": "never", "reason": "", "files": []}
    if not obs:
        out["reason"] = f"{name}'s runtime has never answered" + (f": {out['error']}" if out["error"] else "")
        return out
    out.update(state=obs.get("state"), revision=obs.get("revision"), target=obs.get("target"),
               problems=list(obs.get("problems") or []))
    if since and at and at < since:
        out.update(verdict="stale", reason=f"observed {out['age'] or ''} ago, before the last deploy")
        return out
    why = broken_reason(obs, at)
    if why:
        out.update(verdict="broken", reason=why)
    elif rule is not None and getattr(rule, "status", None) == "not_head":
        out.update(verdict="not_head", reason=f"{name} runs {_short(getattr(rule, 'running', None) or obs.get('revision'))}"
                   f", HEAD's code for {name} is {_short(head)}", files=list(getattr(rule, "files", ()))[:10])
    elif rule is not None and getattr(rule, "ok", False):
        out.update(verdict="runs_head", reason=str(getattr(rule, "reason", "") or "runs HEAD's code"))
    elif waiver and not obs.get("revision"):   # a waiver covers an unreadable revision, never an unknown one
        out.update(verdict="runs_head", reason=f"running revision not checked (waived: {_text(waiver, 160)})")
    else:
        out.update(verdict="unknown", reason=str(getattr(rule, "reason", "") or f"the running revision of {name} "
                                                 "is unknown"))
    return out


def status(ledger_status: str, ledger_reason: str, services: list[dict[str, Any]]) -> tuple[str, str]:
    """The headline from the ledger's status and each configured service's observation (pure).

    Worst first: DOOM LOOP, BROKEN (ledger or runtime), DRIFT (committed, not running: by the runtime,
    else by the ledger), UNVERIFIED, UNKNOWN (a runtime never answered or its revision is unreadable), OK."""
    if ledger_status == "DOOM LOOP":
        return ledger_status, ledger_reason
    seen = [(s["name"], s.get("observed") or {}) for s in services if s.get("configured", True)]
    broken = [f"{n} ({o['reason']})" for n, o in seen if o.get("verdict") == "broken"]
    by_name = {s["name"]: s for s in services}
    drift = [o["reason"] for _, o in seen if o.get("verdict") == "not_head"]
    drift += [f"{n} runs {_short(by_name[n].get('running_commit'))} (by the ledger)"
              for n, o in seen if o.get("verdict") in ("stale", "never", "unknown")
              and (by_name[n].get("drift") or {}).get("state") == "committed, not running"]
    drifting = ["committed, not running: " + "; ".join(drift)] if drift else []
    if ledger_status == "BROKEN" or broken:
        parts = ([ledger_reason] if ledger_status == "BROKEN" else []) + \
            (["the runtime says " + "; ".join(broken)] if broken else [])
        return "BROKEN", "; ".join(parts + drifting)
    if drift:   # what the ledger also says (a pending or unverified deploy) stays in the reason
        return "DRIFT", drifting[0] + (f"; {ledger_reason}" if ledger_status != "OK" else "")
    if ledger_status != "OK":
        return ledger_status, ledger_reason
    unknown = [f"{n} ({o.get('reason')})" for n, o in seen if o.get("verdict") in ("never", "unknown")]
    if unknown:
        return "UNKNOWN", "what runs is not known for " + "; ".join(unknown)
    return ledger_status, ledger_reason


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
