"""Tools for the memory that breaks doom loops: ``record_attempt``, ``check_attempt``, ``start_session``,
``end_session``. Thin wrappers: the similarity, signatures and session rules live in
``deploystate.state.memory.memory``; here are the MCP shapes and the service-name check."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from deploystate.state.memory import memory

from deploystate.server.mcp.mcp_context import Call, ToolContext
from deploystate.server.mcp.models import (AttemptBrief, CheckAttemptInput, CheckAttemptOutput, EndSessionInput,
                                           EndSessionOutput, RecordAttemptInput, RecordAttemptOutput,
                                           StartSessionInput, ToolOutput)
from deploystate.server.mcp.state_summary import StateOutput, summarize

# Sessions that recorded anything this recently stay open when another agent starts one (parallel agents);
# older open sessions are closed as abandoned, with what the ledger shows they did.
KEEP_ACTIVE_WITHIN = 3600.0
SESSION_STATE_BUDGET = 6_000  # the state summary inside start_session's answer, so the whole stays ~2k tokens


class PreviousSession(BaseModel):
    session_id: str | None = None
    goal: str | None = None
    status: str | None = None
    ended: str | None = None
    did: str | None = None
    broke: str | None = None
    next: str | None = None


class StartSessionOutput(ToolOutput):
    session_id: str
    started_at: str
    previous: PreviousSession | None = Field(None, description="The last ended session and its handoff.")
    abandoned: list[str] = Field(default_factory=list, description="Open sessions closed as abandoned just now.")
    kept_open: list[str] = Field(default_factory=list, description="Other sessions still active (parallel agents).")
    state: StateOutput

    def render_text(self) -> str:
        lines = [f"Session {self.session_id} started. Pass this id to end_session when you finish."]
        p = self.previous
        if p and p.next:
            lines.append(f"The previous session ({p.session_id}, {p.status}) said to do next: {p.next[:1000]}")
        if p and p.broke:
            lines.append(f"It left broken: {p.broke[:500]}")
        if self.abandoned:
            lines.append("Closed as abandoned (never ended): " + ", ".join(self.abandoned))
        if self.kept_open:
            lines.append("Still open (other agents working now): " + ", ".join(self.kept_open))
        return "\n".join(lines) + "\n\n" + self.state.render_text()


def _brief(item: dict[str, Any]) -> AttemptBrief:
    reasons = []
    if item.get("signature_match"):
        reasons.append("same failure signature")
    if item.get("files"):
        reasons.append("files: " + ", ".join(item["files"][:5]))
    return AttemptBrief(id=item["id"], ts=item.get("ts") or "", summary=str(item.get("summary") or "")[:500],
                        outcome=item.get("outcome") or "unknown", services=list(item.get("services") or []),
                        files=list(item.get("files") or [])[:20], session=item.get("session"),
                        score=item.get("score"), reasons=reasons)


def register(server: Any, ctx: ToolContext) -> None:
    @ctx.tool(RecordAttemptInput, RecordAttemptOutput, read_only=False, destructive=False, idempotent=False,
              title="Record an attempt")
    def record_attempt(args: RecordAttemptInput, call: Call) -> RecordAttemptOutput:
        """Record what you just tried and how it ended, failures above all: the next session (maybe you,
        after a context reset) reads it before repeating your work. Appends one attempt to the ledger and
        returns its id with the earlier attempts that look like it; a warning says when one of those failed.
        Secrets in the text are redacted before anything is written."""
        project = ctx.require_state()
        ctx.check_services(project, args.services)
        result = memory.record_attempt(project, summary=args.summary, hypothesis=args.hypothesis or None,
                                       files=args.files, services=args.services, outcome=args.outcome,
                                       evidence=args.evidence or None, author=call.author())
        rec = result["record"]
        return RecordAttemptOutput(id=rec["id"], ts=rec["ts"], outcome=rec["payload"]["outcome"],
                                   signature=rec["payload"].get("signature"),
                                   similar=[_brief(s) for s in result["similar"]], warning=result["warning"])

    @ctx.tool(CheckAttemptInput, CheckAttemptOutput, read_only=True, title="Was this tried before?")
    def check_attempt(args: CheckAttemptInput, call: Call) -> CheckAttemptOutput:
        """Has this been tried before, and how did it end? Call it with the change you are about to make,
        before making it. Searches every attempt ever recorded (by meaning of the words, files and services
        touched) and answers with the closest ones and their outcomes. Changes nothing."""
        project = ctx.require_state()
        ctx.check_services(project, args.services)
        result = memory.check_attempt(project, summary=args.summary, files=args.files, services=args.services)
        return CheckAttemptOutput(tried_before=bool(result["similar"]), verdict=result["verdict_text"],
                                  matches=[_brief(s) for s in result["similar"]])

    @ctx.tool(StartSessionInput, StartSessionOutput, read_only=False, destructive=False, idempotent=False,
              title="Start a session")
    def start_session(args: StartSessionInput, call: Call) -> StartSessionOutput:
        """Start a working session: records your goal, closes sessions that were left open and idle as
        abandoned, and returns a session id, the previous session's handoff (what it said to do next) and
        the current deployment state summary. Attempts you record afterwards carry this session id."""
        project = ctx.require_state()
        client = args.client or call.client
        author = {**call.author(), "client": client or call.author()["client"]}
        result = memory.start_session(project, goal=args.goal, client=client, author=author,
                                      keep_active_within=KEEP_ACTIVE_WITHIN)
        if ctx.transport == "stdio":  # over HTTP one server serves many agents: no implicit session
            ctx.session_id = result["session_id"]
        prev = result.get("previous")
        state = summarize(ctx.view(project), "summary", budget=SESSION_STATE_BUDGET)
        return StartSessionOutput(session_id=result["session_id"], started_at=result["record"]["ts"],
                                  previous=PreviousSession(**prev) if prev else None,
                                  abandoned=[a["session_id"] for a in result.get("abandoned", [])],
                                  kept_open=list(result.get("kept_open", [])), state=state)

    @ctx.tool(EndSessionInput, EndSessionOutput, read_only=False, destructive=False, idempotent=False,
              title="End a session with a handoff")
    def end_session(args: EndSessionInput, call: Call) -> EndSessionOutput:
        """End your session with a handoff for the next one: what you did, what is broken or unverified now
        (be honest: "deployed" without a passing verification is unverified), and what to do next. The
        ledger's own record of what the session did is added automatically."""
        project = ctx.require_state()
        result = memory.end_session(project, session_id=args.session_id, did=args.did, broke=args.broke,
                                    next=args.next, author=call.author())
        if ctx.session_id == result["session_id"]:
            ctx.session_id = None
        return EndSessionOutput(session_id=result["session_id"], ended_at=result["record"]["ts"],
                                status=result["status"])
