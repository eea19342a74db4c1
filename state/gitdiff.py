"""The diff between two commits read with gitpython, for the CLI and the MCP server.

Hooks cannot afford gitpython's import on every push, so they (and the state file's drift
column) use ``gitinfo.changed_files`` over the git CLI; a test keeps both readers in agreement.
"""

from __future__ import annotations

import os

from .errors import GitError
from .mapping import Change
from .proc import option_safe


def changed_files(root: str | os.PathLike[str], base: str, head: str = "HEAD",
                  under: str | None = None) -> list[Change]:
    """Files changed from ``base`` to ``head`` (renames detected, deletions included), optionally only
    those below ``under`` and relative to it."""
    import git  # gitpython: imported here so importing deploystate.state stays light

    option_safe(base, "base revision")
    option_safe(head, "head revision")
    try:
        repo = git.Repo(root, search_parent_directories=True)
        # rev_parse, not commit(): the base may be the empty tree (a first commit has no HEAD~1)
        diffs = repo.rev_parse(base).diff(repo.commit(head), M=True)
    except (git.BadName, git.GitCommandError, ValueError) as exc:
        raise GitError(f"cannot diff {base!r}..{head!r} in {root}: {exc}",
                       "pass commits, branches or tags that exist (git log --oneline)") from exc
    except git.InvalidGitRepositoryError as exc:
        raise GitError(f"{root} is not a git repository", "run deploystate inside your repository") from exc
    prefix = (under.strip("/") + "/") if under else ""
    out = []
    for d in diffs:
        kind = (d.change_type or "M")[0]
        new, old = (d.a_path if kind == "D" else d.b_path), (d.a_path if kind in "RC" else None)
        paths = [p for p in (new, old) if p]
        if prefix and not any(p.startswith(prefix) for p in paths):
            continue
        rel = lambda p: p[len(prefix):] if p and p.startswith(prefix) else p  # noqa: E731
        out.append(Change(rel(new), kind, rel(old) if old else None))
    return out
