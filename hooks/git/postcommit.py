"""post-commit and post-merge: say "Committed is not running" and what to restart. Never blocks.

The services named are the ones whose paths (deploystate.toml) the new commit
or merge touched; each is shown with the commit it really runs, if known.
"""

from __future__ import annotations

import sys

from deploystate.hooks.git.pathfilter import STDIN_FLAG, refresh
from deploystate.hooks.settings import find

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def _revisions(root, hook: str) -> tuple[str, str, str] | None:
    """(repository top, HEAD, the commit before this change) in one git call when possible."""
    from deploystate.state.git import gitinfo
    from deploystate.state.errors import GitError

    base = "ORIG_HEAD" if hook == "post-merge" else "HEAD~1"
    try:
        top, head, before = gitinfo.git(root, "rev-parse", "--show-toplevel", "HEAD", base).splitlines()
        return top, head, before
    except (GitError, ValueError):  # the first commit (no parent) or no ORIG_HEAD
        head = gitinfo.head(root)
        top = gitinfo.toplevel(root)
        return (str(top), head, EMPTY_TREE) if head and top else None


def changes_of(project, hook: str):  # noqa: ANN001, ANN201
    """What this commit (or merge) changed, relative to the project root: one git process, the diff from
    HEAD~1 (ORIG_HEAD after a merge) to HEAD; the first commit (no parent) or a missing ORIG_HEAD is
    diffed from the empty tree after ``_revisions`` finds HEAD."""
    from deploystate.state.git import gitinfo
    from deploystate.state.errors import GitError

    try:
        return gitinfo.changed_files_here(project.root, "ORIG_HEAD" if hook == "post-merge" else "HEAD~1", "HEAD")
    except GitError:
        revs = _revisions(project.root, hook)
        if revs is None:
            return None
        _top, head, base = revs
        return gitinfo.changed_files_here(project.root, base, head)


def affected_lines(project, changes) -> list[str]:  # noqa: ANN001
    """One line per service ``changes`` touch (the state is read only if one does)."""
    from deploystate.state.config.mapping import affected

    hit = affected(changes, project.service_paths(), project.all_services_rules())
    if not hit.services:
        return []
    from deploystate.state.view import cache
    from deploystate.state.view.render import day, short

    state = cache.load(project.ledger).state
    lines = []
    for name in hit.names():
        files = sorted({m.file for m in hit.services[name]})
        svc = state["services"].get(name) or {}
        running = svc.get("running_commit")
        dep = svc.get("deploy") or {}
        where = (f"running {short(running)} since {day(dep.get('ts'))}" if running
                 else "never deployed through deploystate")
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        lines.append(f"  {name}: {where}; changed: {', '.join(files[:3])}{more}")
    return lines


def given_changes(text: str):  # noqa: ANN201
    """The shim's ``git diff --name-status -M`` lines (the diff ``changes_of`` runs, without -z) as Changes,
    or None when a line is not plain (a quoted path, any byte outside printable ASCII and tab)."""
    from deploystate.state.config.mapping import Change

    changes = []
    for line in text.splitlines():
        parts = line.split("\t")
        if '"' in line or not line.isascii() or not all(p.isprintable() for p in parts) or not parts[0]:
            return None
        if parts[0][0] in "RC" and len(parts) == 3:
            changes.append(Change(parts[2], parts[0][0], parts[1]))
        elif len(parts) == 2:
            changes.append(Change(parts[1], parts[0][0]))
        else:
            return None
    return changes


def run(hook: str, args: list[str]) -> int:
    try:
        settings = find()
        if not settings.configured:
            return 0
        given = None
        if args[-1:] == [STDIN_FLAG]:  # the shim ran the diff and its path matcher said "touched"
            given = given_changes(sys.stdin.read())
        elif settings.text:
            refresh(settings.root)  # for the shim's next commit (nothing is written when it is current)
        if "services" not in settings.text:
            return 0
        from deploystate.state.config.project import Project

        project = Project.discover(settings.root)
        changes = given if given is not None else changes_of(project, hook)
        if changes is None:
            return 0
        lines = affected_lines(project, changes)
        if not lines:
            return 0
        names = [line.split(":", 1)[0].strip() for line in lines]
        sys.stderr.write("deploystate: Committed is not running. This "
                         + ("merge" if hook == "post-merge" else "commit") + " changes:\n" + "\n".join(lines)
                         + f"\n  restart them: deploystate restart {' '.join(names)}   (or: deploystate restart "
                         "--affected)\n  then verify:  deploystate verify " + " ".join(names) + "\n")
    except Exception as exc:  # noqa: BLE001 - a post hook must never fail the commit or merge
        print(f"deploystate: {hook} note unavailable: {exc}", file=sys.stderr)
    return 0
