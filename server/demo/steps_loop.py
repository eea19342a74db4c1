"""Steps 6-7: three failed fixes in a row raise DOOM LOOP (and the memory flags a near-duplicate
attempt), then the DEPLOYMENT_STATE.md that the next session reads first."""

from __future__ import annotations

from types import ModuleType
from typing import Callable

from deploystate.state.memory.memory import NEAR_DUPLICATE

from .report import StepResult
from .scene import Scene, evidence_samples, expect

# (commit message, attempt summary, the edit): the last two are the same idea, worded apart.
FIXES: list[tuple[str, str, Callable[[ModuleType, str], str]]] = [
    ("worker: take the batch size from each job", "take the worker batch size from each job",
     lambda edits, text: edits.worker_batch_from_job(text)),
    ("worker: retry failed jobs 3 times", "retry failed worker jobs 3 times to get past the error",
     lambda edits, text: edits.worker_retries(text, 3)),
    ("worker: retry failed jobs 5 times", "retry the failed worker jobs 5 times to get past the error",
     lambda edits, text: edits.worker_retries(text, 5)),
]


def step_doom_loop(scene: Scene, step: StepResult) -> None:
    """6. Three failed fixes in a row: DOOM LOOP; the third attempt is flagged as a near-duplicate."""
    ws, say, worker_file = scene.ws, scene.say, scene.variant.worker_file
    say.say("Now the worker is slow on big jobs. Three quick fixes, each restarted and verified:")
    attempts: list[dict] = []
    reports = []
    for number, (message, summary, edit) in enumerate(FIXES, 1):
        say.say("")
        say.say(f"Fix {number} of 3:")
        ws.write(worker_file, edit(scene.variant.edits, ws.read(worker_file)))
        scene.commit(message, [worker_file], brief=True)
        plan, outcomes = scene.restart_affected(brief=True)
        expect(step, f"fix {number}: only worker is restarted",
               [o.service for o in outcomes] == ["worker"] and outcomes[0].status == "restarted",
               str(plan.to_dict()["restart"]))
        report = scene.verify(["worker"], brief=True)
        reports.append(report)
        samples = [s for c in report.services[0].checks if c.result == "fail"
                   for s in evidence_samples(c.evidence)]
        expect(step, f"fix {number}: the verification of worker FAILS", report.verdict == "fail",
               report.services[0].summary)
        attempts.append(scene.attempt(summary, outcome="failed", files=[worker_file], services=["worker"],
                                      evidence="\n".join(samples) or report.services[0].summary))
    expect(step, "no DOOM LOOP after two failures", not reports[1].doom_loop, reports[1].status)
    expect(step, "DOOM LOOP after the third failure in a row", reports[2].doom_loop
           and reports[2].status == "DOOM LOOP", f"{reports[2].status}: {reports[2].status_reason}")
    earlier = attempts[1]["record"]["id"]
    match = next((s for s in attempts[2]["similar"] if s["id"] == earlier), None)
    expect(step, "the third attempt is flagged as a near-duplicate of the second",
           match is not None and match["score"] >= NEAR_DUPLICATE and earlier in (attempts[2]["warning"] or ""),
           f"similar: {[(s['id'], round(s['score'], 2)) for s in attempts[2]['similar']]}")
    say.say("")
    say.say("And the hooks stop stacking pushes on a loop:")
    pushed = scene.push()
    expect(step, "the pre-push hook refuses the push with DOOM LOOP", not pushed.ok and "DOOM LOOP" in pushed.stderr,
           pushed.stderr.strip()[-300:])


def step_state_file(scene: Scene, step: StepResult) -> None:
    """7. The final DEPLOYMENT_STATE.md: what the next session (human or agent) reads first."""
    scene.end_session(did="api: the model path fixed, verified and marked deployed",
                      broke="worker: three fixes in a row failed verification (every job fails: a batch size of "
                            "0): DOOM LOOP",
                      next="stop; read the failed worker attempts, then roll the worker back or give batch_size "
                           "a default above 0")
    path = scene.project.state_file
    scene.say.command(f"cat {path.name}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        expect(step, "DEPLOYMENT_STATE.md exists", False, str(exc))
        return
    scene.say.raw("")
    scene.say.raw(text)
    step.facts["state_file"] = str(path)
    expect(step, "DEPLOYMENT_STATE.md exists", bool(text.strip()))
    expect(step, "it flags the DOOM LOOP", "DOOM LOOP" in text)
    expect(step, "it lists the failed attempts", all(summary in text for _, summary, _ in FIXES[1:]),
           "a failed attempt's summary is missing")
    expect(step, "it shows api's verified deploy", "api" in text and "PASS" in text.upper())
    expect(step, "it hands over what this session says to do next", "roll the worker back" in text)
