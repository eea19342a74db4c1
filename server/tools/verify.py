"""Tools for verdicts from evidence: ``verify_deploy``, ``mark_deployed``, ``preflight``, ``system_health``.
Thin wrappers over ``deploystate.verify``; the rules (worst-of verdict, soak, deadline, refusal) live there."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from deploystate.verify.health import HealthReport
from deploystate.verify.marking import MarkOutcome
from deploystate.verify.preflight import PreflightReport
from deploystate.verify.service import VerifyReport

from deploystate.server.mcp.mcp_context import Call, ToolContext
from deploystate.server.mcp.models import SERVICES_MAX, ServiceName, ToolInput, ToolOutput

MAX_WAIT = 1800.0


class VerifyDeployInput(ToolInput):
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services to verify (names from deploystate.toml, max 50); "
                                                    "empty: every configured service.")
    wait_seconds: float | None = Field(None, gt=0, le=MAX_WAIT,
                                       description="Overall deadline in seconds (max 1800); default: the project's "
                                                   "verify_deadline (300). The verdict arrives by then even if a "
                                                   "check hangs (that check is inconclusive).")
    wait_for_ci: bool = Field(False, description="After a push that CI deploys (a pending deploy): first wait "
                                                 "until each service's runtime runs HEAD's code, then verify. "
                                                 "Default services: those with a pending CI deploy. A service "
                                                 "CI never rolls out fails ('CI did not deploy it').")
    ci_wait_seconds: float = Field(600.0, gt=0, le=3600, description="With wait_for_ci: how long CI may take to "
                                                                      "roll out (default 600, max 3600).")


class MarkDeployedInput(ToolInput):
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services to mark (max 50); empty: every service with a deploy "
                                                    "or verification on record.")
    note: str = Field(min_length=1, max_length=2000, description="What was deployed, for the next reader (max 2,000).")


class PreflightInput(ToolInput):
    wait_seconds: float | None = Field(None, gt=0, le=MAX_WAIT,
                                       description="Overall deadline in seconds (max 1800); default 300.")


class HealthInput(ToolInput):
    pass


class VerifyDeployOutput(ToolOutput, VerifyReport):
    rollouts: list[dict[str, Any]] = Field(default_factory=list,
                                           description="With wait_for_ci: per service, whether CI rolled it out "
                                                       "(rolled_out, running, waited, reason).")

    def render_text(self) -> str:
        from deploystate.verify.text import verify_text
        return verify_text(self)


class MarkDeployedOutput(ToolOutput, MarkOutcome):
    synced: str | None = Field(None, description="With sync_before: what syncing the team ledger first did.")

    def render_text(self) -> str:
        lines = [f"marked deployed: {m['service']} at {str(m.get('commit') or '?')[:10]}"
                 + (f" — WARNING: running revision not checked (revision_waiver: {m['revision_waiver']})"
                    if m.get("revision_waiver") else "") for m in self.marked]
        lines += [f"already marked: {n}" for n in self.already]
        lines += [f"before deciding: {self.synced}"] if self.synced else []
        return "\n".join(lines) or "nothing to mark"


class PreflightOutput(ToolOutput, PreflightReport):
    def render_text(self) -> str:
        from deploystate.verify.text import preflight_text
        return preflight_text(self)


class HealthOutput(ToolOutput, HealthReport):
    def render_text(self) -> str:
        from deploystate.verify.text import health_text
        return health_text(self)


def _config(project):  # noqa: ANN001, ANN202 (a Project; imported lazily with the config schema)
    from deploystate.state.config.config import load_config
    return load_config(project.config_path)


def register(server: object, ctx: ToolContext) -> None:
    @ctx.tool(VerifyDeployInput, VerifyDeployOutput, read_only=False, destructive=False, idempotent=False,
              open_world=True, title="Verify a deploy from evidence")
    def verify_deploy(args: VerifyDeployInput, call: Call) -> VerifyDeployOutput:
        """Verify services from evidence gathered after their restart: rollout status, the running revision
        (is the deployed commit what runs?), logs since the restart (must_match / must_not_match), HTTP
        probes, commands, AWS and ConfigMap checks, as configured. Checks run concurrently under one deadline.
        Verdict per service and overall: fail > inconclusive > pass; evidence that could not be gathered is
        never a pass. Each verdict is recorded. Only after "pass" may you say deployed (then call
        mark_deployed). On fail, read the evidence and record what you try with record_attempt."""
        from deploystate.verify.service import verify_services

        project = ctx.require_state()
        ctx.check_services(project, args.services)
        if args.wait_for_ci:
            from deploystate.verify.cideploy import verify_with_wait

            report, rollouts = verify_with_wait(project, _config(project), args.services or None,
                                                wait_timeout=args.ci_wait_seconds, deadline=args.wait_seconds,
                                                author=call.author(), progress=call.progress.checks,
                                                say=call.progress.step)
            return VerifyDeployOutput.model_validate({**report.model_dump(),
                                                      "rollouts": [r.to_dict() for r in rollouts]})
        report = verify_services(project, _config(project), args.services or None, deadline=args.wait_seconds,
                                 author=call.author(), progress=call.progress.checks)
        return VerifyDeployOutput.model_validate(report.model_dump())

    @ctx.tool(MarkDeployedInput, MarkDeployedOutput, read_only=False, destructive=False, idempotent=True,
              title="Mark a verified deploy as deployed")
    def mark_deployed(args: MarkDeployedInput, call: Call) -> MarkDeployedOutput:
        """Record that services are deployed. Refused (nothing written) unless, for every service named, the
        latest verification passed and the runtime, asked again now, runs HEAD's code for that service:
        never verified, restarted since, failed, inconclusive, or running other code all refuse, with what to
        run instead (usually a restart, then verify_deploy)."""
        from deploystate.verify.marking import mark_deployed as mark

        from deploystate.server.backends import sync_before_deciding
        from deploystate.state.errors import DeploystateError

        project = ctx.require_state()
        ctx.check_services(project, args.services)
        synced = sync_before_deciding(project)  # [project.hooks] sync_before: the team's verdicts count too
        try:
            outcome = mark(project, _config(project), args.services or None, args.note, author=call.author())
        except DeploystateError as exc:
            if synced:
                exc.message = f"{exc.message} (before deciding: {synced})"
            raise
        return MarkDeployedOutput.model_validate({**outcome.model_dump(), "synced": synced})

    @ctx.tool(PreflightInput, PreflightOutput, read_only=False, destructive=False, idempotent=False,
              open_world=True, title="Go / no-go")
    def preflight(args: PreflightInput, call: Call) -> PreflightOutput:
        """Go/no-go before trading hours or a risky change: runs the [[preflight]] checks of deploystate.toml
        (scheduled rules ENABLED, model endpoints InService, workers answering...). GO only when every check
        passes; NO-GO lists every failing or inconclusive item by name. The answer is recorded."""
        from deploystate.verify.preflight import run_preflight

        project = ctx.require_state()
        report = run_preflight(project, _config(project), deadline=args.wait_seconds, author=call.author(),
                               progress=call.progress.checks)
        return PreflightOutput.model_validate(report.model_dump())

    @ctx.tool(HealthInput, HealthOutput, read_only=True, open_world=True, title="How is it going?")
    def system_health(args: HealthInput, call: Call) -> HealthOutput:
        """How is the system doing? Answers health first: error lines in each service's logs in the last
        30 minutes, whether the expected code paths ran (logs must_match), deploys not verified, overdue
        rechecks; then running commits and last verdicts. Unreadable logs are UNKNOWN, never "no errors".
        Use this before quoting any business metric. Changes nothing."""
        from deploystate.verify.health import system_health as health

        project = ctx.require_state()
        report = health(project, _config(project))
        return HealthOutput.model_validate(report.model_dump())
