"""Tools that read the deployment state: ``read_deployment_state``, ``affected_services``; the resources
``deploystate://state`` and ``deploystate://attempts/{id}``; the ``session_start`` prompt."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from deploystate.state.drift.affect import compute
from deploystate.state.errors import ConfigError, DeploystateError
from deploystate.state.config.mapping import GlobError
from deploystate.state.config.project import Project
from deploystate.state.ledger.store import state_file_text

from deploystate.server.mcp.derived import settle
from deploystate.server.mcp.lookup import ATTEMPT_ID, find_record
from deploystate.server.mcp.mcp_context import Call, ToolContext
from deploystate.server.mcp.models import AffectedInput, AffectedOutput, AffectedService, MatchItem, ReadStateInput
from deploystate.server.mcp.state_memo import Memo
from deploystate.server.mcp.state_summary import StateOutput, summarize

MAX_MATCHES = 50
_MEMO = Memo()  # the last answer per detail, for reads over the same kept base (state_memo)
MAX_UNMATCHED = 50

SESSION_START_STEPS = """\
You are about to work on a system that is deployed and running. Committed is not running, and \
"deployment successful" is not "system working". Before touching anything:

1. Read the state below (or call read_deployment_state). If the status is DOOM LOOP, stop: read what was \
tried and failed, and do not repeat it.
2. Call start_session with your goal; keep the session id it returns.
3. Before each change, call check_attempt with what you are about to try. If it was tried and failed, \
choose something else or explain what is different this time.
4. After each change, call record_attempt with the outcome, including failures, with the evidence.
5. To ship: affected_services tells you which services a change needs restarted; restart them, verify \
them, and only call something deployed when verification passes.
6. Before you stop: end_session with what you did, what is broken, and what to do next.
"""


def observe_now(project: Project, config: Any = None) -> dict[str, Any]:
    """Ask every runtime (one short overall deadline) and store the answers; returns them (the stored
    observation with this round merged in), for the view to show."""
    from deploystate.platforms.observing import deadline_of, refresh

    if config is None:
        from deploystate.state.config.config import load_config

        config = load_config(project.config_path)
    return refresh(project, dict(config.services), deadline_of(config))


def compute_affected(project: Project, base: str | None, head: str | None) -> AffectedOutput:
    """The shared computation (deploystate.state.drift.affect), presented for agents: a service whose running
    commit is unknown is reported as ``affected=None`` with the guess from the last change in its reason."""
    if not project.service_paths():
        raise ConfigError("deploystate.toml configures no services",
                          "add [services.<name>] tables with paths globs, then ask again")
    from deploystate.platforms.gather import reported_revisions
    from deploystate.state.config.config import load_config

    config = load_config(project.config_path)
    try:
        result = compute(project, head, base, lambda names: reported_revisions(project, config, names))
    except GlobError as exc:
        raise ConfigError(f"deploystate.toml has a bad path pattern: {exc}",
                          "fix the glob in [services.<name>].paths or [[all_services]]") from exc
    out: list[AffectedService] = []
    for name, svc in sorted(result["services"].items()):
        matches = [MatchItem(file=m["file"], pattern=m["pattern"], rule=m["rule"], status=m["status"])
                   for m in svc["matches"]]
        rules = sorted({m.rule for m in matches if m.rule != "paths"})
        if matches:
            why = f"{len(matches)} changed file{'s' if len(matches) != 1 else ''} match its paths" + \
                (f"; all-services rule: {', '.join(rules)}" if rules else "")
        elif svc["base"] == result["head"]:
            why = "already running this revision"
        else:
            why = "no changed file matches its paths"
        known = svc["base_known"]
        if not known:
            why = (f"unknown: {svc['base_reason']} (that last change: {why}); restart and verify it, or pass "
                   "base= with the commit you know is running")
        out.append(AffectedService(name=name, base=svc["base"] if known else None,
                                   affected=bool(matches) if known else None, reason=why,
                                   matches=matches[:MAX_MATCHES], match_count=len(matches)))
    unmatched = result["unmatched"]
    return AffectedOutput(head=result["head"], base_mode="given" if base else "running commit", services=out,
                          unmatched_files=unmatched[:MAX_UNMATCHED], unmatched_count=len(unmatched))


def register(server: Any, ctx: ToolContext) -> None:
    @ctx.tool(ReadStateInput, StateOutput, read_only=True, open_world=True, title="Read the deployment state")
    def read_deployment_state(args: ReadStateInput, call: Call) -> StateOutput:
        """Read this first, before changing anything. What is really running and what is wrong, most urgent
        first: the status (OK, UNVERIFIED, BROKEN or DOOM LOOP), services whose running commit lacks HEAD's
        changes ("committed, not running"), failed or unverified deploys, the doom-loop flag, the newest failed
        attempts (5, or 10 in a doom loop; marked when they repeat earlier ones; check_attempt searches them all),
        overdue rechecks, the last three sessions and their next steps. detail="summary" (default) fits in
        about 2,000 tokens and says what it left out; detail="full" returns everything. By default it first
        asks each runtime (all at once, a few seconds at most) which revision it really runs and whether it is
        up: committed is not running until the runtime says so. observe=false reads only the last stored
        observation (its age is shown)."""
        project = ctx.require_state()
        seen = observe_now(project, ctx.config(project)) if args.observe else None
        view, kept = ctx.views.get_kept(project, seen)
        if seen is not None:
            settle(project, view)
        out = summarize(view, args.detail, kept=kept, memo=_MEMO)
        out.mode = ctx.mode  # what this server lets the agent call
        return out

    @ctx.tool(AffectedInput, AffectedOutput, read_only=True, title="Services a change affects")
    def affected_services(args: AffectedInput, call: Call) -> AffectedOutput:
        """Which services a change affects, and why (the changed files and the path patterns they match).
        By default each service is compared to HEAD from its last verified deploy, else from the commit its
        runtime reports (asked now), the same base as the restart plan, so the answer is "what this service
        still needs"; pass base= (and head=) to compare two revisions instead. With neither, the comparison
        from HEAD~1 is only a guess and the service is reported as unknown, saying so."""
        return compute_affected(ctx.require_state(), args.base, args.head)

    @server.resource("deploystate://state", name="deployment_state", title="DEPLOYMENT_STATE.md",
                     description="The current DEPLOYMENT_STATE.md, rendered fresh from the ledger.",
                     mime_type="text/markdown")
    def state_resource() -> str:
        try:
            return state_file_text(ctx.require_state())
        except DeploystateError as exc:
            raise ResourceError(str(exc)) from exc

    @server.resource("deploystate://attempts/{attempt_id}", name="attempt", title="One recorded attempt",
                     description="The full ledger record of one attempt (ids appear in read_deployment_state, "
                                 "check_attempt and record_attempt).", mime_type="application/json")
    def attempt_resource(attempt_id: str) -> str:
        if not ATTEMPT_ID.match(attempt_id):
            raise ResourceNotFoundError(f"{attempt_id!r} is not an attempt id (26 characters, like the ids "
                                        "read_deployment_state lists)")
        try:
            rec = find_record(ctx.require_state().ledger, attempt_id, kind="attempt")
        except DeploystateError as exc:
            raise ResourceError(str(exc)) from exc
        if rec is None:
            raise ResourceNotFoundError(f"no attempt {attempt_id} in the ledger")
        return json.dumps(rec, indent=1, sort_keys=True, ensure_ascii=False)

    @server.prompt(name="session_start", title="Start a session safely",
                   description="Walks an agent through reading the deployment state before touching anything.")
    def session_start(goal: str = "") -> str:
        try:
            state = summarize(ctx.view(ctx.require_state())).render_text()
        except DeploystateError as exc:
            state = f"(no state available: {exc})"
        intro = f"Your goal: {goal.strip()}\n\n" if goal.strip() else ""
        return f"{intro}{SESSION_START_STEPS}\nCurrent deployment state:\n\n{state}"

