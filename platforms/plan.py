"""The restart plan: which services to restart, why, and how (pure: no I/O).

A plan is built from what a change affects (``state.mapping``), each service's
running commit, the configured services and what was asked for. A service whose
code did not change since the commit it runs is refused unless forced with a
reason: restarting it proves nothing and hides the real question ("why is the
fix not live?"). A service whose running commit is unknown is never refused:
nothing shows its code is unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

from deploystate.state.config.config import ServiceBase
from deploystate.state.errors import ConfigError, InputError
from deploystate.state.config.mapping import Match

MAX_FILES_SHOWN = 20

# What "auto" means on each platform: the strategy that picks up new code there.
DEFAULT_STRATEGY = {
    "compose": "recreate",           # `docker compose restart` keeps the old image and environment
    "docker": "auto",                # the adapter recreates when the image tag moved, else restarts
    "kubernetes": "rollout",
    "ecs": "force_new_deployment",
    "command": "command",
}


@dataclass(frozen=True)
class FileReason:
    file: str
    pattern: str
    rule: str      # "paths", or the all-services rule's reason
    status: str    # git status letter: A, M, D, R, ...


@dataclass
class PlanItem:
    service: str
    platform: str
    strategy: str
    action: str                    # "restart" | "refuse" | "skip"
    why: str                       # one line for humans
    base: str | None = None        # the running commit the change was measured from
    files: list[FileReason] = field(default_factory=list)   # at most MAX_FILES_SHOWN
    file_count: int = 0
    forced: bool = False
    reason: str | None = None      # the reason given with --force


@dataclass
class Plan:
    head: str | None
    items: list[PlanItem]
    force_reason: str | None = None

    @property
    def restarts(self) -> list[PlanItem]:
        return [i for i in self.items if i.action == "restart"]

    @property
    def refused(self) -> list[PlanItem]:
        return [i for i in self.items if i.action == "refuse"]

    def to_dict(self) -> dict[str, Any]:
        return {"head": self.head, "items": [asdict(i) for i in self.items],
                "restart": [i.service for i in self.restarts], "refused": [i.service for i in self.refused]}


def resolve_strategy(cfg: ServiceBase) -> str:
    """The configured strategy, with "auto" replaced by the platform's default."""
    if cfg.restart != "auto":
        return cfg.restart
    return DEFAULT_STRATEGY.get(cfg.platform, "restart")


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "?"


def _file_reasons(matches: Sequence[Match]) -> list[FileReason]:
    seen: dict[str, FileReason] = {}
    for m in matches:
        seen.setdefault(m.file, FileReason(m.file, m.pattern, m.rule, m.status))
    return sorted(seen.values(), key=lambda r: r.file)


def _changed_why(reasons: list[FileReason], base: str | None) -> str:
    shown = ", ".join(f"{r.file} ({r.pattern})" if r.rule == "paths" else f"{r.file} ({r.rule})"
                      for r in reasons[:3])
    more = f" and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    noun = "file" if len(reasons) == 1 else "files"
    return f"{len(reasons)} {noun} changed since {_short(base)}: {shown}{more}"


def build_plan(*, affected: Mapping[str, Sequence[Match]], bases: Mapping[str, str | None],
               configured: Mapping[str, ServiceBase], requested: Sequence[str] | None = None,
               force: bool = False, reason: str | None = None, head: str | None = None,
               unknown: Mapping[str, str] | None = None) -> Plan:
    """Decide what to restart.

    ``affected``: service -> matches of changed files (from ``mapping.affected``),
    ``bases``: service -> the running commit the change was measured from,
    ``unknown``: service -> why its running commit is unknown (never refused),
    ``requested``: explicit service names, or None for "every affected service".
    Raises InputError for --force without a reason or without names, ConfigError for an
    unknown service name.
    """
    reason = (reason or "").strip() or None
    if force and not reason:
        raise InputError("--force needs a reason", 'add --reason "why this restart is needed although its '
                                                   'code did not change" (it is recorded in the ledger)')
    if force and not requested:
        raise InputError("--force applies to named services only",
                         "name the services to restart, for example: deploystate restart web --force --reason ...")
    unknown = unknown or {}
    if requested:
        names = list(dict.fromkeys(requested))
        bad = [n for n in names if n not in configured]
        if bad:
            known = ", ".join(sorted(configured)) or "(none configured)"
            raise ConfigError(f"unknown service{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}",
                              f"known services: {known}")
    else:
        names = sorted(configured)
    items = [_item(name, configured[name], affected.get(name) or (), bases.get(name), unknown.get(name),
                   explicit=bool(requested), force=force, reason=reason) for name in names]
    return Plan(head=head, items=items, force_reason=reason if force else None)


def _item(name: str, cfg: ServiceBase, matches: Sequence[Match], base: str | None, unknown_why: str | None,
          *, explicit: bool, force: bool, reason: str | None) -> PlanItem:
    reasons = _file_reasons(matches)
    item = PlanItem(service=name, platform=cfg.platform, strategy=resolve_strategy(cfg), action="restart",
                    why="", base=base, files=reasons[:MAX_FILES_SHOWN], file_count=len(reasons))
    if unknown_why:  # the base is a guess: what changed since it is shown, but proves nothing either way
        item.why = f"running commit unknown ({unknown_why}): cannot show its code is unchanged" + (
            f"; since that guess: {_changed_why(reasons, base)}" if reasons else "")
    elif reasons:
        item.why = _changed_why(reasons, base)
    elif explicit and force:
        item.why = f"code unchanged since {_short(base)}; forced: {reason}"
        item.forced, item.reason = True, reason
    elif explicit:
        item.action = "refuse"
        item.why = (f"code unchanged since the running commit {_short(base)}: no file matching its paths "
                    "changed; restarting proves nothing (use --force --reason R if a restart is really needed)")
    else:
        item.action = "skip"
        item.why = f"unchanged since {_short(base)}"
    return item


def describe(plan: Plan) -> str:
    """The plan as text, one block per service (what the CLI prints before acting)."""
    lines = [f"plan (HEAD {_short(plan.head)}):"]
    verbs = {"restart": "restart", "refuse": "REFUSED", "skip": "skip"}
    for item in plan.items:
        head = f"  {verbs[item.action]:8} {item.service} [{item.platform}"
        head += f", {item.strategy}]" if item.action == "restart" else "]"
        lines.append(f"{head}: {item.why}")
        if item.action == "restart" and item.file_count > 3:
            for r in item.files[3:8]:
                lines.append(f"             {r.status} {r.file}  <- {r.pattern if r.rule == 'paths' else r.rule}")
    if not plan.restarts and not plan.refused:
        lines.append("  nothing to restart: no configured service is affected by the changes")
    return "\n".join(lines)
