"""The running revision: which git commit the code in a container/task/pod came from.

Every platform reads the same configured source (``[services.X.revision]``): an image label (default
``org.opencontainers.image.revision``), an environment variable, a pattern over the image tag, or an
HTTP ``/version``-style endpoint. The reader is pure over the facts a platform already gathered
(labels, environment, image reference); only the ``http`` source does I/O, through a fetcher the
caller may replace (tests, other transports). Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Callable, Iterable, Sequence

    Fetcher = Callable[[str, float], str]   # (url, timeout seconds) -> response body

from deploystate.state.config.config import Revision
from deploystate.state.errors import PlatformError, PlatformUnreachable
from deploystate.state.plain import Frozen

MAX_BODY = 64 * 1024                        # a version endpoint answers with a few bytes
MAX_REVISION = 100                          # a commit, tag or build id; anything longer is not one
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+:-]*$")


# Record/Frozen (state/plain.py), not dataclasses: `verify` builds these before its first check starts, and
# dataclasses (inspect, ast, dis, tokenize) cost that start ~8 ms.
class RevisionReading(Frozen):
    """What one source said: the revision, where it came from, and why it is missing if it is."""

    value: str | None
    source: str                  # "label org.opencontainers.image.revision", "env GIT_SHA", ...
    error: str | None            # default None; worded for humans when value is None
    _fields = ("value", "source", "error")
    _defaults = {"error": None}


def describe(cfg: Revision) -> str:
    """Where ``cfg`` reads the revision, e.g. ``label org.opencontainers.image.revision``."""
    if cfg.source == "http":
        return f"http {cfg.url}" + (f" [{cfg.json_key}]" if cfg.json_key else "")
    if cfg.source == "image_tag":
        return f"image_tag /{cfg.pattern}/"
    if cfg.source == "worktree":
        return "worktree " + (", ".join(cfg.mounted) or "(the service's paths)") + (" (reloads)" if cfg.reloads else "")
    return f"{cfg.source} {cfg.name}"


def env_map(env: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """``["K=V", ...]`` (the Docker/ECS shape) or a mapping, as a dict."""
    if env is None:
        return {}
    if isinstance(env, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in env.items()}
    out: dict[str, str] = {}
    for item in env:
        key, sep, value = str(item).partition("=")
        if sep:
            out[key] = value
    return out


def image_tag(image: str | None) -> str | None:
    """The tag of an image reference (``reg:5000/app:abc123@sha256:…`` -> ``abc123``), None without one.

    A digest is cut first: its hex would otherwise satisfy a commit-shaped pattern and be read as a
    revision, and the registry port is not a tag.
    """
    if not image or image.startswith("sha256:"):
        return None
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def clean(value: str | None) -> str | None:
    """A plausible revision token, or None (empty, multi-word or oversized values are not one)."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_REVISION or not _TOKEN.match(value):
        return None
    return value


def from_body(body: str, json_key: str | None) -> str | None:
    """The revision in a version endpoint's body: ``json_key`` (dotted path) of JSON, else the first line."""
    if json_key:
        try:
            node: object = json.loads(body)
        except ValueError:
            return None
        for part in json_key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return clean(str(node)) if isinstance(node, (str, int)) else None
    lines = body.strip().splitlines()
    return clean(lines[0]) if lines else None


def http_fetch(url: str, timeout: float) -> str:
    """GET ``url`` with a timeout; the body (bounded). Raises PlatformUnreachable/PlatformError."""
    if not url.startswith(("http://", "https://")):
        raise PlatformError(f"revision url {url!r} is not http(s)", "set revision.url to an http:// URL")
    import urllib.error  # here: only the http source needs it (~10M instructions off every start)
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json, text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return response.read(MAX_BODY).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise PlatformError(f"{url} answered HTTP {exc.code}",
                            "check that the version endpoint exists and is healthy") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout (socket.timeout is OSError)
        reason = getattr(exc, "reason", exc)
        raise PlatformUnreachable(f"{url} did not answer within {timeout:g}s: {reason}",
                                  "check that the service is up and the URL is right") from exc


def read_revision(cfg: Revision, *, labels: Mapping[str, str] | None = None,
                  env: Mapping[str, str] | Sequence[str] | None = None, image: str | None = None,
                  fetch: Fetcher | None = None, timeout: float = 5.0) -> RevisionReading:
    """Read the revision from the facts per ``cfg``; never raises: a failure is a reading with an error."""
    source = describe(cfg)
    if cfg.source == "worktree":   # needs the checkout and the container's times: see worktree_reading
        return RevisionReading(None, source, "the worktree source is read by the compose and docker platforms "
                                             "only (code bind-mounted from this checkout)")
    if cfg.source == "label":
        raw = (labels or {}).get(cfg.name)
        if raw is None:
            return RevisionReading(None, source, f"no label {cfg.name!r} on the image or container")
        return _checked(raw, source, f"label {cfg.name!r}")
    if cfg.source == "env":
        raw = env_map(env).get(cfg.name)
        if raw is None:
            return RevisionReading(None, source, f"no environment variable {cfg.name!r} in the container")
        return _checked(raw, source, f"environment variable {cfg.name!r}")
    if cfg.source == "image_tag":
        tag = image_tag(image)
        if tag is None:
            return RevisionReading(None, source, f"image {image!r} has no tag to read a revision from")
        match = re.search(cfg.pattern, tag)
        if not match or "rev" not in match.groupdict():
            return RevisionReading(None, source, f"image tag {tag!r} does not match /{cfg.pattern}/")
        return _checked(match.group("rev"), source, f"image tag {tag!r}")
    try:
        body = (fetch or http_fetch)(str(cfg.url), timeout)
    except PlatformError as exc:
        return RevisionReading(None, source, exc.message)
    value = from_body(body, cfg.json_key)
    if value is None:
        what = f"key {cfg.json_key!r}" if cfg.json_key else "a revision on its first line"
        return RevisionReading(None, source, f"{cfg.url} answered without {what}")
    return RevisionReading(value, source)


def _checked(raw: str, source: str, what: str) -> RevisionReading:
    value = clean(raw)
    if value is None:
        return RevisionReading(None, source, f"{what} is empty or not a revision ({raw[:40]!r})")
    return RevisionReading(value, source)


def same_revision(running: str | None, commit: str | None) -> bool:
    """True when ``running`` names ``commit``: equal, or one a prefix (>= 7 chars) of the other."""
    if not running or not commit:
        return False
    a, b = running.lower(), commit.lower()
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 7 and long_.startswith(short)


def agree(readings: Iterable[tuple[str, RevisionReading]]) -> tuple[str | None, list[str]]:
    """The one revision all instances run, and problems (disagreement, unreadable instances).

    Instances that disagree give no single revision: a half-rolled service is not "running X".
    """
    values: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, reading in readings:
        if reading.value is None:
            problems.append(f"{name}: running revision unknown: {reading.error}")
        else:
            values.setdefault(reading.value, []).append(name)
    if len(values) > 1:
        listed = "; ".join(f"{rev} on {', '.join(names)}" for rev, names in values.items())
        problems.append(f"instances run different revisions: {listed}")
        return None, problems
    return (next(iter(values)) if values else None), problems
