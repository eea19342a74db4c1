"""Before step 1: build the repository, install the hooks, and play "yesterday": an agent restarted
both services, verified the worker, and called the api deployed without verifying it."""

from __future__ import annotations

from deploystate.state.errors import DeploystateError

from .scene import CLIENT, Scene, agent


def set_up(scene: Scene) -> None:
    """Raise DeploystateError if the scene cannot be set (the story would prove nothing)."""
    ws, say = scene.ws, scene.say
    say.say(f"Building a two-service app (an HTTP api and a worker) in {ws.root}")
    say.say("with a bare remote, deploystate.toml and deploystate's git hooks.")
    scene.variant.build(ws)
    scene.load()
    ws.install_hooks()
    ws.commit("demo-shop: api and worker")
    first = ws.push()
    if not first.ok:
        raise DeploystateError(f"the first push was refused: {first.stderr.strip()[-300:]}",
                               "run the demo with --keep and inspect the repository")
    scene.memo["first_commit"] = ws.head()
    _yesterday(scene)
    first_commit = scene.memo["first_commit"][:10]
    say.say("")
    say.say(f"Yesterday an agent started api and worker at {first_commit}, verified the worker,")
    say.say("and said the api was deployed without verifying it. Since then every api decision")
    say.say("has used the fallback rule. Its log:")
    say.output("\n".join(scene.recent_log("api", 3)))


def _yesterday(scene: Scene) -> None:
    """Yesterday's session, told quietly: the same library calls, by another author."""
    from deploystate.platforms import deploy
    from deploystate.state.memory.memory import end_session, start_session
    from deploystate.verify.service import verify_services

    ws = scene.ws
    who = agent("yesterday's agent session")
    started = start_session(scene.project, goal="make the api decide with the RL model again", client=CLIENT,
                            author=who)
    who["session"] = started["session_id"]
    scene.variant.before_restart(ws)
    plan = deploy.make_plan(scene.project, scene.config)
    outcomes = deploy.execute(scene.project, scene.config, plan, author=who)
    failed = [o.service for o in outcomes if o.status != "restarted"]
    if failed or len(outcomes) != 2:
        raise DeploystateError(f"the first start of the app failed for {', '.join(failed) or 'a service'}: "
                               + "; ".join(o.message[:200] for o in outcomes),
                               "run the demo with --keep and look at the services' logs")
    report = verify_services(scene.project, scene.config, ["worker"], author=who, alert=False)
    if report.verdict != "pass":
        raise DeploystateError(f"the worker's first verification was {report.verdict}: "
                               f"{report.services[0].summary}",
                               "run the demo with --keep and look at the worker's logs")
    end_session(scene.project, session_id=who["session"], author=who,
                did="restarted api and worker; the api is deployed", broke="nothing",
                next="check that the api stopped using the fallback rule")

