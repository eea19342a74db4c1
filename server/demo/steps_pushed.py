"""Step 5: a fix committed and pushed is not running until it is restarted. ``state``, ``verify`` and
``mark-deployed`` each say so; then the restart that runs it, and a pass."""

from __future__ import annotations

from deploystate.state.errors import Refused

from .report import StepResult
from .scene import Scene, expect

NOTE = "# jobs are taken in the order they arrive"


def step_pushed_not_running(scene: Scene, step: StepResult) -> None:
    """5. Committed and pushed is not running: state says DRIFT, verify fails on the revision, mark-deployed
    is refused; ``restart --affected`` runs it and verification passes."""
    ws, say, worker_file = scene.ws, scene.say, scene.variant.worker_file
    say.say("A small worker change, committed and pushed (everything running is verified, so the push goes):")
    ws.write(worker_file, ws.read(worker_file).rstrip("\n") + f"\n{NOTE}\n")
    scene.commit("worker: say in which order jobs are taken", [worker_file], brief=True)
    pushed = scene.push()
    expect(step, "the push goes through", pushed.ok, pushed.stderr.strip()[-300:])
    head = ws.head()
    scene.memo["pushed_not_running"] = head
    say.command("deploystate state")
    view = scene.observed_view()
    say.say(f"    Status: {view['status']} — {view['reason']}")
    worker = next(s for s in view["services"] if s["name"] == "worker")
    expect(step, "state says DRIFT: committed, not running, naming worker and HEAD's commit",
           view["status"] == "DRIFT" and "worker runs" in view["reason"] and head[:10] in view["reason"],
           f"{view['status']}: {view['reason']}")
    expect(step, "the runtime, asked by state, reports worker's old commit",
           (worker.get("observed") or {}).get("verdict") == "not_head", str(worker.get("observed")))
    report = scene.verify(["worker"], brief=True)
    revision = next((c for c in report.services[0].checks if c.type == "revision"), None)
    expect(step, "verify says worker does not run HEAD's code (the revision check does not pass)",
           report.verdict != "pass" and revision is not None and revision.result != "pass",
           revision.summary if revision else report.services[0].summary)
    try:
        scene.mark_deployed(["worker"], "the job-order note")
        refused = ""
    except Refused as exc:
        refused = exc.message
        say.bad(f"mark-deployed refused: {refused[:200]}")
    expect(step, "mark-deployed refuses worker", bool(refused), refused or "it was marked deployed")
    say.say("The restart that runs it:")
    plan, outcomes = scene.restart_affected(brief=True)
    expect(step, "only worker is restarted", [o.service for o in outcomes] == ["worker"]
           and outcomes[0].status == "restarted", str(plan.to_dict()["restart"]))
    report = scene.verify(["worker"], brief=True)
    expect(step, "now the verification of worker PASSES", report.verdict == "pass", report.services[0].summary)
    view = scene.observed_view()
    worker = next(s for s in view["services"] if s["name"] == "worker")
    expect(step, "state: worker runs HEAD's code", (worker.get("observed") or {}).get("verdict") == "runs_head",
           str(worker.get("observed")))
