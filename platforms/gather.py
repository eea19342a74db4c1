"""The facts a restart plan needs, gathered from git, the ledger and the platforms: per service, the base
of "what changed" (``state.affect.bases``: last verified deploy, else what the runtime reports, else HEAD~1)
and the files changed since then.

Services sharing a base share one ``git diff``; a service whose base is the HEAD~1 guess is reported as
unknown too (so it is never refused as "unchanged"). A deploy record alone is never a base: a ``restart`` that
did not pick up the new image must not read as running HEAD's code.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from deploystate.state.view import cache
from deploystate.state.git import gitinfo
from deploystate.state.drift.affect import affected_by_base, base_known
from deploystate.state.drift.affect import bases as affect_bases
from deploystate.state.config.config import Config, ServiceBase
from deploystate.state.errors import DeploystateError
from deploystate.state.config.mapping import Change, Match, affected
from deploystate.state.config.project import Project

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


def reported_revisions(project: Project, config: Config, names: list[str]) -> dict[str, str | None]:
    """What each runtime reports it runs (as reported, unresolved), asked concurrently; None on any trouble."""
    def one(name: str) -> str | None:
        try:
            obs = registry.get_platform(config.services[name].platform).observe(
                ServiceRef(name, config.services[name], project.root), timeout=OBSERVE_TIMEOUT)
        except Exception:  # noqa: BLE001 - unreachable, unknown adapter: this source has nothing to say
            return None
        return obs.revision

    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return dict(zip(names, pool.map(one, names)))


def _bases(project: Project, config: Config, head: str, base: str | None
           ) -> tuple[dict[str, str | None], dict[str, str]]:
    """The one base rule (``state.affect.bases``); a HEAD~1 guess is also "unknown" so it is never refused."""
    chosen = affect_bases(project, sorted(config.services), head, base,
                          lambda names: reported_revisions(project, config, names))
    unknown = {n: why for n, (_commit, why) in chosen.items() if not base_known(why)}
    return {n: commit for n, (commit, _why) in chosen.items()}, unknown


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
    found.bases, found.unknown = _bases(project, config, head, base)
    paths = {n: list(cfg.paths) for n, cfg in config.services.items()}
    rules = [(list(r.paths), r.reason) for r in config.all_services]
    known = {n: c for n, c in found.bases.items() if c}
    hits, _changes, failed = affected_by_base(project, known, head, paths, rules)
    found.affected = {n: ms for n, ms in hits.items() if ms}
    for n, commit in known.items():
        if commit in failed:
            found.unknown[n] = f"its base commit {commit[:12]} could not be compared with HEAD (git fetch?)"
    dirty = _dirty(project)
    if dirty:
        hit = affected(dirty, paths, rules)
        found.dirty = {n: sorted({m.file for m in ms}) for n, ms in hit.services.items()}
    return found
