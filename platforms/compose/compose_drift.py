"""What changed since a compose container was created, that ``restart`` would NOT pick up.

``docker compose restart`` restarts the same container: same image id, same environment. So a new
image under the service's tag, a changed environment (``environment:``/``env_file:`` values), a build
context edited after the container was created, or a touched env file all mean the service needs a
recreate. Values are never shown (environments hold secrets), only keys and file names.
"""

from __future__ import annotations

import fnmatch
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from deploystate.platforms.docker.dockerutil import parse_time
from deploystate.platforms.revision import env_map

MAX_SCAN = 20_000                     # files looked at in a build context before giving up
# Never code: VCS data, dependency caches, and deploystate's own state (rewritten on every run).
SKIP_NAMES = {".git", ".hg", "node_modules", "__pycache__", ".venv", ".deploystate", "DEPLOYMENT_STATE.md",
              ".mypy_cache", ".pytest_cache"}


def short_id(image_id: str | None) -> str:
    return (image_id or "?").removeprefix("sha256:")[:12]


def changes_since_created(*, service: dict[str, Any], container: dict[str, Any], image_ref: str | None,
                          current_image_id: str | None, env_files: Iterable[Path]) -> list[tuple[str, str]]:
    """(kind, human-worded reason) pairs why ``container`` no longer matches its compose service.

    kind is ``image``, ``environment``, ``build_context`` or ``env_file``.
    """
    created = parse_time(container.get("Created"))
    name = str(container.get("Name", "?")).lstrip("/")
    found: list[tuple[str, str]] = []
    running_image = container.get("Image")
    if current_image_id and running_image and current_image_id != running_image:
        found.append(("image", f"image {image_ref} now points to {short_id(current_image_id)} but {name} runs "
                     f"{short_id(running_image)}"))
    changed_keys = env_changes(service.get("environment") or {}, (container.get("Config") or {}).get("Env"))
    if changed_keys:
        found.append(("environment", f"environment of {name} differs from the compose configuration "
                     f"({', '.join(changed_keys[:10])}{' …' if len(changed_keys) > 10 else ''})"))
    build = service.get("build")
    if created and isinstance(build, dict) and build.get("context"):
        newer = newest_change(Path(str(build["context"])), created)
        if newer:
            found.append(("build_context", f"build context {build['context']} changed after {name} was created "
                                           f"({newer})"))
    for env_file in env_files:
        if created and env_file.is_file() and _mtime(env_file) > created.timestamp():
            found.append(("env_file", f"env file {env_file.name} changed after {name} was created"))
    return found


def env_changes(wanted: dict[str, Any], actual: list[str] | None) -> list[str]:
    """Keys whose value in the compose configuration differs from the container's (sorted)."""
    have = env_map(actual)
    # None: a pass-through variable (``- NAME``) that was unset when compose resolved the file
    return sorted(k for k, v in wanted.items() if v is not None and have.get(k) != str(v))


def newest_change(context: Path, after: datetime) -> str | None:
    """A file in the build context modified after ``after`` (relative path), or None.

    Approximates the build's view: skips .dockerignore'd paths (plain patterns; '!' exceptions are
    ignored, which can only hide a change, never invent one) and the names in SKIP_NAMES.
    """
    if context.is_file() or not context.is_dir():
        return None   # a remote (git/url) context: nothing local to compare
    limit = after.timestamp()
    ignore = _dockerignore(context)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(context):
        rel_dir = Path(dirpath).relative_to(context)
        dirnames[:] = [d for d in dirnames if d not in SKIP_NAMES and not _ignored(rel_dir / d, ignore)]
        for fname in filenames:
            seen += 1
            if seen > MAX_SCAN:
                return None
            rel = rel_dir / fname
            if fname in SKIP_NAMES or _ignored(rel, ignore):
                continue
            if _mtime(Path(dirpath) / fname) > limit:
                return rel.as_posix()
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _dockerignore(context: Path) -> list[str]:
    try:
        text = (context / ".dockerignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            patterns.append(line.strip("/").removeprefix("./"))
    return patterns


def _ignored(rel: Path, patterns: list[str]) -> bool:
    text = rel.as_posix()
    parts = text.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(p, pat) for pat in patterns for p in prefixes)
