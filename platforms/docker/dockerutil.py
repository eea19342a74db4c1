"""Docker SDK plumbing shared by the compose and docker platforms.

One ``Engine`` per endpoint: clients with bounded timeouts, and the translation of docker/requests
errors into deploystate's tree (an engine that is down names its endpoint; a missing container is
TargetNotFound); Docker timestamps; reading logs since a time, including the previous instance's.
The conversion of inspect data to Instance/Observation lives in ``docker_view``.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from deploystate.state.errors import DeploystateError, PlatformError, PlatformUnreachable, TargetNotFound
from deploystate.state.ledger.ids import iso
from deploystate.state.ledger.redact import redact

DEFAULT_API_TIMEOUT = 10.0
# Clients are cached per timeout step (a call never waits longer than the step at or below the
# caller's budget) because the SDK fixes the HTTP timeout per client, not per call.
TIMEOUT_STEPS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_UNSTARTED = "0001-01-01T00:00:00Z"
MAX_POOL = 32   # connections kept per client: observing many services at once reuses them


def endpoint_of(docker_host: str | None) -> str:
    """The engine address a client will use: the option, else DOCKER_HOST, else the default socket."""
    return docker_host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


class Deadline:
    """A budget for one platform call; every wait inside it is cut to what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> float:
        left = self.left()
        if left <= 0:
            raise PlatformUnreachable(f"{what} did not finish within {self.seconds:g}s",
                                      "check that the Docker engine is responsive, or raise the timeout")
        return left


class Engine:
    """Docker SDK clients for one endpoint, created lazily, each with an HTTP timeout."""

    def __init__(self, docker_host: str | None = None, client: Any = None,
                 api_timeout: float = DEFAULT_API_TIMEOUT) -> None:
        self.docker_host = docker_host
        self.endpoint = endpoint_of(docker_host) if client is None else _client_url(client, docker_host)
        self.api_timeout = api_timeout
        self._given = client
        self._clients: dict[float, Any] = {}
        self._version: str | None = None
        self._lock = threading.Lock()

    def client(self, budget: float | None = None) -> Any:
        """A DockerClient whose calls time out within ``budget`` seconds (and ``api_timeout``)."""
        if self._given is not None:
            return self._given
        limit = min(self.api_timeout, budget if budget is not None else self.api_timeout)
        step = max([s for s in TIMEOUT_STEPS if s <= limit] or [TIMEOUT_STEPS[0]])
        with self._lock:
            if step not in self._clients:
                self._clients[step] = self._new_client(step)
            return self._clients[step]

    def _new_client(self, timeout: float) -> Any:
        import docker  # heavy: only when a Docker platform is used

        env = dict(os.environ)
        if self.docker_host:
            env["DOCKER_HOST"] = self.docker_host
        with self.errors("connecting to the engine"):
            # the first client asks the engine for its API version; later ones reuse the answer
            made = docker.DockerClient.from_env(timeout=timeout, environment=env, max_pool_size=MAX_POOL,
                                                version=self._version or "auto")
        self._version = made.api.api_version
        return made

    @contextmanager
    def errors(self, target: str) -> Iterator[None]:
        """Translate docker/requests/socket errors raised inside into deploystate errors."""
        try:
            yield
        except DeploystateError:
            raise
        except Exception as exc:  # the SDK raises requests, urllib3 and socket errors too
            raise translate(exc, self.endpoint, target) from exc

    def close(self) -> None:
        with self._lock:
            for made in self._clients.values():
                made.close()
            self._clients.clear()


def _client_url(client: Any, docker_host: str | None) -> str:
    if docker_host:
        return docker_host
    return str(getattr(getattr(client, "api", None), "base_url", "") or endpoint_of(None))


