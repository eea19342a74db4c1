"""``http``: request a URL and judge status, body and headers, retrying within the check's timeout.

Consistent rule (docs/verification.md): an answer from the service is evidence,
so a wrong status (a 500 when 200 is expected) or body FAILS once the retries
are used up; no answer at all (refused, reset, timed out, DNS) is
INCONCLUSIVE: the service could not be observed.
"""

from __future__ import annotations

import base64
import re
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit, urlunsplit

from deploystate.state.config.checks import HttpCheck

from ..context import CheckContext
from ..result import Measurement, clip, failed, inconclusive, passed

MAX_BODY = 1024 * 1024
USER_AGENT = "deploystate-verify"


class _NoAnswer(Exception):
    pass


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """urllib cannot take ``user:pass@host``: move the credentials into a Basic Authorization header."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def _fetch(check: HttpCheck, timeout: float) -> tuple[int, str, dict[str, str]]:
    url, auth = _split_credentials(check.url)
    req = urllib.request.Request(url, method=check.method,
                                 headers={"User-Agent": USER_AGENT, **auth, **check.headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked by the caller)
            return resp.status, resp.read(MAX_BODY).decode("utf-8", "replace"), dict(resp.headers.items())
    except urllib.error.HTTPError as exc:  # a 4xx/5xx is an answer, not an outage
        try:
            body = exc.read(MAX_BODY).decode("utf-8", "replace")
        except (OSError, ValueError):
            body = ""
        return exc.code, body, dict(exc.headers.items()) if exc.headers else {}
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _NoAnswer(f"{type(reason).__name__}: {reason}") from exc


def _judge(check: HttpCheck, status: int, body: str, headers: dict[str, str]) -> Measurement:
    evidence = {"url": check.url, "status": status, "body": clip(body.strip(), 300)}
    if status != check.expect_status:
        return failed(f"{check.method} {check.url} answered {status}, expected {check.expect_status}", **evidence)
    if check.body_contains is not None and check.body_contains not in body:
        return failed(f"body does not contain {check.body_contains!r}", **evidence)
    if check.body_regex:
        try:
            if not re.search(check.body_regex, body, re.M):
                return failed(f"body does not match {check.body_regex!r}", **evidence)
        except re.error as exc:
            return inconclusive(f"body_regex is not a valid regex: {exc}", **evidence)
    lower = {k.lower(): v for k, v in headers.items()}
    for name, want in check.expect_headers.items():
        got = lower.get(name.lower())
        if got is None or want not in got:
            return failed(f"header {name} is {got!r}, expected it to contain {want!r}",
                          **evidence, headers={name: got})
    return passed(f"{check.method} {check.url} answered {status}", **evidence)


def measure(check: HttpCheck, ctx: CheckContext, timeout: float) -> Measurement:
    if urlsplit(check.url).scheme not in ("http", "https"):
        return inconclusive(f"{check.url!r} is not an http(s) URL", url=check.url)
    end = time.monotonic() + timeout
    attempts: list[str] = []
    last: Measurement | None = None
    for attempt in range(check.retries + 1):
        remaining = end - time.monotonic()
        if remaining <= 0.05:
            break
        try:
            status, body, headers = _fetch(check, remaining)
            last = _judge(check, status, body, headers)
            attempts.append(str(status))
        except _NoAnswer as exc:
            last = inconclusive(f"no answer from {check.url}: {exc}", url=check.url, error=str(exc))
            attempts.append("no answer")
        if last.result == "pass" or attempt == check.retries:
            break
        delay = min(check.retry_delay * (2 ** attempt), 10.0, max(0.0, end - time.monotonic() - 0.05))
        if ctx.cancel.wait(delay):
            break
    if last is None:
        return inconclusive(f"no time left to request {check.url}", url=check.url)
    last.evidence["attempts"] = attempts
    return last
