"""A loopback HTTP endpoint that answers AWS JSON-protocol calls with recorded responses.

For what moto cannot show (a FAILED rollout, two live deployments, an OOM-killed
task, throttling, an API that hangs) the real boto3 client talks to this server:
requests go through botocore's full HTTP, retry and parsing path, and the answers
are the shapes AWS really sends (tests/platforms/recorded/*.json).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).with_name("recorded")
THROTTLED = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text())


class Replay:
    """``answers[operation]`` is a list of (status, body) (the last one repeats) or a function of the request
    body returning one; ``hang`` delays every answer by that many seconds."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.calls: list[tuple[str, dict]] = []
        self.hang = 0.0
        self.released = threading.Event()   # ends every hang when the test is over
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                op = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
                replay.calls.append((op, body))
                if replay.hang:
                    replay.released.wait(replay.hang)
                queue = replay.answers.get(op) or [(400, {"__type": "UnknownOperationException",
                                                          "message": f"no recorded answer for {op}"})]
                if callable(queue):
                    status, payload = queue(body)
                else:
                    status, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (read timeout): nothing to answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "Replay":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.hang = 0.0
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]
