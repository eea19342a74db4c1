"""The facts a restart plan needs, gathered from git, the ledger and (only where the ledger knows
nothing) the platforms: per service, the commit it runs and the files changed since then.

Services sharing a running commit share one ``git diff``; a service whose running
commit is unknown or missing from this clone is reported as unknown, never as unchanged.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from deploystate.state import cache, gitinfo
from deploystate.state.affect import affected_by_base
from deploystate.state.config import Config, ServiceBase
from deploystate.state.errors import DeploystateError
from deploystate.state.mapping import Change, Match, affected
from deploystate.state.project import Project

from . import registry
from .base import ServiceRef

OBSERVE_TIMEOUT = 5.0       # reading a never-deployed service's running revision for the plan


@dataclass
class Found:
    affected: dict[str, list[Match]] = field(default_factory=dict)
    bases: dict[str, str | None] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)     # service -> why its running commit is unknown
    dirty: dict[str, list[str]] = field(default_factory=dict)  # service -> uncommitted files in its paths


def resolve_commit(project: Project, rev: object) -> str | None:
    """The full commit for ``rev`` in this clone, or None (not a string, not a commit here)."""
    if not isinstance(rev, str) or not rev or rev.startswith("-"):
        return None
    try:
        return gitinfo.resolve(project.root, rev)
    except DeploystateError:
        return None


def observed_revision(project: Project, name: str, cfg: ServiceBase) -> str | None:
    """The commit the platform says the service runs, resolved in this clone; None on any trouble."""
    try:
        obs = registry.get_platform(cfg.platform).observe(ServiceRef(name, cfg, project.root),
                                                          timeout=OBSERVE_TIMEOUT)
    except DeploystateError:
        return None
    return resolve_commit(project, obs.revision)


def _bases(project: Project, config: Config, base: str | None) -> tuple[dict[str, str | None], dict[str, str]]:
    names = sorted(config.services)
    if base is not None:
        return {n: gitinfo.resolve(project.root, base) for n in names}, {}
    state = cache.load(project.ledger, write=False).state if project.ledger.path.exists() else {"services": {}}
    bases: dict[str, str | None] = {}
    unknown: dict[str, str] = {}
    never = [n for n in names if not (state["services"].get(n) or {}).get("running_commit")]
    for n in names:
        if n not in never:
            bases[n] = state["services"][n]["running_commit"]
    if never:
        with ThreadPoolExecutor(max_workers=min(8, len(never))) as pool:
            seen = dict(zip(never, pool.map(lambda n: observed_revision(project, n, config.services[n]), never)))
        for n in never:
            bases[n] = seen[n]
            if seen[n] is None:
                unknown[n] = "never deployed through deploystate and its platform reports no known commit"
    return bases, unknown


def _dirty(project: Project) -> list[Change]:
    """Uncommitted changes (staged, unstaged, untracked), relative to the project root."""
    try:
        under = gitinfo.relative_root(project.root)
        text = gitinfo.git(project.root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    except DeploystateError:
        return []
    changes, parts, i = [], text.split("\0"), 0
    while i < len(parts):
        entry = parts[i]
        i += 1
        if len(entry) < 4:
            continue
        path = entry[3:]
        if entry[0] in "RC":
            i += 1          # the rename's source path follows as its own field
        if under:
            if not path.startswith(under.rstrip("/") + "/"):
                continue
            path = path[len(under.rstrip("/")) + 1:]
        changes.append(Change(path, entry[:2].strip() or "M"))
    # deploystate's own files change with every record; they are not the service's code.
    own = {_rel(project, project.state_dir), _rel(project, project.state_file)}
    return [c for c in changes if not any(o and (c.path == o or c.path.startswith(o + "/")) for o in own)]


def _rel(project: Project, path: object) -> str | None:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))  # type: ignore[attr-defined]
    except (ValueError, OSError):
        return None


def gather(project: Project, config: Config, *, head: str, base: str | None = None) -> Found:
    """Running commits, affected files per service (from each one's own running commit) and dirty files."""
    found = Found()
    found.bases, found.unknown = _bases(project, config, base)
    paths = {n: list(cfg.paths) for n, cfg in config.services.items()}
    rules = [(list(r.paths), r.reason) for r in config.all_services]
    known = {n: c for n, c in found.bases.items() if c}
    hits, _changes, failed = affected_by_base(project, known, head, paths, rules)
    found.affected = {n: ms for n, ms in hits.items() if ms}
    for n, commit in known.items():
        if commit in failed:
            found.unknown[n] = f"its running commit {commit[:12]} is not in this clone (git fetch?)"
    dirty = _dirty(project)
    if dirty:
        hit = affected(dirty, paths, rules)
        found.dirty = {n: sorted({m.file for m in ms}) for n, ms in hit.services.items()}
    return found
