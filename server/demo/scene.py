"""The demo's actors and actions: the same library calls the CLI and the MCP tools make
(``restart --affected``, ``verify``, ``mark-deployed``, ``attempt add``, ``session``), narrated as
the commands a person would type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deploystate.state.config.config import Config, load_config
from deploystate.state.config.project import Project

from .report import Expectation, Narrator, StepResult
from .variants import CommandVariant, ComposeVariant
from .workspace import GitRun, Workspace

CLIENT = "deploystate-demo"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})? ")


def agent(name: str, session: str | None = None) -> dict[str, Any]:
    return {"kind": "agent", "name": name, "client": CLIENT, "session": session}


@dataclass
class Scene:
    ws: Workspace
    say: Narrator
    variant: CommandVariant | ComposeVariant
    memo: dict[str, Any] = field(default_factory=dict)   # what one step hands to the next
    you: dict[str, Any] = field(default_factory=lambda: agent("today's agent session"))
    project: Project = field(init=False)
    config: Config = field(init=False)

    def load(self) -> None:
        self.project = Project.discover(self.ws.root)
        self.config = load_config(self.project.config_path)

    # -- git, with the hooks' words shown --------------------------------------------------------
    def commit(self, message: str, paths: list[str], *, brief: bool = False) -> GitRun:
        self.say.command(f'git commit -m "{message}"')
        run = self.ws.commit(message, paths)
        hook = hook_lines(run.stderr)
        if hook:
            self.say.say("post-commit hook:")
            self.say.output(hook, limit=2 if brief else 14, more=not brief)
        return run

    def push(self) -> GitRun:
        self.say.command("git push origin main")
        run = self.ws.push()
        lines = hook_lines(run.stderr)
        if run.ok:
            self.say.good("push accepted")
            self.say.output(lines, limit=3)
        else:
            self.say.bad(f"push refused by the pre-push hook (exit {run.returncode}):")
            self.say.output("\n".join(ln for ln in lines.splitlines() if not ln.startswith("error:")), limit=9)
        return run

    # -- deploystate ----------------------------------------------------------------------------
    def restart_affected(self, *, brief: bool = False) -> tuple[Any, list[Any]]:
        """What ``deploystate restart --affected`` (and the MCP restart_affected tool) does."""
        from deploystate.platforms import deploy
        from deploystate.platforms.plan import describe

        self.say.command("deploystate restart --affected")
        self.variant.before_restart(self.ws)
        plan = deploy.make_plan(self.project, self.config)
        if not brief:
            self.say.output(describe(plan))
        outcomes = deploy.execute(self.project, self.config, plan, author=self.you)
        for o in outcomes:
            line = f"{o.service}: {o.status} at {(o.commit or '?')[:10]} ({_instance_text(o.platform_ids)})"
            skipped = [i.service for i in plan.items if i.action == "skip"]
            if brief and skipped:
                line += f"; left alone: {', '.join(skipped)}"
            (self.say.good if o.status == "restarted" else self.say.bad)(line)
        return plan, outcomes

    def verify(self, names: list[str], *, brief: bool = False) -> Any:
        from deploystate.verify.service import verify_services

        self.say.command(f"deploystate verify {' '.join(names)}")
        report = verify_services(self.project, self.config, names, author=self.you, alert=False)
        for sv in report.services:
            self.say.verdict(sv.verdict, f"{sv.service} at {(sv.commit or '?')[:10]}")
            for check in sorted(sv.checks, key=lambda c: c.result == "pass"):
                if brief and check.result == "pass":
                    continue
                self.say.say(clip(f"    {check.result:<5} {check.name}: {check.summary}", 150))
                if check.result == "fail":
                    for sample in evidence_samples(check.evidence)[:2 if brief else 3]:
                        self.say.warn(clip(f"  evidence: {sample}", 150))
        if report.doom_loop:
            self.say.bad(f"Status: {report.status} — {report.status_reason}")
        return report

    def mark_deployed(self, names: list[str], note: str) -> Any:
        from deploystate.verify.marking import mark_deployed

        self.say.command(f"deploystate mark-deployed {' '.join(names)} --note \"{note}\"")
        outcome = mark_deployed(self.project, self.config, names, note, author=self.you)
        for m in outcome.marked:
            self.say.good(f"marked deployed: {m['service']} at {(m['commit'] or '?')[:10]}")
        return outcome

    def attempt(self, summary: str, *, outcome: str, files: list[str], services: list[str],
                evidence: str | None = None) -> dict[str, Any]:
        from deploystate.state.memory.memory import NEAR_DUPLICATE, record_attempt

        self.say.command(f'deploystate attempt add --summary "{summary}" --outcome {outcome}')
        res = record_attempt(self.project, summary=summary, files=files, services=services, outcome=outcome,
                             evidence=evidence, author=self.you)
        failed = [s for s in res["similar"] if s["outcome"] == "failed"]
        if failed:
            top = failed[0]
            how = "a NEAR-DUPLICATE of" if top["score"] >= NEAR_DUPLICATE else "similar to"
            self.say.warn(f"memory: this is {how} attempt {top['id']} (similarity {top['score']:.2f}), "
                          f"which FAILED: \"{top['summary'][:80]}\"")
        return res

    def start_session(self, goal: str) -> dict[str, Any]:
        from deploystate.state.memory.memory import start_session

        self.say.command(f'deploystate session start --goal "{goal}"')
        res = start_session(self.project, goal=goal, client=CLIENT, author=self.you)
        self.you = {**self.you, "session": res["session_id"]}
        if res.get("previous_next"):
            self.say.say(f"    the previous session left this to do next: \"{res['previous_next']}\"")
        return res

    def end_session(self, did: str, broke: str, next: str) -> dict[str, Any]:
        from deploystate.state.memory.memory import end_session

        self.say.command("deploystate session end --did ... --broke ... --next ...")
        return end_session(self.project, session_id=self.you.get("session"), did=did, broke=broke, next=next,
                           author=self.you)

    def view(self) -> dict[str, Any]:
        from deploystate.state.ledger.ids import utc_now
        from deploystate.state.view.view import build_view

        return build_view(self.project, now=utc_now(), generated_by="deploystate demo")

    def observed_view(self) -> dict[str, Any]:
        """What ``deploystate state`` shows: every runtime asked first (the answers kept), then the view."""
        from deploystate.platforms.observing import deadline_of, refresh
        from deploystate.state.ledger.ids import utc_now
        from deploystate.state.view.view import build_view

        observed = refresh(self.project, dict(self.config.services), deadline_of(self.config))
        return build_view(self.project, now=utc_now(), generated_by="deploystate demo", observed=observed)

    def service_view(self, name: str) -> dict[str, Any]:
        return next(s for s in self.view()["services"] if s["name"] == name)

    def instance(self, name: str) -> str | None:
        """What tells this run of ``name`` from the next: a pid, a container id (None: not running)."""
        return self.variant.instance(self.ws, name)

    def recent_log(self, name: str, lines: int) -> list[str]:
        """The last lines ``name`` logged, read through its platform (timestamps dropped)."""
        from deploystate.platforms.base import ServiceRef
        from deploystate.platforms.registry import get_platform

        cfg = self.config.services[name]
        got = list(get_platform(cfg.platform).logs(ServiceRef(name, cfg, self.project.root), since=None, timeout=10))
        return [_TIMESTAMP.sub("", ln) for ln in got[-lines:]]


def _instance_text(ids: dict[str, Any]) -> str:
    if ids.get("pid"):
        return f"pid {ids['pid']}"
    containers = ids.get("containers") or []
    return f"container {', '.join(map(str, containers))}" if containers else "no instance reported"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_samples(evidence: Any) -> list[str]:
    """The distinct log lines a failing logs check kept (timestamps dropped), and what it missed."""
    out: list[str] = []
    if isinstance(evidence, dict):
        for hit in evidence.get("must_not_match") or []:
            out += [_TIMESTAMP.sub("", str(s)) for s in (hit.get("samples") or [])[:2]]
        for hit in evidence.get("must_match") or []:
            if not hit.get("count"):
                out.append(f"no line matching {hit.get('pattern')!r} since the restart")
    return list(dict.fromkeys(out))


def hook_lines(text: str) -> str:
    """The hooks' messages (everything from the first ``deploystate`` line on)."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("deploystate")), None)
    return "\n".join(lines[start:]) if start is not None else ""


def expect(step: StepResult, what: str, ok: bool, detail: str = "") -> bool:
    step.expectations.append(Expectation(what, bool(ok), detail))
    return bool(ok)
