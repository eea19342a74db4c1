"""A tiny "application" managed through the command platform by real processes (copied into test repos).

``build`` bakes HEAD's commit into the "image"; ``restart`` starts the baked revision (a restart without a
build keeps running the old code: incident 1) and writes timestamped log lines according to ``run/mode``:
``ok`` (the RL model path), ``fallback`` (incident 3) or ``oom`` (killed, exit 137: incident 5).
``observe`` prints the process facts as JSON for ``observe_cmd``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RUN = Path("run")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main() -> int:
    RUN.mkdir(exist_ok=True)
    state_path, log = RUN / "state.json", RUN / "app.log"
    cmd = sys.argv[1]
    if cmd == "build":
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
        (RUN / "built").write_text(head.strip())
        return 0
    if cmd == "observe":
        print(state_path.read_text() if state_path.exists() else json.dumps({"state": "stopped"}))
        return 0
    if cmd == "restart":
        built = (RUN / "built").read_text().strip()
        mode = (RUN / "mode").read_text().strip() if (RUN / "mode").exists() else "ok"
        previous = json.loads(state_path.read_text()) if state_path.exists() else {}
        state = {"state": "running", "revision": built, "started_at": now(),
                 "restart_count": previous.get("restart_count", 0)}
        lines = [f"{now()} app {built[:7]} started",
                 f"{now()} connecting to broker with API_TOKEN=supersecret123456789"]
        if mode == "ok":
            lines.append(f"{now()} RL model made decision BUY AAPL")
        elif mode == "fallback":
            lines.append(f"{now()} ERROR model endpoint failed; using fallback for AAPL")
        elif mode == "oom":
            state.update(state="stopped", exit_code=137, oom_killed=True)
            lines.append(f"{now()} Killed")
        with log.open("a") as fh:
            fh.write("\n".join(lines) + "\n")
        state_path.write_text(json.dumps(state))
        return 0
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
