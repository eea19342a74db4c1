"""The demo's tiny application, embedded as text so a plain ``pip install .`` ships it.

Two services run as real local processes: an HTTP API (``api/server.py``: ``/health``,
``/version`` with the commit it was started from, a decision every 0.2 s made by the "RL model"
or by a fallback rule) and a worker (``worker/worker.py``: a job every 0.2 s). ``ops/ctl.py`` is
the control script a real app would ship for systemd or supervisord; deploystate uses it as
``restart_cmd`` and ``observe_cmd``. Only the standard library is used.

The story edits the application with the small functions at the bottom (each returns the new
text of one file), so every step is a real commit of a real change.
"""

from __future__ import annotations

from .app_ctl import CTL

API = r'''"""The demo API: /health, /version (the commit it was started from), and a decision every 0.2 s
made by the RL model in models/rl.json, or by a fixed fallback rule when the model cannot load."""

import json
import os
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVISION = os.environ.get("APP_REVISION", "unknown")
MODEL_FILE = ROOT / "model.json"


def log(message):
    print(f"{datetime.now(timezone.utc).isoformat()} api {message}", flush=True)


def load_model():
    try:
        model = json.loads(MODEL_FILE.read_text())
    except (OSError, ValueError) as exc:
        log(f"could not load the model from {MODEL_FILE.relative_to(ROOT)}: {type(exc).__name__}")
        return None
    log(f"model {model['name']} loaded")
    return model


def decide(model, n):
    if model is None:
        log(f"decision {n}: hold (using fallback rule)")
    else:
        log(f"decision {n}: {model['policy'][n % len(model['policy'])]} (RL model made the decision)")


def decisions(model):
    n = 1
    while True:
        time.sleep(0.2)
        n += 1
        decide(model, n)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/version":
            body = json.dumps({"revision": REVISION}).encode()
        elif self.path == "/health":
            body = b"ok\n"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path == "/version" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # keep the log about decisions


MODEL = load_model()
decide(MODEL, 1)
threading.Thread(target=decisions, args=(MODEL,), daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("API_PORT", "8080"))), Handler)
log(f"serving on port {server.server_address[1]}, revision {REVISION}")
server.serve_forever()
'''

WORKER = r'''"""The demo worker: takes a job every 0.2 s and logs what became of it."""

import os
import sys
import time
import traceback
from datetime import datetime, timezone

REVISION = os.environ.get("APP_REVISION", "unknown")
RETRIES = 0


def log(message):
    print(f"{datetime.now(timezone.utc).isoformat()} worker {message}", flush=True)


def handle(job):
    return sum(job["items"])


log(f"started, revision {REVISION}")
n = 0
while True:
    n += 1
    job = {"id": n, "items": list(range(n % 7 + 1))}
    for attempt in range(RETRIES + 1):
        try:
            handle(job)
            log(f"processed job {n}")
            break
        except Exception:
            if attempt == RETRIES:
                log(f"job {n} failed after {attempt + 1} tries")
                traceback.print_exc(file=sys.stdout)
                sys.stdout.flush()
    time.sleep(0.2)
'''

MODEL = '{"name": "rl-policy-v3", "policy": ["buy", "hold", "sell", "hold"]}\n'

README = """# demo-shop

A tiny two-service application built by `deploystate demo`: `api/` (an HTTP API) and
`worker/` (a background worker), run as local processes by `ops/ctl.py`.
`deploystate.toml` says how deploystate restarts, observes and verifies them.
"""

GITIGNORE = "run/\n.deploystate/projection.json\n.deploystate/audit.jsonl\n"


def initial_files() -> dict[str, str]:
    """The application at its first commit: the API looks for its model in the wrong place."""
    return {"README.md": README, ".gitignore": GITIGNORE, "ops/ctl.py": CTL, "api/server.py": API,
            "worker/worker.py": WORKER, "models/rl.json": MODEL}


def api_model_path(text: str, path: str) -> str:
    """The API with its model file at ``path`` (relative to the repository root)."""
    line = next(ln for ln in text.splitlines() if ln.startswith("MODEL_FILE = "))
    return text.replace(line, f'MODEL_FILE = ROOT / "{path}"')


def worker_batch_from_job(text: str) -> str:
    """A worker change that takes a batch size the jobs do not carry: ``range`` with a step of 0 raises
    ValueError on every job."""
    return text.replace('    return sum(job["items"])',
                        '    size = job.get("batch_size", 0)  # each job may choose its batch size\n'
                        '    items = job["items"]\n'
                        '    return [sum(items[i:i + size]) for i in range(0, len(items), size)]')


def worker_retries(text: str, retries: int) -> str:
    line = next(ln for ln in text.splitlines() if ln.startswith("RETRIES = "))
    return text.replace(line, f"RETRIES = {retries}")
