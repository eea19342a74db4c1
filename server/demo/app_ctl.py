"""The demo application's control script, ``ops/ctl.py``, as text (see ``app_files``): deploystate runs it
as the demo services' ``restart_cmd`` and ``observe_cmd``."""

CTL = r'''#!/usr/bin/env python3
"""Start, stop and inspect the demo's processes (what systemd or supervisord does for a real app).

    python3 ops/ctl.py start|stop|restart|status NAME     (NAME: api or worker)
    python3 ops/ctl.py stop-all

deploystate runs `restart NAME` as restart_cmd and `status NAME` as observe_cmd (it prints JSON).
Each process gets its own session, stdin from /dev/null and a fresh run/NAME.log (the previous run's
log is kept as run/NAME.log.1), so nobody waits on its output and the log holds only this run.
`restart` returns once the new process is ready, or fails if it died.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run"
PROGRAMS = {"api": "api/server.py", "worker": "worker/worker.py"}
GRACE = 3.0   # seconds between SIGTERM and SIGKILL
READY = 10.0  # seconds a new process has to become ready


def port() -> str:
    return (RUN / "port").read_text().strip()


def pid_of(name):
    """The pid of NAME's process, or None (no pid file, gone, or a zombie nobody reaped yet)."""
    try:
        pid = int((RUN / f"{name}.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except (OSError, IndexError):
        pass
    return pid


def stop(name) -> int:
    pid = pid_of(name)
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: the whole group goes
        except OSError:
            pass
        deadline = time.monotonic() + GRACE
        while pid_of(name) == pid and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_of(name) == pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    (RUN / f"{name}.pid").unlink(missing_ok=True)
    return 0


def ready(name, proc) -> bool:
    deadline = time.monotonic() + READY
    alive_since = time.monotonic()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if name == "api":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port()}/health", timeout=1) as resp:
                    if resp.status == 200:
                        return True
            except OSError:
                pass
        elif time.monotonic() - alive_since > 0.3:
            return True
        time.sleep(0.02)
    return False


def start(name) -> int:
    if name not in PROGRAMS:
        print(f"unknown process {name!r}: use one of {', '.join(PROGRAMS)}", file=sys.stderr)
        return 2
    RUN.mkdir(exist_ok=True)
    if pid_of(name):
        return 0
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    log_path = RUN / f"{name}.log"
    if log_path.exists():
        os.replace(log_path, RUN / f"{name}.log.1")
    env = {**os.environ, "APP_REVISION": revision, "API_PORT": port(), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / PROGRAMS[name])], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    (RUN / f"{name}.pid").write_text(str(proc.pid))
    (RUN / f"{name}.started").write_text(datetime.now(timezone.utc).isoformat())
    (RUN / f"{name}.revision").write_text(revision)
    with open(RUN / "started.pids", "a") as pids:  # every process ever started, for a clean stop
        pids.write(f"{proc.pid} {name}\n")
    if not ready(name, proc):
        stop(name)
        print(f"{name} did not become ready; see {log_path}", file=sys.stderr)
        return 1
    return 0


def status(name) -> int:
    pid = pid_of(name)
    info = {"state": "running" if pid else "stopped", "pid": pid}
    if pid:
        info["started_at"] = (RUN / f"{name}.started").read_text().strip()
        info["revision"] = (RUN / f"{name}.revision").read_text().strip()
    print(json.dumps(info))
    return 0


def main(argv) -> int:
    if argv == ["stop-all"]:
        for name in PROGRAMS:
            stop(name)
        return 0
    actions = {"start": start, "stop": stop, "status": status, "restart": lambda n: stop(n) or start(n)}
    if len(argv) != 2 or argv[0] not in actions:
        print(__doc__, file=sys.stderr)
        return 2
    return actions[argv[0]](argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''