def translate(exc: BaseException, endpoint: str, target: str) -> DeploystateError:
    """The deploystate error for an SDK exception raised while working on ``target``."""
    import docker.errors
    import requests.exceptions
    import urllib3.exceptions

    if isinstance(exc, docker.errors.NotFound):
        return TargetNotFound(f"{target}: not found on the Docker engine at {endpoint}",
                              "check the name/label in deploystate.toml, or create it (recreate)")
    if isinstance(exc, docker.errors.APIError):
        detail = exc.explanation or str(exc)
        return PlatformError(f"{target}: the Docker engine at {endpoint} refused: {redact(str(detail)[:300])}",
                             "read the engine's message above and fix the cause")
    transport = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, urllib3.exceptions.HTTPError,
                 OSError)   # refused, reset, timed out, socket gone mid-stream
    if isinstance(exc, transport) or (
            isinstance(exc, docker.errors.DockerException) and "server API version" in str(exc)):
        return PlatformUnreachable(f"the Docker engine at {endpoint} did not answer ({target}): "
                                   f"{_short(exc)}",
                                   "start dockerd, or point DOCKER_HOST / docker_host at the engine's socket")
    return PlatformError(f"{target}: Docker SDK error from {endpoint}: {_short(exc)}",
                         "check the engine's logs; report a bug if this repeats")


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return redact(text.splitlines()[0][:200])


def parse_time(value: str | None) -> datetime | None:
    """A Docker timestamp (RFC 3339 with nanoseconds) as an aware datetime; None for 'never'."""
    if not value or value.startswith(_UNSTARTED[:10]):
        return None
    text = value.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python parses at most microseconds
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def iso_time(value: str | None) -> str | None:
    parsed = parse_time(value)
    return iso(parsed) if parsed else None


MAX_LINE = 16 * 1024  # a runaway line (a binary dump) is cut, never held whole


def read_logs(engine: Engine, containers: list[dict[str, Any]], *, since: datetime | None,
              previous: bool, deadline: Deadline) -> Iterator[str]:
    """Log lines (stdout and stderr, secrets redacted) of ``containers`` since ``since``.

    ``previous``: Docker keeps one log per container across restarts, so "the previous instance" is a
    time range of that log: see ``previous_until``. A container that was *recreated* is a new
    container: the old one's log went with it. Lines are prefixed ``name | `` when several
    containers are read, like ``docker compose logs``.
    """
    prefix = len(containers) > 1
    for attrs in containers:
        name = str(attrs.get("Name") or attrs["Id"]).lstrip("/")
        params: dict[str, Any] = {}
        if since is not None:
            params["since"] = max(since.timestamp(), 1.0)
        if previous:
            until = previous_until(attrs.get("State") or {})
            if until is False or (since is not None and isinstance(until, float) and since.timestamp() >= until):
                continue
            if isinstance(until, float):
                params["until"] = until
        client = engine.client(deadline.check(f"reading logs of {name}"))
        with engine.errors(f"logs of container {name}"):
            stream = client.api.logs(attrs["Id"], stream=True, follow=False, stdout=True, stderr=True,
                                     **params)
            try:
                for line in _lines(stream, deadline, name):
                    yield f"{name} | {line}" if prefix else line
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()


def previous_until(state: dict[str, Any]) -> float | None | bool:
    """Where the previous instance's log ends: a unix time, None (the whole log), False (no previous).

    A running container that exited before (``FinishedAt`` earlier than ``StartedAt``): the middle of
    the gap between that exit and the current start. Not ``StartedAt`` itself: the engine records it
    after the process is already running, so the new instance's first lines can carry earlier
    timestamps; the old instance's last lines are copied before its exit is handled, and a restart
    policy waits at least 100 ms before starting again. A container that is not running (exited,
    restarting): its whole log is the previous instances'. Running and never exited: False.
    """
    started, finished = parse_time(state.get("StartedAt")), parse_time(state.get("FinishedAt"))
    if state.get("Status") != "running":
        return None
    if started is None or finished is None or finished >= started:
        return False
    return (finished.timestamp() + started.timestamp()) / 2


def _lines(chunks: Iterator[bytes], deadline: Deadline, name: str) -> Iterator[str]:
    """Whole lines out of the stream's chunks (a chunk may hold part of a line, or many)."""
    buffer = b""
    for chunk in chunks:
        deadline.check(f"reading logs of {name}")
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield redact(raw[:MAX_LINE].decode("utf-8", "replace").rstrip("\r"))
        if len(buffer) > MAX_LINE:
            yield redact(buffer[:MAX_LINE].decode("utf-8", "replace"))
            buffer = b""
    if buffer:
        yield redact(buffer[:MAX_LINE].decode("utf-8", "replace").rstrip("\r"))
