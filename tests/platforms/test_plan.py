"""The restart plan (pure): which services, why, with which strategy; unchanged code is refused unless forced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploystate.platforms.plan import build_plan, describe, resolve_strategy
from deploystate.state.config.config import CommandService, ComposeService, EcsService, KubernetesService
from deploystate.state.errors import ConfigError, InputError
from deploystate.state.config.mapping import Change, Match, affected

BASE = "a" * 40
SERVICES = {
    "api": ComposeService(paths=["api/**"]),
    "worker": CommandService(paths=["worker/**"], restart_cmd=["ctl", "restart"]),
    "web": EcsService(paths=["web/**"], cluster="prod", service="web", restart="force_new_deployment"),
    "jobs": KubernetesService(paths=["jobs/**"], deployment="jobs", restart="rollout"),
}


def _plan(changed: list[str], **kw):
    hit = affected([Change(p) for p in changed], {n: c.paths for n, c in SERVICES.items()}, [([".env"], "env file")])
    return build_plan(affected=hit.services, bases={n: BASE for n in SERVICES}, configured=SERVICES,
                      head="b" * 40, **kw)


def test_affected_mode_restarts_changed_services_and_skips_the_rest():
    """Without names, every affected service is restarted with the file and pattern that matched."""
    plan = _plan(["api/app.py", "api/util.py"])
    assert [i.service for i in plan.restarts] == ["api"]
    api = plan.restarts[0]
    assert api.strategy == "recreate" and api.file_count == 2
    assert api.files[0].file == "api/app.py" and api.files[0].pattern == "api/**"
    assert "2 files changed since aaaaaaaaaaaa" in api.why
    assert {i.service: i.action for i in plan.items} == {"api": "restart", "jobs": "skip", "web": "skip",
                                                          "worker": "skip"}
    assert plan.refused == []


def test_an_all_services_rule_names_its_reason():
    """A file matched by an all-services rule affects every service and says which rule."""
    plan = _plan([".env"])
    assert len(plan.restarts) == 4 and all("(env file)" in i.why for i in plan.restarts)


def test_named_service_with_unchanged_code_is_refused():
    """Naming a service whose code did not change refuses it, and says how to force it."""
    plan = _plan(["api/app.py"], requested=["worker"])
    assert [i.service for i in plan.refused] == ["worker"] and plan.restarts == []
    assert "--force --reason" in plan.refused[0].why


def test_force_needs_a_reason_and_names():
    """--force without a reason, or without service names, is bad input."""
    with pytest.raises(InputError, match="reason"):
        _plan([], requested=["worker"], force=True)
    with pytest.raises(InputError, match="named services"):
        _plan([], force=True, reason="why")


def test_forced_restart_records_the_reason():
    """A forced restart of unchanged code is planned, marked forced, and carries the reason."""
    plan = _plan([], requested=["worker"], force=True, reason="rotated a secret")
    [item] = plan.restarts
    assert item.forced and item.reason == "rotated a secret" and "forced: rotated a secret" in item.why
    assert item.strategy == "command"


def test_unknown_running_commit_is_never_refused():
    """A service whose running commit is unknown is restarted, with that reason shown."""
    hit = affected([], {n: c.paths for n, c in SERVICES.items()})
    plan = build_plan(affected=hit.services, bases={"jobs": None}, configured=SERVICES, requested=["jobs"],
                      unknown={"jobs": "never deployed"})
    [item] = plan.restarts
    assert "running commit unknown (never deployed)" in item.why and not item.forced


def test_unknown_service_name_lists_the_known_ones():
    """An unknown name is a ConfigError whose hint lists the configured services."""
    with pytest.raises(ConfigError) as err:
        _plan([], requested=["nope"])
    assert "api, jobs, web, worker" in err.value.hint


def test_strategy_auto_resolves_per_platform():
    """"auto" becomes the platform's strategy that picks up new code."""
    assert resolve_strategy(ComposeService()) == "recreate"
    assert resolve_strategy(EcsService(cluster="c", service="s")) == "force_new_deployment"
    assert resolve_strategy(KubernetesService(deployment="d")) == "rollout"
    assert resolve_strategy(ComposeService(restart="restart")) == "restart"


def test_describe_lists_plan_and_to_dict_is_plain():
    """The text plan names each service and action; to_dict lists restarts and refusals."""
    plan = _plan(["web/a.py", "web/b.py", "web/c.py", "web/d.py", "web/e.py"])
    text = describe(plan)
    assert "restart  web [ecs, force_new_deployment]: 5 files changed" in text and "and 2 more" in text
    assert "M web/d.py  <- web/**" in text
    assert plan.to_dict()["restart"] == ["web"]
    assert "nothing to restart" in describe(_plan(["README.md"]))


@given(st.lists(st.sampled_from(["api/x.py", "web/y.py", "docs/z.md", "jobs/k.yaml", ".env"]), max_size=6),
       st.lists(st.sampled_from(sorted(SERVICES)), max_size=4, unique=True))
def test_a_named_service_is_restarted_exactly_when_its_code_changed(changed, names):
    """Property: a named service is restarted iff a changed file matches it, otherwise refused."""
    plan = _plan(changed, requested=names or None)
    hit = affected([Change(p) for p in changed], {n: c.paths for n, c in SERVICES.items()}, [([".env"], "env file")])
    for item in plan.items:
        changed_here = bool(hit.services.get(item.service))
        if names:
            assert item.action == ("restart" if changed_here else "refuse")
        else:
            assert item.action == ("restart" if changed_here else "skip")


def test_matches_dedupe_per_file():
    """A file matched by several patterns is listed once."""
    ms = [Match("api/a.py", "api/**", "paths"), Match("api/a.py", "**/*.py", "paths")]
    plan = build_plan(affected={"api": ms}, bases={"api": BASE}, configured={"api": SERVICES["api"]})
    assert plan.restarts[0].file_count == 1
