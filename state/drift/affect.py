"""Which services a change affects, from each service's running commit (standard library only).

One computation for the CLI (``deploystate affected``), the MCP tool (``affected_services``) and the restart
plan (``platforms/gather.py``), from ONE base per service (``bases``): the last verified deploy, else the
commit the runtime reports, else HEAD~1, marked ``base_known: False`` with a warning that says the answer is
a guess about the last change, not about what runs. A deploy record alone is never a base: a restart that
did not pick up the new image would otherwise read as "unchanged".
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from deploystate.state.view import cache
from deploystate.state.git import gitinfo
from deploystate.state.errors import GitError
from .headcode import Judge
from deploystate.state.config.mapping import Change, Match, affected
from deploystate.state.config.project import Project
from deploystate.state.git.proc import run as run_proc
from deploystate.state.view.render import short

LAST_VERIFIED = "last verified deploy"
RUNTIME = "the commit the runtime reports"
FALLBACK = "WARNING: comparing from"
Observe = Callable[[list[str]], Mapping[str, "str | None"]]   # services -> the revision each runtime reports


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


def bases(project: Project, services: list[str], head: str, base: str | None,
          observe: Observe | None = None) -> dict[str, tuple[str, str]]:
    """service -> (base commit, why that base). ONE rule for `affected`, ``affected_services`` and the restart
    plan: ``--base`` if given; else the last verified deploy; else the commit the runtime reports (``observe``
    asks it, for those services only); else HEAD~1, with a reason that says it is a guess (``FALLBACK``)."""
    if base:
        rev = gitinfo.resolve(project.root, base)
        return {name: (rev, f"--base {base}") for name in services}
    state = cache.load(project.ledger, write=project.state_dir.is_dir()).state
    judge = Judge(project.root, {}, head=head)      # resolves reported revisions: commit ids only, cached
    out: dict[str, tuple[str, str]] = {}
    why_not: dict[str, str] = {}
    for name in services:
        verified = ((state["services"].get(name) or {}).get("verified") or {}).get("commit")
        if verified:
            full, problem = judge.resolve(verified)
            if full:
                out[name] = (full, LAST_VERIFIED)
                continue
            why_not[name] = f"its last verified commit {short(verified)} is not in this clone"
    rest = [n for n in services if n not in out]
    reported: Mapping[str, str | None] = {}
    if rest and observe is not None:
        try:
            reported = observe(rest)
        except Exception as exc:  # noqa: BLE001 - the runtime is one source of three; say why it gave nothing
            reported = {}
            why_not.update({n: f"the runtime could not be asked ({type(exc).__name__})" for n in rest})
    fallback: tuple[str, str] | None = None
    for name in rest:
        rev = reported.get(name)
        if rev:
            full, problem = judge.resolve(rev)
            if full:
                out[name] = (full, RUNTIME)
                continue
            why_not[name] = problem or "the runtime's revision names no commit here"
        elif name not in why_not:
            why_not[name] = ("no verified deploy and the runtime reports no revision" if observe is not None
                             else "no verified deploy")
        if fallback is None:
            try:
                fallback = (gitinfo.resolve(project.root, f"{head}~1"), "HEAD~1")
            except GitError:
                fallback = (_empty_tree(project.root), "the empty tree (HEAD has no parent)")
        out[name] = (fallback[0], f"{FALLBACK} {fallback[1]}: {why_not[name]}; this is a guess about the last "
                                  "change, not about what runs")
    return out


def base_known(why: str) -> bool:
    """True for a base that says what runs (or was asked for), False for the HEAD~1 guess."""
    return not why.startswith(FALLBACK)


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


def compute(project: Project, head_rev: str | None, base_rev: str | None,
            observe: Observe | None = None) -> dict[str, Any]:
    head = gitinfo.resolve(project.root, head_rev or "HEAD")
    paths = project.service_paths()
    rules = project.all_services_rules()
    per_service = bases(project, sorted(paths), head, base_rev, observe)
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
                          "base_known": base_known(why),
                          "changed_files": len(changes), "matches": matches}
    every = {(c.path, c.status, c.old_path): c for changes in changes_by_base.values() for c in changes}
    unmatched = [f for f in affected(list(every.values()), paths, rules).unmatched if not _own_file(project, f)]
    warnings = [f"{name}: {s['base_reason']}" for name, s in services.items() if not s["base_known"]]
    return {"head": head, "affected": sorted(n for n, s in services.items() if s["affected"]),
            "services": services, "unmatched": sorted(set(unmatched)), "warnings": warnings}
