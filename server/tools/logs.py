"""The ``service_logs`` tool: a service's logs since its last restart (or a window), the previous
instance's after a crash, a grep; bounded and redacted. The rules live in ``server/service_logs.py``."""

from __future__ import annotations

from pydantic import Field

from deploystate.server.mcp.mcp_context import Call, ToolContext
from deploystate.server.mcp.models import ServiceName, ToolInput, ToolOutput
from ..service_logs import DEFAULT_LINES, MAX_LINES, LogsReport, read_logs, render

LOGS_TIMEOUT = 30.0


class LogsInput(ToolInput):
    service: ServiceName = Field(description="The service (a name from deploystate.toml).")
    since: str | None = Field(None, max_length=40, pattern=r"^[0-9A-Za-z:.+\-]+$",
                              description="A duration ('30m', '2h') or an ISO time. Default: the last restart "
                                          "deploystate recorded (else the last 30 minutes).")
    previous: bool = Field(False, description="The previous instance's logs: what a crashed or restarted "
                                              "container / pod said before it died.")
    grep: str | None = Field(None, max_length=200, description="Keep only lines matching this regular expression.")
    max_lines: int = Field(DEFAULT_LINES, ge=1, le=MAX_LINES,
                           description=f"The last N matching lines (default {DEFAULT_LINES}, max {MAX_LINES}); "
                                       "at most 64 KB in all, each line cut at 2,000 characters.")


class LogsOutput(ToolOutput, LogsReport):
    def render_text(self) -> str:
        return render(self)


def register(server: object, ctx: ToolContext) -> None:
    @ctx.tool(LogsInput, LogsOutput, read_only=True, open_world=True, title="A service's logs")
    def service_logs(args: LogsInput, call: Call) -> LogsOutput:
        """A service's logs from its real runtime (compose, Docker, Kubernetes, ECS, command), since its last
        restart by default, or since= a window; previous=true for the instance before the last crash or
        restart (why it died); grep= to keep matching lines. Bounded (the last max_lines lines, 64 KB) and
        every line redacted: use this instead of `docker logs` / `kubectl logs` in the shell. Changes nothing."""
        from deploystate.state.config.config import load_config

        project = ctx.require_state()
        ctx.check_services(project, [args.service])
        report = read_logs(project, load_config(project.config_path), args.service, since=args.since,
                           previous=args.previous, grep=args.grep, max_lines=args.max_lines, timeout=LOGS_TIMEOUT)
        return LogsOutput.model_validate(report.model_dump())
