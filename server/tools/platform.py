"""Tools that act on the runtime: ``restart_affected`` and ``rollback``. Thin wrappers over
``deploystate.platforms.deploy``; planning rules live in ``platforms/plan.py``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from deploystate.platforms.outcome import Outcome
from deploystate.state.ledger.ids import iso

from deploystate.server.mcp.confirm import Pending, digest
from deploystate.server.mcp.mcp_context import Call, ToolContext
from deploystate.server.mcp.models import SERVICES_MAX, Revision, ServiceName, ToolInput, ToolOutput, mirror

REASON_MAX = 2000
Token = Annotated[str, StringConstraints(max_length=200, pattern=r"^[0-9]+\.[0-9a-f]+$")]
CONFIRM_DOC = ("The confirm_token a dry run of the same call returned, for clients without MCP elicitation: "
               "the call runs only while the plan is still the one that token confirmed (it expires after "
               "10 minutes). Show the dry run's plan to the user before passing it. Clients with elicitation "
               "ask the user instead.")


class RestartAffectedInput(ToolInput):
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services to restart (names from deploystate.toml, max 50). "
                                                    "Empty: every service the commits since its base (last "
                                                    "verified deploy, else what its runtime reports) affect.")
    dry_run: bool = Field(False, description="Return the plan only; restart nothing, record nothing.")
    force: bool = Field(False, description="Restart named services even though their code did not change. "
                                           "Needs a reason and explicit services.")
    reason: str = Field("", max_length=REASON_MAX,
                        description="Why a forced restart is needed (max 2,000 characters; recorded).")
    confirm: Token | None = Field(None, description=CONFIRM_DOC)


class RollbackInput(ToolInput):
    service: ServiceName = Field(description="The service to roll back (a name from deploystate.toml).")
    to: Revision = Field("last_verified", description="'last_verified' (default: the deploy the last passing "
                                                      "verification checked), 'previous' (the deploy before the "
                                                      "current one), a commit, or a platform revision such as an "
                                                      "ECS task definition 'family:revision'.")
    dry_run: bool = Field(False, description="Resolve the target and return it (with a confirm_token); roll "
                                             "nothing back, record nothing.")
    confirm: Token | None = Field(None, description=CONFIRM_DOC)


class RollbackPlan(BaseModel):
    service: str
    platform: str
    to: str
    commit: str | None = Field(None, description="The commit the service will run afterwards, when known.")
    ref: str | None = Field(None, description="What the platform is handed (a recorded revision or the commit).")
    why: str


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


# One outcome per service, as platforms.deploy.Outcome has it (the CLI prints the same dataclass).
OutcomeEntry = mirror(Outcome, "OutcomeEntry", status=(Literal["restarted", "failed"], ...), commit=(str | None, None))


class RestartAffectedOutput(ToolOutput):
    head: str | None
    dry_run: bool
    plan: list[PlanEntry]
    refused: list[str] = Field(default_factory=list)
    outcomes: list[OutcomeEntry] = Field(default_factory=list)
    next_step: str
    synced: str | None = Field(None, description="With sync_before: what syncing the team ledger first did.")
    confirm_token: str | None = Field(None, description="Dry run: pass it as confirm= to run this plan (clients "
                                                        "without elicitation), after the user agreed.")
    confirm_expires: str | None = None
    confirmed_by: Literal["elicitation", "token"] | None = None

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
        if self.confirm_token:
            lines.append(f"confirm_token: {self.confirm_token} (until {self.confirm_expires}; show the plan to the "
                         "user, then call again with confirm=<token>)")
        return "\n".join(lines)


class RollbackOutput(ToolOutput):
    outcome: OutcomeEntry | None = Field(None, description="What happened (None on a dry run).")
    plan: RollbackPlan | None = None
    dry_run: bool = False
    next_step: str
    confirm_token: str | None = Field(None, description="Dry run: pass it as confirm= to roll back to this target.")
    confirm_expires: str | None = None
    confirmed_by: Literal["elicitation", "token"] | None = None

    def render_text(self) -> str:
        if self.outcome is None:
            p = self.plan
            lines = [f"{p.service}: would roll back on {p.platform} to {p.why} (dry run: nothing done)"] if p else []
            if self.confirm_token:
                lines.append(f"confirm_token: {self.confirm_token} (until {self.confirm_expires})")
            return "\n".join(lines + [f"next: {self.next_step}"])
        o = self.outcome
        lines = [f"{o.service}: rollback {o.status.upper()} to {str(o.commit or 'unknown commit')[:12]} "
                 f"({o.record_id}): {o.message[:300]}"]
        lines += [f"  warning: {w}" for w in o.warnings]
        return "\n".join(lines + [f"next: {self.next_step}"])


def _plan_entries(plan: Any) -> list[PlanEntry]:
    return [PlanEntry(service=i.service, platform=i.platform, strategy=i.strategy, action=i.action, why=i.why,
                      base=i.base, files=[f.file for f in i.files], file_count=i.file_count, forced=i.forced)
            for i in plan.items]


def _restart_pending(args: RestartAffectedInput, plan: Any, entries: list[PlanEntry]) -> Pending | None:
    """What a real restart would run (None when it would restart nothing): the thing a user confirms."""
    if plan.refused or not plan.restarts:
        return None
    items = [(e.service, e.action, e.platform, e.strategy, e.base, e.forced) for e in entries]
    lines = [f"{e.action} {e.service} [{e.platform}, {e.strategy}]: {e.why}" for e in entries if e.action != "skip"]
    forced = f" FORCED: {args.reason}" if args.force else ""
    return Pending(digest({"head": plan.head, "items": items, "force": args.force, "reason": args.reason}),
                   f"at HEAD {str(plan.head)[:12]}{forced}\n" + "\n".join(lines))


def _rollback_pending(project: Any, config: Any, args: RollbackInput) -> tuple[Pending, RollbackPlan]:
    from deploystate.platforms import deploy

    cfg = config.service(args.service)
    target = deploy.resolve_target(project, args.service, args.to)
    plan = RollbackPlan(service=args.service, platform=cfg.platform, to=args.to, commit=target.commit,
                        ref=target.ref, why=target.why)
    return Pending(digest(plan.model_dump(mode="json")),
                   f"roll {args.service} back on {cfg.platform} to {target.why}"), plan


def register(server: object, ctx: ToolContext) -> None:
    def plan_restart(args: RestartAffectedInput) -> Pending | None:
        """The resolver's view (before the body): no confirmation for a dry run or a plan that does nothing."""
        from deploystate.platforms import deploy

        if args.dry_run:
            return None
        project = ctx.require_state()
        config = deploy.config_of(project)
        plan = deploy.make_plan(project, config, names=list(args.services) or None, force=args.force,
                                reason=args.reason or None)
        return _restart_pending(args, plan, _plan_entries(plan))

    def plan_rollback(args: RollbackInput) -> Pending | None:
        from deploystate.platforms import deploy

        if args.dry_run:
            return None
        project = ctx.require_state()
        return _rollback_pending(project, deploy.config_of(project), args)[0]

    @ctx.tool(RestartAffectedInput, RestartAffectedOutput, read_only=False, destructive=True, idempotent=False,
              open_world=True, title="Restart what a change affects", confirm=plan_restart)
    def restart_affected(args: RestartAffectedInput, call: Call) -> RestartAffectedOutput:
        """Restart the services your commits affect, on their real runtime (compose, Docker, Kubernetes, ECS,
        or a configured command), and record each restart as "restarted, unverified".

        Each service is compared to HEAD from its last verified deploy, else the commit its runtime reports
        (else HEAD~1, flagged as a guess and never refused); the plan says which services, why
        (which changed files matched which paths) and with which strategy. Commit first: uncommitted edits
        are not what gets recorded. A named service whose code did not change is refused unless force=true
        with a reason. Use dry_run=true to see the plan. A real restart needs the user's confirmation: clients
        with MCP elicitation ask the user; others pass confirm=<confirm_token of a dry run of the same plan>,
        after showing that plan to the user. Afterwards call verify_deploy: restarted is not working."""
        from deploystate.platforms import deploy

        from deploystate.server.backends import sync_before_deciding

        project = ctx.require_state()
        config = deploy.config_of(project)
        synced = sync_before_deciding(project)  # with sync_before, the team's deploys decide what changed
        plan = deploy.make_plan(project, config, names=list(args.services) or None, force=args.force,
                                reason=args.reason or None)
        entries = _plan_entries(plan)
        refused = [i.service for i in plan.refused]
        pending = _restart_pending(args, plan, entries)
        if args.dry_run or refused or not plan.restarts:
            step = ("restart only what changed, or pass force=true with a reason" if refused else
                    "show this plan to the user; then call restart_affected without dry_run (with "
                    "confirm=<confirm_token> if your client cannot ask the user)" if plan.restarts else
                    "nothing to restart: commit the change, or check affected_services")
            if refused and not args.dry_run:
                deploy.execute(project, config, plan)   # raises Refused: the agent reads why and what to do
            token, expires = call.confirm_token(pending) if pending and args.dry_run else (None, None)
            return RestartAffectedOutput(head=plan.head, dry_run=args.dry_run, plan=entries, refused=refused,
                                         next_step=step, synced=synced, confirm_token=token,
                                         confirm_expires=_iso(expires))
        how = call.confirm(pending, args.confirm, "nothing was restarted")
        outcomes = deploy.execute(project, config, plan, author=call.author(), progress=call.progress.line)
        failed = [o.service for o in outcomes if o.status == "failed"]
        step = (f"restart failed for {', '.join(failed)}: read the message, fix the cause, then restart again"
                if failed else f"call verify_deploy for {', '.join(o.service for o in outcomes)} before calling "
                               "anything deployed")
        return RestartAffectedOutput(head=plan.head, dry_run=False, plan=entries,
                                     outcomes=[OutcomeEntry(**o.to_dict()) for o in outcomes], next_step=step,
                                     synced=synced, confirmed_by=how)

    @ctx.tool(RollbackInput, RollbackOutput, read_only=False, destructive=True, idempotent=False,
              open_world=True, title="Roll a service back", confirm=plan_rollback)
    def rollback(args: RollbackInput, call: Call) -> RollbackOutput:
        """Roll a service back to the last revision that passed verification (default), the deploy before
        the current one ('previous'), or a named commit / platform revision, and record the rollback.

        The platform gets what the earlier deploy recorded (the ECS task definition, the Kubernetes
        revision, or the commit for a command service's rollback_cmd). dry_run=true shows the target. A real
        rollback needs the user's confirmation (elicitation, or confirm=<confirm_token of a dry run>). A
        rollback is unverified until verify_deploy passes."""
        from deploystate.platforms import deploy

        project = ctx.require_state()
        config = deploy.config_of(project)
        pending, plan = _rollback_pending(project, config, args)
        if args.dry_run:
            token, expires = call.confirm_token(pending)
            return RollbackOutput(plan=plan, dry_run=True, confirm_token=token, confirm_expires=_iso(expires),
                                  next_step="show this target to the user; then call rollback without dry_run "
                                            "(with confirm=<confirm_token> if your client cannot ask the user)")
        how = call.confirm(pending, args.confirm, "nothing was rolled back")
        outcome = deploy.rollback(project, config, args.service, args.to, author=call.author(),
                                  progress=call.progress.line)
        step = (f"call verify_deploy for {args.service}" if outcome.status == "restarted"
                else "the rollback failed: read the message and fix the cause (it is recorded)")
        return RollbackOutput(outcome=OutcomeEntry(**outcome.to_dict()), plan=plan, next_step=step, confirmed_by=how)


def _iso(ts: float | None) -> str | None:
    from datetime import datetime, timezone
    return iso(datetime.fromtimestamp(ts, tz=timezone.utc)) if ts is not None else None
