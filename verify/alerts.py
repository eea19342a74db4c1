"""Alerts that live outside the app: an optional webhook deploystate itself calls on a failed or
inconclusive verification and on a NO-GO (incident 7: alerting deployed with the app died with it).

One JSON body fits both Discord (``content``) and Slack incoming webhooks (``text``). Messages are
redacted and cut to Discord's 2,000 characters (Slack truncates ``text`` past 40,000 and asks for at
most 4,000) with a visible marker. Both answer a burst with HTTP 429 and ``Retry-After`` (seconds;
Discord also puts ``retry_after`` in the JSON body): the alert waits that long and tries again, within a
bounded number of tries and total wait, so a throttled webhook never hangs a verification. A webhook
that fails is reported on stderr and never fails the command that called it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

from deploystate.state.ledger.redact import redact

LIMIT = 2000
MARKER = "\n… [truncated by deploystate]"
TIMEOUT = 5.0
TRIES = 3            # the first POST and two retries after a 429
MAX_WAIT = 10.0      # total seconds an alert may wait for Retry-After before giving up


def fit(text: str, limit: int = LIMIT) -> str:
    """Redacted ``text`` no longer than ``limit`` characters, ending with a marker when cut."""
    text = redact(text)
    if len(text) <= limit:
        return text
    return text[: limit - len(MARKER)].rstrip() + MARKER


def payload(text: str) -> dict[str, str]:
    body = fit(text)
    return {"content": body, "text": body}


def retry_after(headers: dict[str, str] | None, body: bytes, now: float | None = None) -> float | None:
    """Seconds to wait from a 429's ``Retry-After`` (seconds or an HTTP date) or a JSON ``retry_after``
    (pure given its arguments; None when the answer names no wait)."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime  # here: a verify that sends nothing never loads email

            try:
                when = parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
            return max(0.0, when - (time.time() if now is None else now))
    try:
        got = json.loads(body or b"{}").get("retry_after")
    except (ValueError, AttributeError):
        return None
    return max(0.0, float(got)) if isinstance(got, (int, float)) and not isinstance(got, bool) else None


def send(url: str | None, text: str, *, timeout: float = TIMEOUT, sleep: Callable[[float], None] = time.sleep,
         max_wait: float = MAX_WAIT) -> str | None:
    """POST the alert; return None on success or when no webhook is configured, else what went wrong."""
    if not url:
        return None
    import urllib.error  # here, not at the top: verify imports this module and mostly sends nothing
    import urllib.request
    from urllib.parse import urlsplit

    if urlsplit(url).scheme not in ("http", "https"):
        problem = "alert_webhook must be an http(s) URL"
        print(f"deploystate: alert not sent: {problem}", file=sys.stderr)
        return problem
    data = json.dumps(payload(text)).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "deploystate-alert"})
    waited, problem = 0.0, ""
    for _ in range(TRIES):
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked above)
                resp.read(4096)
            return None
        except urllib.error.HTTPError as exc:
            problem = f"webhook answered HTTP {exc.code}"
            if exc.code != 429:
                break
            wait = retry_after(dict(exc.headers or {}), _body(exc))
            if wait is None:
                wait = 1.0  # throttled without a hint: Slack's documented pace is one message a second
            if waited + wait > max_wait:
                problem = f"webhook throttled (HTTP 429, Retry-After {wait:g}s is past the {max_wait:g}s bound)"
                break
            sleep(wait)
            waited += wait
            problem = f"webhook still throttled (HTTP 429) after waiting {waited:g}s"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = f"webhook unreachable: {getattr(exc, 'reason', exc)}"
            break
    # The URL itself often carries a token (Discord/Slack webhook paths): never print it.
    print(f"deploystate: alert not sent ({problem}); the verdict is recorded in the ledger", file=sys.stderr)
    return problem


def _body(exc: Any) -> bytes:  # a urllib.error.HTTPError
    try:
        return exc.read(4096) or b""
    except OSError:
        return b""
