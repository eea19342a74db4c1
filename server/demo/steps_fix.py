"""Steps 1-4: a fix is committed but not running, a targeted restart, a verification that fails on
evidence, and the right fix verified, marked deployed and pushed. Each step checks its outcome."""

from __future__ import annotations

import json
import urllib.request

from .report import StepResult
from .scene import Scene, evidence_samples, expect


def _version(scene: Scene) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{scene.ws.port}/version", timeout=3) as resp:
            return json.loads(resp.read()).get("revision")
    except (OSError, ValueError):
        return None


def step_commit(scene: Scene, step: StepResult) -> None:
    """1. A fix is committed: committed is not running, and pushing onto an unverified deploy is refused."""
    say, ws, api_file = scene.say, scene.ws, scene.variant.api_file
    scene.start_session("stop the api's fallback decisions")
    say.say("The api cannot find its model. A first fix points it at models/model.json:")
    ws.write(api_file, scene.variant.edits.api_model_path(ws.read(api_file), "models/model.json"))
    run = scene.commit("api: load the model from models/model.json", [api_file])
    hook = run.stderr
    expect(step, "the post-commit hook says the commit is not running and names api",
           "Committed is not running" in hook and "  api:" in hook, hook.strip()[-300:])
    expect(step, "the post-commit hook does not name worker (its code did not change)", "  worker:" not in hook)
    say.command("deploystate state")
    # As `deploystate state` does: every runtime asked first, so "running HEAD's code" is the runtime's word.
    seen = {s["name"]: s for s in scene.observed_view()["services"]}
    for name in ("api", "worker"):
        svc = seen[name]
        files = ", ".join(svc["drift"]["files"])
        say.say(f"    {name:<7} running {(svc['running_commit'] or '?')[:10]}  {svc['drift']['state']}"
                + (f" ({files})" if files else ""))
    api, worker = seen["api"], seen["worker"]
    expect(step, 'state shows api as "committed, not running"',
           api["drift"]["state"] == "committed, not running" and api_file in api["drift"]["files"],
           json.dumps(api["drift"]))
    expect(step, "state shows worker running HEAD's code", worker["drift"]["state"] == "running HEAD's code",
           json.dumps(worker["drift"]))
    say.say("Push it? The api's previous deploy was never verified:")
    pushed = scene.push()
    expect(step, "the pre-push hook refuses the push while api's deploy is unverified",
           not pushed.ok and "`api`" in pushed.stderr and "verif" in pushed.stderr,
           pushed.stderr.strip()[-300:])
    expect(step, "the remote still has the first commit", ws.remote_head() == scene.memo["first_commit"])


def step_restart(scene: Scene, step: StepResult) -> None:
    """2. ``restart --affected`` restarts only the service the change touched."""
    say = scene.say
    before = {name: scene.instance(name) for name in ("api", "worker")}
    say.say("deploystate compares each service's running commit with HEAD and restarts only what changed:")
    plan, outcomes = scene.restart_affected()
    after = {name: scene.instance(name) for name in ("api", "worker")}
    expect(step, "the plan restarts api and skips worker",
           [i.service for i in plan.restarts] == ["api"]
           and any(i.service == "worker" and i.action == "skip" for i in plan.items),
           json.dumps(plan.to_dict()["restart"]))
    expect(step, "api was restarted (a new instance runs)", [o.status for o in outcomes] == ["restarted"]
           and after["api"] not in (None, before["api"]), f"{before} -> {after}")
    expect(step, "worker kept running, untouched", after["worker"] is not None
           and after["worker"] == before["worker"], f"{before} -> {after}")
    step.facts["instances"] = {"before": before, "after": after}
    running = _version(scene)
    expect(step, "api's /version reports the new commit", running == scene.ws.head(), f"/version says {running}")
    say.say(f"api's /version now says {(running or '?')[:10]}: the fix is running. Is it working?")


def step_verify_fails(scene: Scene, step: StepResult) -> None:
    """3. Verification fails on evidence: the fallback path still appears in the logs."""
    report = scene.verify(["api"])
    sv = report.services[0]
    logs = next((c for c in sv.checks if c.type == "logs"), None)
    samples = evidence_samples(logs.evidence if logs else {})
    expect(step, "the verification of api FAILS", report.verdict == "fail", sv.summary)
    expect(step, "the logs check failed with the fallback lines as evidence",
           logs is not None and logs.result == "fail" and any("using fallback" in s for s in samples),
           logs.summary if logs else "no logs check ran")
    revision = next((c for c in sv.checks if c.type == "revision"), None)
    expect(step, "the revision check passed: the fix runs, it just does not work",
           revision is not None and revision.result == "pass", revision.summary if revision else "")
    scene.say.say("Restarted is not working. What was tried goes on record, with its evidence:")
    res = scene.attempt("point the api at models/model.json to load the RL model", outcome="failed",
                        files=[scene.variant.api_file], services=["api"], evidence="\n".join(samples))
    scene.memo["api_attempt"] = res["record"]["id"]
    expect(step, "the failed attempt is recorded", res["record"]["payload"]["outcome"] == "failed")


def step_right_fix(scene: Scene, step: StepResult) -> None:
    """4. The right fix: restart, verification passes, mark-deployed succeeds, the push goes through."""
    ws, say, api_file = scene.ws, scene.say, scene.variant.api_file
    say.say("The model lives in models/rl.json. The right fix:")
    ws.write(api_file, scene.variant.edits.api_model_path(ws.read(api_file), "models/rl.json"))
    scene.commit("api: load the model from models/rl.json", [api_file])
    plan, outcomes = scene.restart_affected()
    expect(step, "only api is restarted", [o.service for o in outcomes] == ["api"]
           and outcomes[0].status == "restarted", json.dumps(plan.to_dict()["restart"]))
    report = scene.verify(["api"])
    expect(step, "the verification of api PASSES (health, decisions by the RL model, revision)",
           report.verdict == "pass", report.services[0].summary)
    marked = scene.mark_deployed(["api"], "api decides with the RL model again")
    expect(step, "mark-deployed succeeds", [m["service"] for m in marked.marked] == ["api"])
    pushed = scene.push()
    expect(step, "the push goes through", pushed.ok, pushed.stderr.strip()[-300:])
    expect(step, "the remote now has the fix", ws.remote_head() == ws.head())
