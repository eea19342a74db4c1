"""A tiny background worker for tests: logs a line (no timestamp on the second one) every 0.2 s."""

import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = Path.cwd()
REVISION = os.environ.get("APP_REVISION") or subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
(APP / "run").mkdir(exist_ok=True)
(APP / "run" / "worker.revision").write_text(REVISION)
print(f"{datetime.now(timezone.utc).isoformat()} worker started revision {REVISION}", flush=True)
while True:
    print(f"{datetime.now(timezone.utc).isoformat()} worker tick", flush=True)
    print("  (continuation line without a timestamp)", flush=True)
    time.sleep(0.2)
