"""A stand-in for CI behind a bare remote's post-receive hook (tests only).

post-receive starts this script detached and returns at once, as a CI webhook would; the script then
"deploys" the pushed commit after a delay: for the command platform it writes the state file the
service's observe_cmd reads (mode deploy/broken), or it does nothing (mode never). The compose variant
builds an image labelled with the commit and recreates the service (see test_ci_deploys_docker.py).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

POST_RECEIVE = """#!/bin/sh
# deploystate tests: a CI that deploys what was pushed, in the background
while read old new ref; do
  "{python}" "{script}" "{mode_file}" "$new" </dev/null >/dev/null 2>&1 &
done
exit 0
"""


def install(bare: Path, target: Path, mode: str, delay: float = 1.0, extra: dict | None = None) -> Path:
    """Install the post-receive hook on ``bare``; ``target`` is where the 'deployment' happens."""
    mode_file = bare / "ci-mode.json"
    mode_file.write_text(json.dumps({"mode": mode, "delay": delay, "target": str(target), **(extra or {})}))
    hook = bare / "hooks" / "post-receive"
    hook.write_text(POST_RECEIVE.format(python=sys.executable, script=__file__, mode_file=mode_file))
    hook.chmod(0o755)
    return mode_file


def main(mode_file: str, commit: str) -> None:
    cfg = json.loads(Path(mode_file).read_text())
    time.sleep(float(cfg.get("delay", 1.0)))
    target = Path(cfg["target"])
    if cfg["mode"] in ("deploy", "broken"):
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        run = target / "run"
        run.mkdir(exist_ok=True)
        line = "Traceback (most recent call last): boom" if cfg["mode"] == "broken" else "RL model made a decision"
        with open(run / "api.log", "a") as log:
            log.write(f"{started} api {commit[:12]} started\n{started} {line}\n")
        tmp = run / "api.state.tmp"
        tmp.write_text(f"state=running\nrevision={commit}\nstarted_at={started}\n")
        tmp.replace(run / "api.state")
    elif cfg["mode"] == "compose":
        subprocess.run([sys.executable, cfg["builder"], commit], check=False, timeout=300)
    (Path(mode_file).parent / f"ci-done-{commit[:12]}").write_text(cfg["mode"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
