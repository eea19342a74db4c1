"""``deploystate affected``: which services a change affects, and which file matched which rule."""

from __future__ import annotations

import argparse
from typing import Any

from deploystate.state import cache, gitinfo
from deploystate.state.errors import GitError
from deploystate.state.mapping import Change, affected
from deploystate.state.project import Project
from deploystate.state.proc import run as run_proc
from deploystate.state.render import short

from ._common import RAW, add_json, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("affected", formatter_class=RAW, help="list the services a change affects, and why",
                       description="Map the files changed between a base and HEAD to services (their `paths` globs "
                                   "and the [[all_services]] rules). Without --base each service is compared from "
                                   "the commit it is running (from the ledger); a service never deployed is "
                                   "compared from HEAD~1. Renames count for both names; deletions count.",
                       epilog="examples:\n  deploystate affected\n  deploystate affected --base origin/main\n"
                              "  deploystate affected --base v1.4.0 --head HEAD --json")
    p.add_argument("--base", help="compare every service from this revision (default: its running commit)")
    p.add_argument("--head", help="compare up to this revision (default: HEAD)")
    add_json(p)
    p.set_defaults(func=run)


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
                out[name] = (gitinfo.resolve(project.root, running), "running commit (from the ledger)")
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


def compute(project: Project, head_rev: str | None, base_rev: str | None) -> dict[str, Any]:
    head = gitinfo.resolve(project.root, head_rev or "HEAD")
    paths = project.service_paths()
    rules = project.all_services_rules()
    under = gitinfo.relative_root(project.root)
    per_service = bases(project, sorted(paths), head, base_rev)
    groups: dict[str, list[str]] = {}
    if not per_service:  # no services yet: still list what changed, all of it unmatched
        groups[_fallback(project, head, base_rev)] = []
    for name, (base, _why) in per_service.items():
        groups.setdefault(base, []).append(name)
    services: dict[str, Any] = {}
    every: dict[tuple[str, str, str | None], Change] = {}
    for base, names in groups.items():
        changes = [] if base == head else gitinfo.changed_files(project.root, base, head, under=under)
        for c in changes:
            every[(c.path, c.status, c.old_path)] = c
        renamed = {c.path: c.old_path for c in changes if c.old_path}
        hit = affected(changes, {n: paths[n] for n in names}, rules)
        for name in names:
            matches = [{"file": m.file, "pattern": m.pattern, "rule": m.rule, "status": m.status,
                        "renamed_from": renamed.get(m.file)} for m in hit.services.get(name, [])]
            services[name] = {"affected": bool(matches), "base": base, "base_reason": per_service[name][1],
                              "changed_files": len(changes), "matches": matches}
    unmatched = [f for f in affected(list(every.values()), paths, rules).unmatched if not _own_file(project, f)]
    return {"head": head, "affected": sorted(n for n, s in services.items() if s["affected"]),
            "services": services, "unmatched": sorted(set(unmatched))}


def _reason(m: dict[str, Any]) -> str:
    rule = "paths" if m["rule"] == "paths" else f"all services: {m['rule']}"
    moved = f" (renamed from {m['renamed_from']})" if m.get("renamed_from") else ""
    status = {"D": "deleted", "A": "added", "R": "renamed", "C": "copied", "M": "modified", "T": "type changed"}
    return f"{m['file']}{moved} [{status.get(m['status'], m['status'])}] matches {m['pattern']!r} ({rule})"


def text(result: dict[str, Any]) -> str:
    lines = [f"HEAD {short(result['head'])}: "
             + (f"affected: {', '.join(result['affected'])}" if result["affected"] else "no service is affected")]
    for name, s in sorted(result["services"].items()):
        state = "AFFECTED" if s["affected"] else "not affected"
        lines.append(f"{name}: {state} (base {short(s['base'])}: {s['base_reason']}; "
                     f"{s['changed_files']} files changed since)")
        lines += [f"  {_reason(m)}" for m in s["matches"][:50]]
        if len(s["matches"]) > 50:
            lines.append(f"  … and {len(s['matches']) - 50} more (--json lists all)")
    if not result["services"]:
        lines.append("no services configured: add [services.<name>] with paths to deploystate.toml")
    if result["unmatched"]:
        lines.append(f"unmatched (changed, but no service's paths or [[all_services]] rule covers them): "
                     f"{', '.join(result['unmatched'][:30])}" + (" …" if len(result["unmatched"]) > 30 else ""))
    if result["affected"]:
        lines.append("next: deploystate restart --affected, then deploystate verify")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config import load_config

    project = project_from(args)
    load_config(project.config_path)  # the paths below are only trusted once the schema accepts them
    result = compute(project, args.head, args.base)
    emit(args, result, text(result))
    return 0
