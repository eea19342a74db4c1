"""Tools that act on the runtime: ``restart_affected`` and ``rollback``. Thin wrappers over
``deploystate.platforms.deploy``; planning rules live in ``platforms/plan.py``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..mcp_context import Call, ToolContext
from ..models import SERVICES_MAX, Revision, ServiceName, ToolInput, ToolOutput

REASON_MAX = 2000


class RestartAffectedInput(ToolInput):
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services to restart (names from deploystate.toml, max 50). "
                                                    "Empty: every service the commits since its running commit "
                                                    "affect.")
    dry_run: bool = Field(False, description="Return the plan only; restart nothing, record nothing.")
    force: bool = Field(False, description="Restart named services even though their code did not change. "
                                           "Needs a reason and explicit services.")
    reason: str = Field("", max_length=REASON_MAX,
                        description="Why a forced restart is needed (max 2,000 characters; recorded).")


class RollbackInput(ToolInput):
    service: ServiceName = Field(description="The service to roll back (a name from deploystate.toml).")
    to: Revision = Field("last_verified", description="'last_verified' (default: the deploy the last passing "
                                                      "verification checked), 'previous' (the deploy before the "
                                                      "current one), a commit, or a platform revision such as an "
                                                      "ECS task definition 'family:revision'.")


class PlanEntry(BaseModel):
    service: str
    platform: str
    strategy: str
    action: Literal["restart", "refuse", "skip"]
    why: str
    base: str | None = None
    files: list[str] = Field(default_factory=list, description="Changed files that matched (first 20).")
    file_count: int = 0
    forced: bool = False


class OutcomeEntry(BaseModel):
    service: str
    kind: str
    status: Literal["restarted", "failed"]
    strategy: str
    commit: str | None = None
    message: str
    record_id: str
    platform_ids: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    duration: float = 0.0
    to: str | None = None


class RestartAffectedOutput(ToolOutput):
    head: str | None
    dry_run: bool
    plan: list[PlanEntry]
    refused: list[str] = Field(default_factory=list)
    outcomes: list[OutcomeEntry] = Field(default_factory=list)
    next_step: str
    synced: str | None = Field(None, description="With sync_before: what syncing the team ledger first did.")

    def render_text(self) -> str:
        verbs = {"restart": "restart", "refuse": "REFUSED", "skip": "skip"}
        lines = [f"Plan at HEAD {str(self.head)[:12]}" + (" (dry run: nothing restarted)" if self.dry_run else "")]
        lines += [f"- {verbs[p.action]} {p.service} [{p.platform}, {p.strategy}]: {p.why}" for p in self.plan]
        for o in self.outcomes:
            lines.append(f"{o.service}: {o.status.upper()} ({o.kind} {o.record_id}): {o.message[:300]}")
            lines += [f"  warning: {w}" for w in o.warnings]
        lines.append(f"next: {self.next_step}")
        if self.synced:
            lines.append(f"before deciding: {self.synced}")
        return "\n".join(lines)


class RollbackOutput(ToolOutput):
    outcome: OutcomeEntry
    next_step: str

    def render_text(self) -> str:
        o = self.outcome
        lines = [f"{o.service}: rollback {o.status.upper()} to {str(o.commit or 'unknown commit')[:12]} "
                 f"({o.record_id}): {o.message[:300]}"]
        lines += [f"  warning: {w}" for w in o.warnings]
        return "\n".join(lines + [f"next: {self.next_step}"])


def _plan_entries(plan: Any) -> list[PlanEntry]:
    return [PlanEntry(service=i.service, platform=i.platform, strategy=i.strategy, action=i.action, why=i.why,
                      base=i.base, files=[f.file for f in i.files], file_count=i.file_count, forced=i.forced)
            for i in plan.items]


def register(server: object, ctx: ToolContext) -> None:
    @ctx.tool(RestartAffectedInput, RestartAffectedOutput, read_only=False, destructive=True, idempotent=False,
              open_world=True, title="Restart what a change affects")
    def restart_affected(args: RestartAffectedInput, call: Call) -> RestartAffectedOutput:
        """Restart the services your commits affect, on their real runtime (compose, Docker, Kubernetes, ECS,
        or a configured command), and record each restart as "restarted, unverified".

        Each service is compared from the commit it is running to HEAD; the plan says which services, why
        (which changed files matched which paths) and with which strategy. Commit first: uncommitted edits
        are not what gets recorded. A named service whose code did not change is refused unless force=true
        with a reason. Use dry_run=true to see the plan. Afterwards call verify_deploy: restarted is not
        working."""
        from deploystate.platforms import deploy

        from deploystate.server.backends import sync_before_deciding

        project = ctx.require_state()
        config = deploy.config_of(project)
        synced = sync_before_deciding(project)  # with sync_before, the team's deploys decide what changed
        plan = deploy.make_plan(project, config, names=list(args.services) or None, force=args.force,
                                reason=args.reason or None)
        entries = _plan_entries(plan)
        refused = [i.service for i in plan.refused]
        if args.dry_run or refused or not plan.restarts:
            step = ("restart only what changed, or pass force=true with a reason" if refused else
                    "call restart_affected without dry_run to restart" if plan.restarts else
                    "nothing to restart: commit the change, or check affected_services")
            if refused and not args.dry_run:
                deploy.execute(project, config, plan)   # raises Refused: the agent reads why and what to do
            return RestartAffectedOutput(head=plan.head, dry_run=args.dry_run, plan=entries, refused=refused,
                                         next_step=step, synced=synced)
        outcomes = deploy.execute(project, config, plan, author=call.author(), progress=call.progress.line)
        failed = [o.service for o in outcomes if o.status == "failed"]
        step = (f"restart failed for {', '.join(failed)}: read the message, fix the cause, then restart again"
                if failed else f"call verify_deploy for {', '.join(o.service for o in outcomes)} before calling "
                               "anything deployed")
        return RestartAffectedOutput(head=plan.head, dry_run=False, plan=entries,
                                     outcomes=[OutcomeEntry(**o.to_dict()) for o in outcomes], next_step=step,
                                     synced=synced)

    @ctx.tool(RollbackInput, RollbackOutput, read_only=False, destructive=True, idempotent=False,
              open_world=True, title="Roll a service back")
    def rollback(args: RollbackInput, call: Call) -> RollbackOutput:
        """Roll a service back to the last revision that passed verification (default), the deploy before
        the current one ('previous'), or a named commit / platform revision, and record the rollback.

        The platform gets what the earlier deploy recorded (the ECS task definition, the Kubernetes
        revision, or the commit for a command service's rollback_cmd). A rollback is unverified until
        verify_deploy passes."""
        from deploystate.platforms import deploy

        project = ctx.require_state()
        config = deploy.config_of(project)
        config.service(args.service)
        outcome = deploy.rollback(project, config, args.service, args.to, author=call.author(),
                                  progress=call.progress.line)
        step = (f"call verify_deploy for {args.service}" if outcome.status == "restarted"
                else "the rollback failed: read the message and fix the cause (it is recorded)")
        return RollbackOutput(outcome=OutcomeEntry(**outcome.to_dict()), next_step=step)
