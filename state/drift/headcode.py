"""Does a service run HEAD's code? The one rule, decided in one place (standard library only).

A service runs HEAD's code when the commit its runtime reports has the same content as HEAD for that
service's ``paths`` and the ``[[all_services]]`` paths. A service whose files did not change since the
commit it runs passes; one whose files changed does not, until the runtime reports a commit that has
them. When that cannot be told (no revision read, a revision that is not a commit id, a commit not in
this clone, no HEAD, no paths to judge by) the answer is UNKNOWN, never RUNS_HEAD.

API (used by verify, mark-deployed, state, affected, the restart plan, the hooks, the MCP tools):

- ``decide(service, running, head, changes, paths, rules, why=None) -> HeadCode``: pure. ``running``
  and ``head`` are full commit ids (or ``running=None`` with ``why``); ``changes`` is the diff
  running -> head (``None`` when it could not be computed).
- ``Judge(root, paths, rules, head=None)`` / ``Judge.for_project(project)``: computes the diff through
  ``gitinfo`` (one per distinct running commit, cached) and calls ``decide``.
  ``judge(service, reported)`` takes the revision exactly as the runtime reported it.
- ``HeadCode``: ``status`` (RUNS_HEAD / NOT_HEAD / UNKNOWN), ``ok`` (only RUNS_HEAD), ``files`` (the
  changed files that matter), ``matches``, ``running``, ``head``, ``reason`` (a sentence for humans).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Mapping, Sequence

    from deploystate.state.config.mapping import Change, Match

from deploystate.state.git import gitinfo
from deploystate.state.errors import GitError
from deploystate.state.plain import Frozen

RUNS_HEAD = "runs_head"
NOT_HEAD = "not_head"
UNKNOWN = "unknown"

_HEX = frozenset("0123456789abcdef")
MIN_SHORT = 7          # shortest abbreviation accepted, and only if it names one commit of this clone
SHOWN_FILES = 3


def short(commit: str | None) -> str:
    return commit[:12] if commit else "?"


# Frozen (state/plain.py), not a dataclass: the hooks' decision path builds these, and dataclasses costs it ~8 ms.
class HeadCode(Frozen):
    """The verdict of the rule for one service."""

    status: str
    service: str
    running: str | None          # full commit id the runtime runs (None when unknown)
    head: str | None
    reason: str
    matches: tuple[Match, ...]   # default ()
    _fields = ("status", "service", "running", "head", "reason", "matches")
    _defaults = {"matches": ()}

    @property
    def ok(self) -> bool:
        return self.status == RUNS_HEAD

    @property
    def files(self) -> tuple[str, ...]:
        """The changed files that matter for this service (each once, in diff order)."""
        return tuple(dict.fromkeys(m.file for m in self.matches))

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "service": self.service, "running": self.running, "head": self.head,
                "reason": self.reason, "files": list(self.files)}


def _listed(files: Sequence[str]) -> str:
    more = len(files) - SHOWN_FILES
    return ", ".join(files[:SHOWN_FILES]) + (f" (+{more} more)" if more > 0 else "")


def decide(service: str, running: str | None, head: str | None, changes: Sequence[Change] | None,
           paths: Sequence[str], rules: Sequence[tuple[Sequence[str], str]] = (),
           why: str | None = None) -> HeadCode:
    """The rule, pure. Equality is of the whole commit id; anything short of a known diff is UNKNOWN."""
    if not head:
        return HeadCode(UNKNOWN, service, running, None, "this repository has no HEAD commit to compare with")
    if not running:
        return HeadCode(UNKNOWN, service, None, head, why or f"the running revision of {service} is unknown")
    if running.lower() == head.lower():
        return HeadCode(RUNS_HEAD, service, running, head, f"{service} runs {short(running)} = HEAD")
    if changes is None:
        return HeadCode(UNKNOWN, service, running, head,
                        why or f"cannot compare {short(running)} with HEAD {short(head)} for {service}")
    if not paths:
        return HeadCode(UNKNOWN, service, running, head,
                        f"{service} runs {short(running)}, not HEAD {short(head)}, and has no `paths` to tell "
                        f"whether its code changed: set [services.{service}] paths")
    from deploystate.state.config.mapping import affected  # here: a service at HEAD needs no path rules (nor re)

    hit = tuple(affected(changes, {service: paths}, rules).services.get(service, []))
    if hit:
        files = list(dict.fromkeys(m.file for m in hit))
        return HeadCode(NOT_HEAD, service, running, head,
                        f"{service} runs {short(running)}; HEAD {short(head)} changed {_listed(files)} "
                        f"for {service}: committed, not running", hit)
    return HeadCode(RUNS_HEAD, service, running, head,
                    f"{service} runs {short(running)}; none of its files changed up to HEAD {short(head)}")


def _hexlike(text: str) -> bool:
    return MIN_SHORT <= len(text) <= 64 and set(text) <= _HEX


class Judge:
    """The rule with git behind it: resolves reported revisions and diffs them against HEAD, once each."""

    def __init__(self, root: str | os.PathLike[str], paths: Mapping[str, Sequence[str]],
                 rules: Sequence[tuple[Sequence[str], str]] = (), head: str | None = None) -> None:
        self.root = root
        self.paths = {k: list(v) for k, v in paths.items()}
        self.rules = [(list(g), r) for g, r in rules]
        self.head = head or gitinfo.head(root)
        self._diffs: dict[str, list[Change] | GitError] = {}
        self._resolved: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def for_project(cls, project: object, head: str | None = None) -> "Judge":
        """From a ``state.project.Project`` (its root, service paths and all-services rules)."""
        root = getattr(project, "rootdir", None) or project.root  # type: ignore[attr-defined]  (a str: no pathlib)
        return cls(root, project.service_paths(), project.all_services_rules(), head)  # type: ignore[attr-defined]

    def resolve(self, reported: str) -> tuple[str | None, str | None]:
        """(full commit id, None) for a reported revision, or (None, why it names no commit here)."""
        if reported not in self._resolved:
            self._resolved[reported] = self._resolve(reported)
        return self._resolved[reported]

    def _resolve(self, reported: str) -> tuple[str | None, str | None]:
        text = reported.strip().lower()
        if self.head and text == self.head.lower():  # HEAD's own full id: no git process to resolve it
            return self.head, None
        if not _hexlike(text):
            return None, f"the running revision {reported[:40]!r} is not a commit id"
        try:
            full = gitinfo.resolve(self.root, text)
        except GitError:
            return None, f"the running commit {reported[:12]} is not in this clone (git fetch, then retry)"
        if not full.lower().startswith(text):  # a branch or tag that happens to look like hex
            return None, f"the running revision {reported[:40]!r} is not a commit id"
        return full, None

    def _changes(self, running: str) -> list[Change] | GitError:
        if running not in self._diffs:
            try:  # one git process: --relative stands for relative_root's --relative=<prefix>
                self._diffs[running] = gitinfo.changed_files_here(self.root, running, str(self.head))
            except GitError as exc:
                self._diffs[running] = exc
        return self._diffs[running]

    def judge(self, service: str, reported: str | None, why: str | None = None) -> HeadCode:
        """The rule for ``service`` running ``reported`` (as the runtime said it; None when unread)."""
        paths = self.paths.get(service, [])
        if not reported:
            return decide(service, None, self.head, None, paths, self.rules, why)
        running, problem = self.resolve(reported)
        if running is None:
            return decide(service, None, self.head, None, paths, self.rules, problem)
        if not self.head:
            return decide(service, running, None, None, paths, self.rules)
        diff = self._changes(running) if running.lower() != self.head.lower() else []
        if isinstance(diff, GitError):
            return decide(service, running, self.head, None, paths, self.rules,
                          f"git could not diff {short(running)} with HEAD: {diff.message}")
        return decide(service, running, self.head, diff, paths, self.rules)
