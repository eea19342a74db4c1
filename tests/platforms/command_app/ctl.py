#!/usr/bin/env python3
"""The control script a small app ships so deploystate (or a person) can manage its processes.

    python3 app/ctl.py start|stop|restart|status|rollback NAME

``restart`` stops the running process (SIGTERM, then SIGKILL after a grace period) and starts a
new one fully detached: its own session, stdin from /dev/null, stdout and stderr appended to
run/NAME.log. A detached process that kept the caller's stdout would keep the caller waiting.
It then waits until the new process is ready (the API answers /health, the worker is alive) and
fails loudly if it died. ``status`` prints JSON for deploystate's observe_cmd. ``rollback`` starts
the files of revision $DEPLOYSTATE_ROLLBACK_TO (extracted with git) instead of the working tree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

APP = Path(__file__).resolve().parent
RUN = APP / "run"
GRACE = 5.0          # seconds between SIGTERM and SIGKILL
READY = 10.0         # seconds a new process has to become ready


def port() -> int:
    return int((APP / "port").read_text().strip())


def program(name: str, root: Path) -> list[str]:
    scripts = {"api": [sys.executable, str(root / "server.py")], "worker": [sys.executable, str(root / "worker.py")]}
    if name not in scripts:
        sys.exit(f"unknown process {name!r}: use one of {', '.join(scripts)}")
    return scripts[name]


def pid_of(name: str) -> int | None:
    """The pid of NAME's running process, or None (no pid file, gone, or a zombie waiting to be reaped)."""
    try:
        pid = int((RUN / f"{name}.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except (OSError, IndexError):
        pass  # no /proc (macOS): kill(pid, 0) is the best evidence there is
    return pid


def stop(name: str) -> None:
    pid = pid_of(name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        while pid_of(name) == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_of(name) == pid:
            os.kill(pid, signal.SIGKILL)
    (RUN / f"{name}.pid").unlink(missing_ok=True)


def ready(name: str, proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + READY
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if name != "api":
            if time.monotonic() > deadline - READY + 0.3:
                return True
        else:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port()}/health", timeout=1) as resp:
                    return resp.status == 200
            except OSError:
                pass
        time.sleep(0.05)
    return False


def start(name: str, root: Path = APP, env: dict[str, str] | None = None) -> int:
    RUN.mkdir(exist_ok=True)
    if pid_of(name):
        return 0
    with open(RUN / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(program(name, root), cwd=APP, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})})
    (RUN / f"{name}.pid").write_text(str(proc.pid))
    (RUN / f"{name}.started").write_text(datetime.now(timezone.utc).isoformat())
    if not ready(name, proc):
        stop(name)
        print(f"{name} did not become ready; see {RUN / (name + '.log')}", file=sys.stderr)
        return 1
    return 0


def status(name: str) -> int:
    pid = pid_of(name)
    info: dict[str, object] = {"state": "running" if pid else "stopped", "pid": pid}
    if pid:
        info["started_at"] = (RUN / f"{name}.started").read_text().strip()
        rev = RUN / f"{name}.revision"
        info["revision"] = rev.read_text().strip() if rev.exists() else None
    print(json.dumps(info))
    return 0


def rollback(name: str) -> int:
    rev = os.environ.get("DEPLOYSTATE_ROLLBACK_TO", "")
    if not rev or rev.startswith("-"):
        print("DEPLOYSTATE_ROLLBACK_TO must name a revision", file=sys.stderr)
        return 2
    release = RUN / "releases" / rev
    release.mkdir(parents=True, exist_ok=True)
    top = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=APP, capture_output=True, text=True,
                         check=True).stdout.strip()
    for script in ("server.py", "worker.py"):
        body = subprocess.run(["git", "show", f"{rev}:{top}{script}"], cwd=APP, capture_output=True, check=True)
        (release / script).write_bytes(body.stdout)
    stop(name)
    return start(name, release, {"APP_REVISION": rev})


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    action, name = argv
    if action == "restart":
        stop(name)
        return start(name)
    actions = {"start": start, "stop": lambda n: stop(n) or 0, "status": status, "rollback": rollback}
    if action not in actions:
        print(__doc__, file=sys.stderr)
        return 2
    return actions[action](name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
