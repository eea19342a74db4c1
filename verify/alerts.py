"""Alerts that live outside the app: an optional webhook deploystate itself calls on a failed or
inconclusive verification and on a NO-GO (incident 7: alerting deployed with the app died with it).

One JSON body fits both Discord (``content``) and Slack incoming webhooks (``text``). Messages are
redacted and cut to Discord's 2,000 characters with a visible marker. A webhook that fails is
reported on stderr and never fails the command that called it.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from deploystate.state.redact import redact

LIMIT = 2000
MARKER = "\n… [truncated by deploystate]"
TIMEOUT = 5.0


def fit(text: str, limit: int = LIMIT) -> str:
    """Redacted ``text`` no longer than ``limit`` characters, ending with a marker when cut."""
    text = redact(text)
    if len(text) <= limit:
        return text
    return text[: limit - len(MARKER)].rstrip() + MARKER


def payload(text: str) -> dict[str, str]:
    body = fit(text)
    return {"content": body, "text": body}


def send(url: str | None, text: str, *, timeout: float = TIMEOUT) -> str | None:
    """POST the alert; return None on success or when no webhook is configured, else what went wrong."""
    if not url:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        problem = "alert_webhook must be an http(s) URL"
        print(f"deploystate: alert not sent: {problem}", file=sys.stderr)
        return problem
    data = json.dumps(payload(text)).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "deploystate-alert"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked above)
            resp.read(4096)
        return None
    except urllib.error.HTTPError as exc:
        problem = f"webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problem = f"webhook unreachable: {getattr(exc, 'reason', exc)}"
    # The URL itself often carries a token (Discord/Slack webhook paths): never print it.
    print(f"deploystate: alert not sent ({problem}); the verdict is recorded in the ledger", file=sys.stderr)
    return problem
