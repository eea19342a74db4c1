"""Stamp the commit into what deploystate builds, so the running revision is readable with no user effort.

When deploystate recreates a compose service that has a ``build`` section, it hands compose the
resolved model (``docker compose config --format json``) on stdin with one change: the service's
``build.labels`` carry the revision label the service's revision source reads (default
``org.opencontainers.image.revision``), or, for an ``env`` source, its ``environment`` carries the
variable (only when the image is rebuilt in the same call: an environment variable on a container of
an old image would claim a commit it does not run). Nothing is written to the repository and the
user exports nothing.

The label is the commit only when the build context holds exactly that commit's files: uncommitted
changes under the context leave the image unlabelled, with a warning, rather than labelled falsely.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from deploystate.state.git import gitinfo
from deploystate.state.config.config import Revision
from deploystate.state.errors import DeploystateError


def build_commit(root: Path, spec: dict[str, Any]) -> tuple[str | None, str | None]:
    """(HEAD, None) when the service's build context is clean at HEAD, else (None, why not)."""
    build = spec.get("build")
    if not isinstance(build, dict):
        return None, None
    context = Path(str(build.get("context") or "."))
    context = context if context.is_absolute() else root / context
    try:
        head = gitinfo.head(root)
        dirty = gitinfo.git(root, "status", "--porcelain", "--untracked-files=normal", "--", str(context)) \
            if head else ""
    except DeploystateError as exc:
        return None, f"the build context {context} could not be checked against git ({exc.message})"
    if not head:   # not a git checkout (or no commit yet): there is no commit to stamp, and nothing to warn of
        return None, None
    if dirty.strip():
        files = [line[3:] for line in dirty.splitlines() if line.strip()][:3]
        return None, (f"the build context has uncommitted changes ({', '.join(files)}), so the image is not "
                      "labelled with a commit: commit them, then restart again")
    return head, None


def stamped(model: dict[str, Any], service: str, revision: Revision, commit: str,
            rebuilding: bool) -> tuple[dict[str, Any] | None, str | None]:
    """A copy of ``model`` whose ``service`` records ``commit`` where ``revision`` reads it (pure), or
    (None, why it cannot) for sources deploystate cannot set (image_tag, http)."""
    out = copy.deepcopy(model)
    svc = (out.get("services") or {}).get(service)
    if not isinstance(svc, dict) or not isinstance(svc.get("build"), dict):
        return None, None
    if revision.source == "label":
        labels = svc["build"].get("labels")
        if isinstance(labels, list):  # the list form KEY=VALUE
            labels = dict(str(item).partition("=")[::2] for item in labels)
        svc["build"]["labels"] = {**(labels or {}), revision.name: commit}
        return out, None
    if revision.source == "env":
        if not rebuilding:
            return None, (f"the revision is read from the environment variable {revision.name}, which deploystate "
                          "sets only when it rebuilds the image (set build = true)")
        env = svc.get("environment")
        if isinstance(env, list):
            env = dict(str(item).partition("=")[::2] for item in env)
        svc["environment"] = {**(env or {}), revision.name: commit}
        return out, None
    if revision.source == "worktree":   # the code is bind-mounted: nothing is built into an image
        return None, None
    return None, (f"the revision is read from {revision.source}, which deploystate cannot set when it builds: "
                  "tag or serve the commit yourself")
