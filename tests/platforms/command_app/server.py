"""A tiny HTTP API for tests: /health, /version (the git commit it started from), logs with ISO timestamps."""

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = Path(os.environ.get("APP_DIR", Path.cwd()))
REVISION = os.environ.get("APP_REVISION") or subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
GREETING = "hello v1"


def log(message: str) -> None:
    print(f"{datetime.now(timezone.utc).isoformat()} api {message}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/version":
            body = json.dumps({"revision": REVISION, "greeting": GREETING}).encode()
        elif self.path == "/health":
            body = b"ok"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args: object) -> None:
        log("request " + (fmt % args))


if (APP / "crash").exists():
    log("starting, then failing on purpose")
    print("Traceback (most recent call last):\n  File \"server.py\"\nRuntimeError: config key MISSING_KEY not set",
          flush=True)
    sys.exit(1)
(APP / "run").mkdir(exist_ok=True)
(APP / "run" / "api.revision").write_text(REVISION)
server = ThreadingHTTPServer(("127.0.0.1", int((APP / "port").read_text())), Handler)
log(f"serving {GREETING} revision {REVISION}")
server.serve_forever()
