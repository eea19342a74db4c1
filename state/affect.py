"""Which services a change affects, from each service's running commit (standard library only).

One computation for the CLI (``deploystate affected``) and the MCP tool (``affected_services``): a
service is compared from the commit it runs (the ledger); one never deployed, or whose running commit
is not in this clone, is compared from HEAD~1 and marked ``base_known: False`` so callers can say
that the answer is a guess about the last change, not about what runs.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import cache, gitinfo
from .errors import GitError
from .mapping import Change, Match, affected
from .project import Project
from .proc import run as run_proc
from .render import short

RUNNING = "running commit (from the ledger)"


def _empty_tree(root: Any) -> str:
    """The empty tree's id (for a first commit, which has no HEAD~1): asked of git, so SHA-256 repos work."""
    return run_proc(["git", "hash-object", "-t", "tree", "--stdin"], cwd=root, input="", check=True,
                    timeout=gitinfo.GIT_TIMEOUT).stdout.strip()


def _own_file(project: Project, rel: str) -> bool:
    """deploystate's own bookkeeping (config, ledger, state file): never "unmatched" application code."""
    path = (project.root / rel).resolve()
    own = {project.config_path.resolve(), project.state_file.resolve()}
    return path in own or path.is_relative_to(project.state_dir.resolve())


def _fallback(project: Project, head: str, base: str | None) -> str:
    if base:
        return gitinfo.resolve(project.root, base)
    try:
        return gitinfo.resolve(project.root, f"{head}~1")
    except GitError:
        return _empty_tree(project.root)


def bases(project: Project, services: list[str], head: str, base: str | None) -> dict[str, tuple[str, str]]:
    """service -> (base commit, why that base); one git lookup per distinct running commit."""
    if base:
        rev = gitinfo.resolve(project.root, base)
        return {name: (rev, f"--base {base}") for name in services}
    state = cache.load(project.ledger, write=project.state_dir.is_dir()).state
    fallback: tuple[str, str] | None = None
    known: dict[str, bool] = {}
    out = {}
    for name in services:
        running = (state["services"].get(name) or {}).get("running_commit")
        if running:
            if running not in known:
                known[running] = gitinfo.exists(project.root, running)
            if known[running]:
                out[name] = (gitinfo.resolve(project.root, running), RUNNING)
                continue
        if fallback is None:
            try:
                fallback = (gitinfo.resolve(project.root, f"{head}~1"), "HEAD~1")
            except GitError:
                fallback = (_empty_tree(project.root), "the empty tree (HEAD has no parent)")
        why = (f"running commit {short(running)} is not in this clone: comparing from {fallback[1]}" if running
               else f"never deployed: comparing from {fallback[1]}")
        out[name] = (fallback[0], why)
    return out


def affected_by_base(project: Project, bases: Mapping[str, str], head: str, paths: Mapping[str, Sequence[str]],
                     rules: Sequence[tuple[Sequence[str], str]]
                     ) -> tuple[dict[str, list[Match]], dict[str, list[Change]], dict[str, GitError]]:
    """One diff per distinct base commit: per service the files that matched its paths, the changes per
    base, and the bases git could not diff (a running commit not in this clone)."""
    under = gitinfo.relative_root(project.root)
    groups: dict[str, list[str]] = {}
    for name, base in bases.items():
        groups.setdefault(base, []).append(name)
    matches: dict[str, list[Match]] = {}
    changes_by_base: dict[str, list[Change]] = {}
    failed: dict[str, GitError] = {}
    for base, names in groups.items():
        try:
            changes = [] if base == head else gitinfo.changed_files(project.root, base, head, under=under)
        except GitError as exc:
            failed[base] = exc
            continue
        changes_by_base[base] = changes
        hit = affected(changes, {n: paths[n] for n in names}, rules)
        for name in names:
            matches[name] = hit.services.get(name, [])
    return matches, changes_by_base, failed


def compute(project: Project, head_rev: str | None, base_rev: str | None) -> dict[str, Any]:
    head = gitinfo.resolve(project.root, head_rev or "HEAD")
    paths = project.service_paths()
    rules = project.all_services_rules()
    per_service = bases(project, sorted(paths), head, base_rev)
    chosen = {name: base for name, (base, _why) in per_service.items()}
    if not per_service:  # no services yet: still list what changed, all of it unmatched
        chosen = {"": _fallback(project, head, base_rev)}
    hits, changes_by_base, failed = affected_by_base(project, chosen, head, paths | {"": []}, rules)
    if failed:
        raise next(iter(failed.values()))  # every base here was checked to exist: a real git failure
    services: dict[str, Any] = {}
    for name, (base, why) in per_service.items():
        changes = changes_by_base[base]
        renamed = {c.path: c.old_path for c in changes if c.old_path}
        matches = [{"file": m.file, "pattern": m.pattern, "rule": m.rule, "status": m.status,
                    "renamed_from": renamed.get(m.file)} for m in hits[name]]
        services[name] = {"affected": bool(matches), "base": base, "base_reason": why,
                          "base_known": why == RUNNING or why.startswith("--base"),
                          "changed_files": len(changes), "matches": matches}
    every = {(c.path, c.status, c.old_path): c for changes in changes_by_base.values() for c in changes}
    unmatched = [f for f in affected(list(every.values()), paths, rules).unmatched if not _own_file(project, f)]
    return {"head": head, "affected": sorted(n for n, s in services.items() if s["affected"]),
            "services": services, "unmatched": sorted(set(unmatched))}
