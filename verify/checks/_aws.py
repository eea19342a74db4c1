"""boto3 clients with short timeouts and no silent retries, and AWS errors translated for checks.

A throttled, unreachable or garbled AWS API is a fault of the evidence source:
the check is inconclusive (never a pass), and the message says which.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator

from deploystate.state.errors import PlatformError, PlatformUnreachable

THROTTLE_CODES = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                  "TooManyRequestsException", "RequestThrottled", "SlowDown", "RequestThrottledException"}


def client(service: str, *, region: str | None, endpoint_url: str | None, timeout: float) -> Any:
    import boto3
    from botocore.config import Config

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    cfg = Config(connect_timeout=max(0.5, min(timeout, 10.0)), read_timeout=max(0.5, timeout),
                 retries={"max_attempts": 1, "mode": "standard"})
    # A session per client: boto3's default session is not safe to share between check threads.
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint_url, config=cfg)


def error_code(exc: BaseException) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) if hasattr(exc, "response") else ""


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn botocore errors into PlatformUnreachable (throttled / down / garbled) or PlatformError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        if code in THROTTLE_CODES:
            raise PlatformUnreachable(f"{what}: throttled by AWS ({code})",
                                      "verify again in a minute; lower the check frequency") from exc
        msg = exc.response.get("Error", {}).get("Message", "") if hasattr(exc, "response") else ""
        raise PlatformError(f"{what}: {code or 'error'}: {msg or exc}"[:500],
                            "check the name, region and permissions in deploystate.toml") from exc
    except BotoCoreError as exc:  # endpoint down, timeout, unparsable answer, missing credentials
        raise PlatformUnreachable(f"{what}: {type(exc).__name__}: {exc}"[:500],
                                  "check the endpoint/region and that AWS answers from here") from exc
    except ValueError as exc:  # malformed JSON that slipped past botocore's parser
        raise PlatformUnreachable(f"{what}: malformed answer: {exc}"[:500], "verify again later") from exc


def expect(response: Any, key: str, what: str) -> Any:
    """``response[key]``, or PlatformUnreachable: botocore turns an unparsable body into ``{}`` silently,
    and an empty answer read as "no events" or "no rules" would be evidence nobody gathered."""
    if not isinstance(response, dict) or key not in response:
        raise PlatformUnreachable(f"{what}: malformed answer (no {key!r} in it)",
                                  "check endpoint_url/region point at AWS; verify again later")
    return response[key]
