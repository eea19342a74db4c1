"""boto3 clients for ECS and CloudWatch Logs with bounded time, and AWS errors in deploystate's terms.

Every call runs under a deadline: the client's read timeout and retry budget are
sized so that an endpoint that is down, hangs or throttles produces
PlatformUnreachable naming the endpoint within the caller's timeout, never a hang.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from deploystate.state.config.config import EcsService
from deploystate.state.errors import PlatformError, PlatformUnreachable, TargetNotFound

ATTEMPTS = 2                    # one retry: enough for a blip, bounded for a throttled or dead API
MAX_READ_TIMEOUT = 20.0         # a single ECS/Logs API call answers in well under a second
THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
             "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown"}
NOT_FOUND = {"ClusterNotFoundException", "ServiceNotFoundException", "ServiceNotActiveException",
             "ResourceNotFoundException"}


def endpoint_name(cfg: EcsService, service: str = "ecs") -> str:
    """The endpoint an error message names: the configured URL or AWS's regional host."""
    return cfg.endpoint_url or f"{service}.{cfg.region or '<default region>'}.amazonaws.com"


@dataclass
class Deadline:
    timeout: float
    clock: Callable[[], float] = time.monotonic   # injectable: tests of time rules must not race the machine
    start: float = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.clock()

    def remaining(self) -> float:
        return self.timeout - (self.clock() - self.start)

    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass
class Clients:
    """Clients for one service's region and endpoint, each call checked against one deadline."""

    cfg: EcsService
    deadline: Deadline
    cache: dict[tuple, Any]

    def _client(self, kind: str, region: str | None) -> Any:
        import boto3
        from botocore.config import Config

        read = max(0.5, min(MAX_READ_TIMEOUT, self.deadline.timeout / ATTEMPTS))
        key = (kind, region, self.cfg.endpoint_url, round(read, 1))
        if key not in self.cache:
            config = Config(connect_timeout=min(5.0, read), read_timeout=read,
                            retries={"total_max_attempts": ATTEMPTS, "mode": "standard"})
            try:
                self.cache[key] = boto3.session.Session().client(kind, region_name=region,
                                                                 endpoint_url=self.cfg.endpoint_url, config=config)
            except Exception as exc:  # NoRegionError, bad endpoint URL: translated with the fix
                err = translate(exc, self.cfg, kind, f"create {kind} client")
                if err is exc:
                    raise
                raise err from exc
        return self.cache[key]

    def call(self, op: str, *, kind: str = "ecs", region: str | None = None, **params: Any) -> dict[str, Any]:
        """Call ``op`` on the ECS (or ``logs``) client; errors come back as deploystate errors."""
        if self.deadline.expired():
            raise PlatformUnreachable(
                f"AWS {kind.upper()} at {endpoint_name(self.cfg, kind)} did not finish answering within "
                f"{self.deadline.timeout:g}s ({op})",
                "check the endpoint and network, or raise restart_timeout for this service")
        client = self._client(kind, region or self.cfg.region)
        try:
            return getattr(client, op)(**params)
        except Exception as exc:
            err = translate(exc, self.cfg, kind, op)
            if err is exc:
                raise
            raise err from exc


def translate(exc: Exception, cfg: EcsService, kind: str, op: str) -> Exception:
    """A botocore/boto3 exception as PlatformUnreachable, TargetNotFound or PlatformError."""
    from botocore import exceptions as bx

    where = endpoint_name(cfg, kind)
    target = f"service {cfg.service!r} in cluster {cfg.cluster!r}"
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "?"), err.get("Message", str(exc))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in THROTTLED:
            return PlatformUnreachable(f"AWS {kind.upper()} at {where} is throttling requests ({code}: {message})",
                                       "wait a minute and retry; other tools may be calling the same API")
        if code in NOT_FOUND:
            return TargetNotFound(f"{op}: {code}: {message} ({target}, endpoint {where})",
                                  "check cluster, service and region in deploystate.toml")
        if status >= 500:
            return PlatformUnreachable(f"AWS {kind.upper()} at {where} failed with HTTP {status} ({code}: {message})",
                                       "the AWS API is having trouble: retry shortly")
        if code in ("AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
                    "ExpiredTokenException"):
            return PlatformError(f"AWS refused {op} on {target}: {code}: {message}",
                                 "check the credentials and IAM permissions deploystate runs with")
        return PlatformError(f"AWS {op} failed for {target}: {code}: {message}",
                             "read the AWS error above and fix the service's configuration")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                        bx.ConnectionClosedError, bx.HTTPClientError, bx.ConnectionError)):
        return PlatformUnreachable(f"AWS {kind.upper()} at {where} did not answer ({op}): {exc}",
                                   "check that the endpoint is reachable (endpoint_url, region, network, proxy)")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)):
        return PlatformError(f"no usable AWS credentials for {op}: {exc}",
                             "configure credentials the usual way (AWS_PROFILE, environment, instance role)")
    if isinstance(exc, bx.NoRegionError):
        return PlatformError(f"no AWS region for {target}",
                             "set region in the service's deploystate.toml table (or AWS_REGION)")
    if isinstance(exc, (bx.BotoCoreError, ValueError)):
        return PlatformError(f"AWS {op} could not be made for {target}: {exc}",
                             "check endpoint_url and region in deploystate.toml")
    return exc
