"""The running-revision reader: labels, environment, image tags and a real local HTTP /version endpoint."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from typing import Iterator

import pytest
from tests.timing import GENEROUS, HANG

from deploystate.platforms.revision import (agree, clean, from_body, image_tag, read_revision, same_revision,
                                            RevisionReading)
from deploystate.state.config.config import Revision

SHA = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"


def test_label_is_the_default_source() -> None:
    """With no configuration the revision is the org.opencontainers.image.revision label."""
    reading = read_revision(Revision(), labels={"org.opencontainers.image.revision": SHA})
    assert reading.value == SHA and reading.source == "label org.opencontainers.image.revision"


def test_missing_or_empty_label_says_why() -> None:
    """An absent or empty label gives no revision and an error naming the label."""
    missing = read_revision(Revision(), labels={})
    empty = read_revision(Revision(), labels={"org.opencontainers.image.revision": "  "})
    assert missing.value is None and "org.opencontainers.image.revision" in (missing.error or "")
    assert empty.value is None and "empty" in (empty.error or "")


def test_env_source_reads_docker_style_and_mapping_env() -> None:
    """An environment variable is read from a ["K=V"] list or a mapping."""
    cfg = Revision(source="env", name="GIT_SHA")
    assert read_revision(cfg, env=["PATH=/bin", f"GIT_SHA={SHA}"]).value == SHA
    assert read_revision(cfg, env={"GIT_SHA": "abc1234"}).value == "abc1234"
    assert read_revision(cfg, env=["GIT_SHAX=1"]).error == "no environment variable 'GIT_SHA' in the container"


def test_image_tag_pattern_ignores_registry_port_and_digest() -> None:
    """The tag pattern reads the tag only: a registry port or a digest's hex is never taken for a commit."""
    cfg = Revision(source="image_tag")
    assert read_revision(cfg, image="registry:5000/team/app:abc1234").value == "abc1234"
    pinned = read_revision(cfg, image="registry:5000/app@sha256:" + "ab" * 32)
    assert pinned.value is None and "no tag" in (pinned.error or "")
    assert read_revision(cfg, image="app:latest").value is None
    custom = Revision(source="image_tag", pattern=r"^v[\d.]+-(?P<rev>[0-9a-f]{7,40})$")
    assert read_revision(custom, image="app:v1.2.0-deadbee").value == "deadbee"
    assert image_tag("sha256:" + "0" * 64) is None


def test_body_parsing_and_cleaning() -> None:
    """A version body yields the JSON key (dotted) or the first line; non-revisions are refused."""
    assert from_body('{"build": {"commit": "abc1234"}}', "build.commit") == "abc1234"
    assert from_body("abc1234\nbuilt at noon\n", None) == "abc1234"
    assert from_body("not json", "commit") is None
    assert from_body('{"commit": ["x"]}', "commit") is None
    assert clean("two words") is None and clean("x" * 200) is None and clean(" v1.2 ") == "v1.2"


def test_same_revision_matches_prefixes_of_seven_or_more() -> None:
    """A short sha names its full commit; shorter than 7 characters or different commits never match."""
    assert same_revision(SHA[:7], SHA) and same_revision(SHA, SHA[:12].upper())
    assert not same_revision(SHA[:6], SHA)
    assert not same_revision("abc1234", SHA) and not same_revision(None, SHA)


def test_instances_that_disagree_have_no_single_revision() -> None:
    """Two instances on different revisions give no revision and a problem naming both."""
    rev, problems = agree([("a", RevisionReading("aaa1111", "s")), ("b", RevisionReading("bbb2222", "s"))])
    assert rev is None and "aaa1111 on a" in problems[0] and "bbb2222 on b" in problems[0]
    rev, problems = agree([("a", RevisionReading("aaa1111", "s")), ("b", RevisionReading("aaa1111", "s"))])
    assert rev == "aaa1111" and problems == []


RELEASE = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path == "/slow":
            RELEASE.wait(HANG)   # until the module's server stops: only the reader's timeout ends it
        if self.path == "/missing":
            self.send_error(404)
            return
        body = {"/version": f'{{"commit": "{SHA}"}}', "/plain": f"{SHA}\n"}.get(self.path, "")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def version_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    RELEASE.set()
    server.shutdown()
    server.server_close()


def test_http_source_reads_a_real_version_endpoint(version_server: str) -> None:
    """The http source GETs the URL and reads the JSON key, or the first line without one."""
    by_key = read_revision(Revision(source="http", url=f"{version_server}/version", json_key="commit"))
    plain = read_revision(Revision(source="http", url=f"{version_server}/plain"))
    assert by_key.value == SHA and plain.value == SHA
    assert by_key.source == f"http {version_server}/version [commit]"


def test_http_errors_are_readings_not_exceptions(version_server: str) -> None:
    """A 404, a refused port and a slow endpoint each give no revision and an error, within the timeout."""
    not_found = read_revision(Revision(source="http", url=f"{version_server}/missing"))
    assert not_found.value is None and "404" in (not_found.error or "")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    refused = read_revision(Revision(source="http", url=f"http://127.0.0.1:{dead_port}/version"))
    assert refused.value is None and "did not answer" in (refused.error or "")
    t0 = time.monotonic()
    slow = read_revision(Revision(source="http", url=f"{version_server}/slow"), timeout=2)
    assert slow.value is None and time.monotonic() - t0 < GENEROUS


def test_http_fetcher_is_replaceable() -> None:
    """A caller may pass its own fetcher (another transport); it receives the URL and the timeout."""
    calls = []

    def fetch(url: str, timeout: float) -> str:
        calls.append((url, timeout))
        return "abc1234"

    reading = read_revision(Revision(source="http", url="http://127.0.0.1:1/v"), fetch=fetch, timeout=2)
    assert reading.value == "abc1234" and calls == [("http://127.0.0.1:1/v", 2)]


def test_http_source_needs_a_url() -> None:
    """The config refuses an http source without a URL."""
    with pytest.raises(ValueError):
        Revision(source="http")
