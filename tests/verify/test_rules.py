"""Pure rules: rollout judgement from Observations, ConfigMap references, mark-deployed, rechecks, health, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from deploystate.platforms.base import Instance, Observation
from deploystate.state.config.checks import RolloutCheck
from deploystate.verify import alerts
from deploystate.verify.checks.config_refs import WHOLE, configmap_refs, env_file_keys, env_names
from deploystate.verify.checks.rollout import judge
from deploystate.verify.context import CheckContext
from deploystate.verify.health import CodePath, ServiceHealth, headline
from deploystate.verify.marking import decide
from deploystate.verify.recheck import due

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def obs(state: str = "running", **kw) -> Observation:
    return Observation("web", "docker", "docker:web", state, **kw)


def ctx(**kw) -> CheckContext:
    return CheckContext(root=Path("."), **kw)


def test_rollout_passes_a_running_healthy_service() -> None:
    """Running, ready and healthy with nothing wrong passes."""
    out = judge(obs(healthy=True, replicas={"desired": 2, "ready": 2},
                    instances=[Instance("a", "running", healthy=True)]), RolloutCheck(), ctx())
    assert out.result == "pass" and "2/2 ready" in out.summary


def test_rollout_fails_on_oom_kill_and_exit_137() -> None:
    """Incident 5: an OOM kill (flag or exit 137) fails even with no stack trace."""
    assert judge(obs(oom_killed=True), RolloutCheck(), ctx()).result == "fail"
    out = judge(obs(instances=[Instance("worker-1", "running", exit_code=137)]), RolloutCheck(), ctx())
    assert out.result == "fail" and "OOM" in out.summary and "worker-1" in out.summary


def test_rollout_fails_on_platform_problems_and_bad_instances() -> None:
    """Adapter problems, exited/restarting/unhealthy instances and a stopped service fail."""
    assert judge(obs(problems=["web-1: CrashLoopBackOff"]), RolloutCheck(), ctx()).result == "fail"
    assert judge(obs(instances=[Instance("a", "exited", exit_code=1)]), RolloutCheck(), ctx()).result == "fail"
    assert judge(obs(instances=[Instance("a", "waiting", reason="ImagePullBackOff")]),
                 RolloutCheck(), ctx()).result == "fail"
    assert judge(obs(instances=[Instance("a", "running", healthy=False)]), RolloutCheck(), ctx()).result == "fail"
    assert judge(obs("stopped"), RolloutCheck(), ctx()).result == "fail"
    assert judge(obs("missing"), RolloutCheck(), ctx()).result == "fail"
    assert judge(obs(rollout={"complete": False, "failed": True, "reason": "deadline-exceeded"}),
                 RolloutCheck(), ctx()).result == "fail"


def test_rollout_in_progress_is_pending_not_pass() -> None:
    """A rollout still progressing, replicas short, or ContainerCreating is inconclusive and pending."""
    for o in (obs("progressing"), obs(rollout={"complete": False, "reason": "updating"}),
              obs(replicas={"desired": 3, "ready": 1}),
              obs(instances=[Instance("a", "waiting", reason="ContainerCreating")], state="progressing")):
        out = judge(o, RolloutCheck(), ctx())
        assert out.result == "inconclusive" and out.pending, o
    assert judge(obs("unknown"), RolloutCheck(), ctx()).result == "inconclusive"


def test_rollout_fails_when_instance_predates_the_recorded_restart() -> None:
    """An instance started before the recorded restart was not replaced by it."""
    deploy = {"id": "d1", "ts": "x", "platform_ids": {}}
    c = ctx(deploy=deploy, restart_time=T0, restart_source="deploy d1")
    old = obs(instances=[Instance("a", "running", started_at=(T0 - timedelta(minutes=5)).isoformat())])
    new = obs(instances=[Instance("a", "running", started_at=(T0 + timedelta(seconds=3)).isoformat())])
    assert judge(old, RolloutCheck(), c).result == "fail"
    assert judge(new, RolloutCheck(), c).result == "pass"


def test_rollout_restart_count_rising_beyond_baseline_fails() -> None:
    """The first measurement (or the deploy record) sets the baseline; rising past max_restarts fails."""
    c = ctx()
    assert judge(obs(restart_count=4), RolloutCheck(), c).result == "pass"      # baseline 4
    assert judge(obs(restart_count=4), RolloutCheck(), c).result == "pass"
    assert judge(obs(restart_count=5), RolloutCheck(), c).result == "fail"
    assert judge(obs(restart_count=5), RolloutCheck(max_restarts=1), ctx(restart_baseline=4)).result == "pass"
    assert judge(obs(restart_count=6), RolloutCheck(max_restarts=1), ctx(restart_baseline=4)).result == "fail"


def test_rollout_identity_facts_must_match_the_deploy() -> None:
    """ECS: a task definition other than the one the deploy recorded fails."""
    c = ctx(deploy={"id": "d", "platform_ids": {"task_definition": "arn:td/api:7"}})
    assert judge(obs(facts={"task_definition": "arn:td/api:6"}), RolloutCheck(), c).result == "fail"
    assert judge(obs(facts={"task_definition": "arn:td/api:7"}), RolloutCheck(), c).result == "pass"


DEPLOYMENT = {"spec": {"template": {"spec": {
    "containers": [
        {"name": "web", "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "A"}}},
                                {"name": "PLAIN", "value": "1"}],
         "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}]},
        {"name": "worker", "envFrom": [{"configMapRef": {"name": "other"}, "prefix": "X_"},
                                       {"secretRef": {"name": "s"}}]}],
    "volumes": [{"name": "cfg", "configMap": {"name": "files", "items": [{"key": "f.yaml", "path": "f.yaml"}]}},
                {"name": "unmounted", "configMap": {"name": "app"}}]}}}}


def test_configmap_refs_counts_env_envfrom_and_mounted_volumes() -> None:
    """Key refs, whole-map envFrom and mounted volume items count; unmounted volumes do not."""
    assert configmap_refs(DEPLOYMENT, "app") == {"A"}
    assert configmap_refs(DEPLOYMENT, "other") == {WHOLE}
    assert configmap_refs(DEPLOYMENT, "files") == {"f.yaml"}
    assert configmap_refs(DEPLOYMENT, "app", ["worker"]) == set()


def test_env_names_include_envfrom_keys_with_prefix() -> None:
    """Env names come from env entries and from envFrom maps and secrets (with their prefix)."""
    keys = {("configMapRef", "other"): {"K"}, ("secretRef", "s"): {"S"}}
    names = env_names(DEPLOYMENT, [], lambda kind, name: keys[(kind, name)])
    assert names == {"A", "PLAIN", "X_K", "S"}


def test_env_file_keys_reads_names_only(tmp_path: Path) -> None:
    """A dotenv file gives its key names (comments, blanks, export handled)."""
    f = tmp_path / ".env"
    f.write_text("# c\nA=1\n\nexport B = two\nnot a pair\nA=again\n")
    assert env_file_keys(f) == ["A", "B"]


def _state(**svc) -> dict:
    return {"services": {"web": svc}}


def test_mark_deployed_decision_needs_a_pass_of_the_running_commit() -> None:
    """Never verified, restarted since, failed or inconclusive all refuse (whether the runtime runs HEAD's
    code is re-read from the runtime at marking: tests/verify/test_truth_logic.py)."""
    assert not decide(_state(), "web").ok
    ver = {"id": "02", "verdict": "pass", "commit": "abc", "summary": ""}
    assert decide(_state(verification=ver, deploy={"id": "01"}, running_commit="abc"), "web").ok
    assert "restarted" in decide(_state(verification=ver, deploy={"id": "03", "ts": "t"}), "web").reason
    assert "FAILED" in decide(_state(verification={**ver, "verdict": "fail"}), "web").reason
    assert "INCONCLUSIVE" in decide(_state(verification={**ver, "verdict": "inconclusive"}), "web").reason
    refused = decide(_state(), "web")
    assert "deploystate verify web" in refused.next


def test_recheck_due_only_for_passes_whose_time_came() -> None:
    """Due: latest verdict pass, due time passed, not restarted since."""
    state = {"services": {
        "a": {"verification": {"id": "2", "verdict": "pass", "recheck_due": "2030-01-01T11:00:00Z"}},
        "b": {"verification": {"id": "2", "verdict": "pass", "recheck_due": "2030-01-01T13:00:00Z"}},
        "c": {"verification": {"id": "2", "verdict": "fail", "recheck_due": None}},
        "d": {"verification": {"id": "2", "verdict": "pass", "recheck_due": "2030-01-01T11:00:00Z"},
              "deploy": {"id": "3"}}}}
    assert due(state, T0) == ["a"]
    assert due(state, T0, {"b"}) == []


def test_health_headline_puts_errors_before_everything_else() -> None:
    """Errors or a missing code path: UNHEALTHY; unreadable logs or unverified: UNKNOWN; else HEALTHY."""
    fine = ServiceHealth(service="web", errors=0, code_paths=[CodePath(pattern="RL model made", seen=True, count=3)])
    assert headline([fine], [], [], [], False)[0] == "HEALTHY"
    noisy = ServiceHealth(service="web", errors=4)
    assert headline([noisy], [], ["web"], [], False)[0] == "UNHEALTHY"
    fallback = ServiceHealth(service="web", errors=0, code_paths=[CodePath(pattern="RL model made", seen=False)])
    word, why = headline([fallback], [], [], [], False)
    assert word == "UNHEALTHY" and "RL model made" in why
    unknown = ServiceHealth(service="web", errors=None, problem="engine down")
    assert headline([unknown], [], [], [], False)[0] == "UNKNOWN"
    assert headline([fine], [], [], [{"service": "web", "due": "x"}], False)[0] == "UNKNOWN"


def test_alert_text_is_cut_to_discords_limit_with_a_marker_and_redacted() -> None:
    """Alert bodies fit 2,000 characters, end with a marker when cut, and carry no secrets."""
    body = alerts.payload("API_TOKEN=abc123secret " + "x" * 5000)
    assert body["content"] == body["text"]
    assert len(body["content"]) <= alerts.LIMIT and body["content"].endswith(alerts.MARKER)
    assert "abc123secret" not in body["content"]
    assert alerts.payload("short")["content"] == "short"


def test_log_scan_counts_a_line_matching_two_patterns_once() -> None:
    """Per-pattern counts stay per pattern; forbidden lines are counted once, with capped samples."""
    import time as _time

    from deploystate.verify.checks.logs import SAMPLES, Scan

    scan = Scan.of([r"(?i)\berror\b", "using fallback"], ["RL model made"])
    lines = ["ERROR endpoint failed; using fallback", "ok", "RL model made"] + ["ERROR x"] * 10
    assert scan.feed_all(iter(lines), _time.monotonic() + 10)
    ev = scan.evidence()
    assert ev["forbidden_lines"] == 11 and len(ev["forbidden_samples"]) == SAMPLES
    assert [h["count"] for h in ev["must_not_match"]] == [11, 1]
    assert ev["must_match"][0]["count"] == 1
