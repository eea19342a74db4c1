"""``http`` against a real HTTP server on loopback and ``command`` with real processes."""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
from tests.timing import GENEROUS, HANG

from deploystate.state.config.checks import CommandCheck, HttpCheck
from deploystate.verify.context import CheckContext
from deploystate.verify.runner import Job, run_jobs

Route = Callable[[BaseHTTPRequestHandler], tuple[int, str, dict[str, str]]]


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                status, body, headers = outer.routes[self.path](self)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 with routes the test sets."""
    s = Server()
    yield s
    s.close()


def run_one(check, deadline: float = 10.0):  # noqa: ANN001, ANN201
    return run_jobs([Job(check.label(), check, CheckContext(root=Path(".")), None)], deadline=deadline)[0]


def test_http_pass_on_expected_status_body_and_headers(server: Server) -> None:
    """200 with the expected body substring, regex and header passes."""
    server.routes["/health"] = lambda h: (200, '{"status": "ok", "model": "rl-v7"}',
                                          {"Content-Type": "application/json"})
    res = run_one(HttpCheck(url=server.url + "/health", body_contains='"ok"', body_regex=r"rl-v\d+",
                            expect_headers={"content-type": "json"}))
    assert res.result == "pass" and res.evidence["status"] == 200


def test_http_wrong_body_or_header_fails(server: Server) -> None:
    """An answer whose body or header is wrong is evidence of breakage: fail."""
    server.routes["/h"] = lambda h: (200, "degraded: using fallback", {"Content-Type": "text/plain"})
    assert run_one(HttpCheck(url=server.url + "/h", body_contains="ok", retries=0)).result == "fail"
    res = run_one(HttpCheck(url=server.url + "/h", expect_headers={"Content-Type": "json"}, retries=0))
    assert res.result == "fail" and "Content-Type" in res.summary


def test_http_500_fails_after_retries(server: Server) -> None:
    """A persistent HTTP 500 (the service answered, wrongly) fails once the retries are used up."""
    server.routes["/h"] = lambda h: (500, "Internal Server Error", {})
    res = run_one(HttpCheck(url=server.url + "/h", retries=2, retry_delay=0.05))
    assert res.result == "fail" and "answered 500" in res.summary
    assert server.hits["/h"] == 3 and res.evidence["attempts"] == ["500", "500", "500"]


def test_http_retries_until_the_service_is_up(server: Server) -> None:
    """503 while warming up, then 200: retries within the timeout make it pass."""
    server.routes["/h"] = lambda h: (503, "starting", {}) if server.hits["/h"] < 3 else (200, "ok", {})
    res = run_one(HttpCheck(url=server.url + "/h", retries=5, retry_delay=0.05))
    assert res.result == "pass" and res.evidence["attempts"] == ["503", "503", "200"]


def test_http_connection_refused_is_inconclusive() -> None:
    """Nothing listening: no evidence either way, inconclusive (never pass)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_one(HttpCheck(url=f"http://127.0.0.1:{port}/h", retries=1, retry_delay=0.05))
    assert res.result == "inconclusive" and "no answer" in res.summary


def test_http_hung_endpoint_is_inconclusive_by_the_deadline(server: Server) -> None:
    """An endpoint that never answers: inconclusive, and the verdict arrives by the deadline."""
    server.routes["/hang"] = lambda h: (server.release.wait(HANG), (200, "late", {}))[1]
    t0 = time.monotonic()
    res = run_one(HttpCheck(url=server.url + "/hang", timeout=HANG, retries=0), deadline=2)
    assert res.result == "inconclusive" and "deadline" in res.summary, res.summary
    assert time.monotonic() - t0 < GENEROUS


def test_http_check_timeout_shorter_than_deadline(server: Server) -> None:
    """A per-check timeout cuts a slow answer to inconclusive well before the overall deadline."""
    server.routes["/slow"] = lambda h: (server.release.wait(HANG), (200, "late", {}))[1]
    t0 = time.monotonic()
    res = run_one(HttpCheck(url=server.url + "/slow", timeout=2, retries=0), deadline=HANG)
    assert res.result == "inconclusive" and "deadline" not in res.summary, res.summary
    assert time.monotonic() - t0 < GENEROUS


def test_http_credentials_in_url_are_redacted(server: Server) -> None:
    """A URL with user:password authenticates (Basic) and is never shown with the password."""
    server.routes["/h"] = lambda h: (200, "ok", {}) if h.headers.get("Authorization", "").startswith("Basic ") \
        else (401, "who are you", {})
    url = server.url.replace("http://", "http://admin:hunter2pass@") + "/h"
    res = run_one(HttpCheck(url=url, retries=0))
    assert res.result == "pass"
    assert "hunter2pass" not in res.model_dump_json()


def test_command_check_exit_code_and_stdout_regex() -> None:
    """Real processes: expected exit and matching stdout pass; a mismatch fails."""
    py = sys.executable
    ok = CommandCheck(argv=[py, "-c", "print('celery@worker1: OK\\n  - empty -')"], stdout_regex=r"celery@\w+: OK")
    assert run_one(ok).result == "pass"
    assert run_one(CommandCheck(argv=[py, "-c", "import sys; sys.exit(3)"])).result == "fail"
    assert run_one(CommandCheck(argv=[py, "-c", "import sys; sys.exit(3)"], expect_exit=3)).result == "pass"
    res = run_one(CommandCheck(argv=[py, "-c", "print('Error: No nodes replied within time constraint')"],
                               stdout_regex="OK"))
    assert res.result == "fail" and "No nodes replied" in res.evidence["stdout"]


def test_command_check_missing_program_or_timeout_is_inconclusive() -> None:
    """A program that is not installed, or that runs past its timeout, is inconclusive."""
    assert run_one(CommandCheck(argv=["no-such-program-xyz"])).result == "inconclusive"
    t0 = time.monotonic()
    res = run_one(CommandCheck(argv=[sys.executable, "-c", "import time; time.sleep(600)"], timeout=2))
    assert res.result == "inconclusive" and time.monotonic() - t0 < GENEROUS


def test_command_output_secrets_are_redacted() -> None:
    """Secrets a command prints never reach the evidence."""
    res = run_one(CommandCheck(argv=[sys.executable, "-c", "print('STRIPE_SECRET=sk_live_abcdefgh12345678')"]))
    assert "sk_live_abcdefgh12345678" not in res.model_dump_json()
