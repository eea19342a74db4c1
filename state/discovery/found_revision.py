"""Which revision source ``init`` writes for a service, and the exact line the user must add (pure).

The revision is how verify knows which commit runs. Where deploystate builds the image (a compose
service with a build section) it stamps the ``org.opencontainers.image.revision`` label itself. Where
something else builds or deploys it (CI, ``docker build``, a Kubernetes manifest, an ECS task
definition), the commit has to be put there by that tool, and ``init`` prints the line to add. Code
bind-mounted from this checkout runs straight from the working tree: the ``worktree`` source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LABEL = "org.opencontainers.image.revision"
# Environment variables that conventionally carry the commit an image or pod was built from.
ENV_NAMES = re.compile(r"^(GIT_(COMMIT|SHA|REVISION|HASH)(_SHORT)?|(COMMIT|SOURCE|BUILD|APP|IMAGE)_(SHA|REVISION|"
                       r"VERSION|COMMIT)|VCS_REF|REVISION|COMMIT(_SHA)?|SHA|SOURCE_COMMIT|RENDER_GIT_COMMIT)$", re.I)
COMMIT_TAG = re.compile(r"(?:^|[^0-9a-z])[0-9a-f]{7,40}$")
# Commands that reload changed files by themselves (file watchers, dev servers).
WATCHERS = re.compile(r"(?<![\w-])(nodemon|ts-node-dev|node --watch|tsx watch|react-scripts start|next dev|vite|webpack "
                      r"(serve|--watch)|ng serve|watchmedo|--reload|runserver|flask run|air|reflex|cargo watch|"
                      r"dotnet watch|entr|watchexec|gunicorn .*--reload|rails s(erver)?)(?![\w-])")
DATA_DIR = re.compile(r"(?i)(^|/)(data|db|database|mysql|postgres|pgdata|redis|logs?|tmp|cache|storage|uploads)(/|$)")


@dataclass
class RevisionPlan:
    table: dict[str, Any]                       # written as [services.X.revision]
    why: str                                    # where the choice came from
    todo: str | None = None                     # the exact line the user must add, when not automatic
    notes: list[str] = field(default_factory=list)


def label_plan(built_by_deploystate: bool, image: str | None = None) -> RevisionPlan:
    if built_by_deploystate:
        return RevisionPlan({"source": "label", "name": LABEL},
                            "deploystate builds this image (build = true) and labels it with the commit")
    what = f"image {image}" if image else "the image"
    return RevisionPlan({"source": "label", "name": LABEL}, f"{what} is built outside deploystate",
                        f"where {what} is built, add: docker build --label {LABEL}=$(git rev-parse HEAD) ...")


def kubernetes_plan(containers: list[dict[str, Any]], workload: str, kind: str = "deployment") -> RevisionPlan:
    """An env var the manifest already sets, else a commit-shaped image tag, else the env line to add."""
    for c in containers:
        for env in c.get("env") or []:
            if isinstance(env, dict) and isinstance(env.get("name"), str) and ENV_NAMES.match(env["name"]):
                return RevisionPlan({"source": "env", "name": env["name"]},
                                    f"container {c.get('name')} sets env {env['name']} in the manifest")
    for c in containers:
        tag = str(c.get("image") or "").split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
        if tag and COMMIT_TAG.search(tag):
            return RevisionPlan({"source": "image_tag"}, f"container {c.get('name')} runs a commit-tagged image ({tag})")
    first = next((str(c.get("name")) for c in containers if c.get("name")), "app")
    image = next((str(c.get("image")) for c in containers if c.get("image")), "")
    tag = image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
    why = (f"image {image or '?'} has " + (f"the tag {tag!r}, which names no commit" if tag else "no tag")
           + ": nothing in the manifest says which commit runs")
    return RevisionPlan({"source": "env", "name": "GIT_COMMIT"}, why,
                        f"in the pod template of {kind}/{workload}, container {first}, add: "
                        "env: [{name: GIT_COMMIT, value: \"<the commit the image was built from>\"}] "
                        f"(in CI: kubectl set env {kind}/{workload} -c {first} GIT_COMMIT=$(git rev-parse HEAD) "
                        "together with the new image)")


def ecs_plan(containers: list[dict[str, Any]], family: str) -> RevisionPlan:
    for c in containers:
        for env in c.get("environment") or [] if isinstance(c, dict) else []:
            if isinstance(env, dict) and isinstance(env.get("name"), str) and ENV_NAMES.match(env["name"]):
                return RevisionPlan({"source": "env", "name": env["name"]},
                                    f"container {c.get('name')} sets environment {env['name']} in the task definition")
    for c in containers:
        tag = str((c or {}).get("image") or "").split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
        if tag and COMMIT_TAG.search(tag):
            return RevisionPlan({"source": "image_tag"}, f"container {c.get('name')} runs a commit-tagged image ({tag})")
    return RevisionPlan({"source": "env", "name": "GIT_COMMIT"}, "the task definition names no commit",
                        f"in task definition {family}, each container's environment, add: "
                        '{"name": "GIT_COMMIT", "value": "<commit>"} (set by the CI step that registers it)')


def bind_mounts(volumes: Any, rel: Any) -> list[str]:
    """Repository folders/files a compose service bind-mounts (``rel`` maps a source to a root-relative path)."""
    out = []
    for v in volumes if isinstance(volumes, list) else []:
        if isinstance(v, dict):
            src = v.get("source") if v.get("type") == "bind" else None
        else:
            parts = str(v).split(":")
            src = parts[0] if len(parts) >= 2 else None
        if not isinstance(src, str) or not src.startswith((".", "/")) or "$" in src:
            continue                              # a named volume, or interpolated
        path = rel(src)
        if path is not None and not DATA_DIR.search(path) and path not in out:
            out.append(path)
    return out


def watcher(commands: list[str]) -> str | None:
    """The file watcher a service's command runs, if any (what tells "reloads by itself")."""
    for text in commands:
        m = WATCHERS.search(text)
        if m:
            return m.group(0)
    return None


def worktree_plan(mounted_globs: list[str], reloader: str | None, where: str) -> RevisionPlan:
    table: dict[str, Any] = {"source": "worktree", "mounted": mounted_globs, "reloads": bool(reloader)}
    why = f"{where} bind-mounts {', '.join(mounted_globs)} from this checkout: the running code is the working tree"
    notes = [f"{'it reloads by itself (' + reloader + ' found)' if reloader else 'no file watcher found'}: "
             + ("a commit needs no restart" if reloader else "a change needs a restart (set reloads = true if "
                                                             "the process picks up changed files itself)"),
             "uncommitted changes in those files make its revision unknown (verify is inconclusive) until committed"]
    return RevisionPlan(table, why, None, notes)
