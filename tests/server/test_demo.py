"""`deploystate demo`: the whole story on real local processes, real git and real hooks. What the demo did is
checked from its side effects (the ledger it wrote, /proc, the remote it pushed to, the containers), not only
from its own report, and no process is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from deploystate.server import cli
from deploystate.server.demo import app_files, story
from deploystate.server.demo.config_text import command_config
from deploystate.server.demo.report import DemoResult, StepResult
from deploystate.server.demo.scene import evidence_samples, expect, hook_lines
from deploystate.state.view import cache, projection
from deploystate.state.config.config import validate_config
from deploystate.state.config.project import Project

DEPLOYSTATE = str(Path(sys.executable).with_name("deploystate"))

EXPECTED = {
    1: ['state shows api as "committed, not running"', "the post-commit hook says the commit is not running "
        "and names api", "the pre-push hook refuses the push while api's deploy is unverified"],
    2: ["the plan restarts api and skips worker", "api was restarted (a new instance runs)",
        "worker kept running, untouched"],
    3: ["the verification of api FAILS", "the logs check failed with the fallback lines as evidence"],
    4: ["the verification of api PASSES (health, decisions by the RL model, revision)", "mark-deployed succeeds",
        "the push goes through"],
    5: ["the push goes through", "state says DRIFT: committed, not running, naming worker and HEAD's commit",
        "verify says worker does not run HEAD's code (the revision check does not pass)",
        "mark-deployed refuses worker", "only worker is restarted", "now the verification of worker PASSES"],
    6: ["DOOM LOOP after the third failure in a row", "the third attempt is flagged as a near-duplicate of the "
        "second", "the pre-push hook refuses the push with DOOM LOOP"],
    7: ["DEPLOYMENT_STATE.md exists", "it flags the DOOM LOOP", "it lists the failed attempts"],
}
PUSHED_FIX = "worker: say in which order jobs are taken"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _pushed_fix_was_not_running_until_restarted(repo: Path, remote: Path, records: list[dict]) -> None:
    """From the ledger and git: the worker fix reached the remote; the worker's verification after it did not
    pass on the revision and nothing marked it deployed; only then a restart at that commit (a new worker
    process), then a pass."""
    fix = _git(repo, "log", "--format=%H", "-1", "--grep", PUSHED_FIX, "main")
    assert fix and _git(remote, "merge-base", "--is-ancestor", fix, "main") == ""   # pushed
    worker = sorted((r for r in records if (r.get("payload") or {}).get("service") == "worker"), key=lambda r: r["id"])
    restart = next(r for r in worker if r["kind"] == "deploy" and r["payload"]["commit"] == fix)
    before = [r for r in worker if r["id"] < restart["id"]]
    check = before[-1]
    assert check["kind"] == "verification" and check["payload"]["verdict"] != "pass", check["payload"]
    assert [c["result"] for c in check["payload"]["checks"] if c["type"] == "revision"] in (["fail"],
                                                                                            ["inconclusive"])
    assert not [r for r in worker if r["kind"] == "mark_deployed"]   # refused: nothing was written
    earlier = [r for r in before if r["kind"] == "deploy"][-1]
    pids = (earlier["payload"]["platform_ids"].get("pid"), restart["payload"]["platform_ids"].get("pid"))
    assert all(pids) and pids[0] != pids[1]   # a new worker process runs the fix only after that restart
    after = next(r for r in worker if r["id"] > restart["id"] and r["kind"] == "verification")
    assert after["payload"]["verdict"] == "pass" and after["payload"]["commit"] == fix


def _gone(pid: int) -> bool:
    """Our own reading of /proc (not the demo's helper): no process, or only a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _running_from(directory: Path) -> list[int]:
    """Live processes whose command line names a file under ``directory``."""
    found = []
    for entry in (e for e in Path("/proc").iterdir() if e.name.isdigit()):
        try:
            argv = entry.joinpath("cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(arg.startswith(str(directory)) for arg in argv) and not _gone(int(entry.name)):
            found.append(int(entry.name))
    return found


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DEPLOYSTATE_", "GIT_"))}


def test_demo_plays_every_step_and_stops_its_processes(tmp_path: Path) -> None:
    """The installed CLI plays all seven steps (each checked), exits 0, and every process it started is gone."""
    target = tmp_path / "demo"
    res = subprocess.run([DEPLOYSTATE, "demo", "--json", "--step", "--dir", str(target)], capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL, env=_clean_env(), cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    data = json.loads(res.stdout)
    assert data["ok"] and data["failed_steps"] == [] and data["platform"] == "command"
    assert [s["number"] for s in data["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    for step in data["steps"]:
        seen = {e["what"]: e["ok"] for e in step["expectations"]}
        assert step["ok"] and all(seen.values()), step
        for what in EXPECTED[step["number"]]:
            assert seen.get(what) is True, (step["number"], what, sorted(seen))
    repo = target / "demo-shop"
    # The processes, from /proc and the control script's own pid file: api x3 (start, fix 1, fix 2) and
    # worker x5 (start, the pushed fix, three fixes), every one of them gone, and nothing else running from the
    # demo's folder.
    started = [int(line.split()[0]) for line in (repo / "run" / "started.pids").read_text().splitlines()]
    assert len(started) == 8 and sorted(started) == sorted(data["pids"])
    assert [p for p in started if not _gone(p)] == []
    assert _running_from(target) == []
    assert data["kept"] is True and repo.is_dir()
    # The ledger the demo wrote (its chain intact), read with our own reader.
    project = Project.discover(repo)
    assert project.ledger.verify().ok
    records = project.ledger.read().records
    verdicts = [(r["payload"]["service"], r["payload"]["verdict"]) for r in records if r["kind"] == "verification"]
    # the opening (worker verified), api's broken fix then the right one, the pushed worker fix before its
    # restart (not a pass) and after it, then worker's three failed fixes
    assert verdicts[:3] == [("worker", "pass"), ("api", "fail"), ("api", "pass")]
    assert verdicts[3] in (("worker", "fail"), ("worker", "inconclusive"))
    assert verdicts[4:] == [("worker", "pass")] + [("worker", "fail")] * 3
    api_pass = [r for r in records if r["kind"] == "verification" and r["payload"]["verdict"] == "pass"
                and r["payload"]["service"] == "api"][-1]
    marks = [r for r in records if r["kind"] == "mark_deployed"]
    assert [(m["payload"]["service"], m["payload"]["verification_id"]) for m in marks] == [("api", api_pass["id"])]
    deploys = [r["payload"]["service"] for r in records if r["kind"] == "deploy"]
    # api's fixes left worker be; the pushed worker fix ran only after its own restart
    assert deploys == ["api", "worker", "api", "api", "worker", "worker", "worker", "worker"]
    failed = [r for r in records if r["kind"] == "attempt" and r["payload"]["outcome"] == "failed"]
    assert [a["payload"]["services"] for a in failed][-3:] == [["worker"]] * 3
    assert projection.doom_loop(cache.load(project.ledger).state, 3)
    # DEPLOYMENT_STATE.md as the next session reads it.
    state_text = (repo / "DEPLOYMENT_STATE.md").read_text()
    assert "DOOM LOOP" in state_text and "retry failed worker jobs 3 times" in state_text
    # The remote: the verified api fix, then the worker fix, nothing later (the doom-loop pushes were refused).
    pushed = _git(target / "remote.git", "rev-parse", "main")
    assert _git(repo, "log", "-1", "--format=%s", pushed) == PUSHED_FIX
    assert _git(repo, "log", "-1", "--format=%s", pushed + "~1") == "api: load the model from models/rl.json"
    assert api_pass["commit"] == _git(repo, "rev-parse", pushed + "~1")
    _pushed_fix_was_not_running_until_restarted(repo, target / "remote.git", records)


def _one_broken_step(scene, step: StepResult) -> None:
    expect(step, "something the story promised", False, "it did not happen")


def test_demo_names_the_step_that_misbehaved(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    """A step whose outcome is not as described makes the demo exit 1 naming it; processes and temp dir go."""
    monkeypatch.setattr(story, "STEPS", [("A step that misbehaves", _one_broken_step)])
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert cli.main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "Step 1 (A step that misbehaves) did not behave as described: something the story promised" in out
    assert "Only 1 of 7 steps ran." in out
    assert list(tmp_path.iterdir()) == []  # the temporary directory is removed without --keep


def _interrupt(sig: int):
    def step(scene, result: StepResult) -> None:
        scene.memo["pids"] = [int(scene.instance("api")), int(scene.instance("worker"))]
        _record["pids"] = scene.memo["pids"]
        if sig == signal.SIGINT:
            raise KeyboardInterrupt
        os.kill(os.getpid(), sig)
    return step


_record: dict[str, list] = {}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_demo_stops_its_processes_when_interrupted(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path,
                                                   sig: int) -> None:
    """Ctrl-C or SIGTERM in the middle of the story: exit 130 and the app's processes are stopped."""
    monkeypatch.setattr(story, "STEPS", [("Interrupted", _interrupt(sig))])
    _record.clear()
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["demo", "--json", "--dir", str(tmp_path / "d")]) == 130
    data = json.loads(capsys.readouterr().out)
    assert data["interrupted"] and not data["ok"]
    pids = _record["pids"]   # read by the step itself from the running scene, not from the demo's report
    assert len(pids) == 2 and all(pids) and set(pids) <= set(data["pids"])
    assert [p for p in pids if not _gone(p)] == [] and _running_from(tmp_path / "d") == []
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back, not the demo's


def test_demo_refuses_a_directory_that_is_not_empty(capsys, tmp_path: Path) -> None:
    """--dir must be new or empty: anything else is refused (exit 2) and left untouched."""
    (tmp_path / "mine.txt").write_text("keep me")
    assert cli.main(["demo", "--dir", str(tmp_path)]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_demo_compose_refuses_clearly_without_an_engine(monkeypatch: pytest.MonkeyPatch, capsys,
                                                         tmp_path: Path) -> None:
    """--platform compose with no reachable Docker engine says so, points at the command demo, builds nothing."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    assert cli.main(["demo", "--platform", "compose", "--dir", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert "needs a Docker engine" in err and "deploystate demo" in err
    assert not (tmp_path / "d").exists()


# -- the pure parts --------------------------------------------------------------------------------

def test_demo_config_is_valid_and_maps_paths_to_services() -> None:
    """The generated deploystate.toml validates; api and worker have http/logs/revision checks on their paths."""
    text = command_config("/usr/bin/python3", 18123)
    cfg = validate_config(tomllib.loads(text), text)
    api, worker = cfg.services["api"], cfg.services["worker"]
    assert api.paths == ["api/**", "models/**"] and worker.paths == ["worker/**"]
    assert [c.type for c in api.checks] == ["http", "logs", "revision"]
    logs = api.checks[1]
    assert logs.must_match == ["RL model made"] and "using fallback" in logs.must_not_match
    assert api.revision.url == "http://127.0.0.1:18123/version"
    assert api.restart_cmd == ["/usr/bin/python3", "ops/ctl.py", "restart", "api"]


def test_demo_app_edits_change_one_thing_each() -> None:
    """Each story edit changes the line it names and nothing else."""
    fixed = app_files.api_model_path(app_files.API, "models/rl.json")
    diff = [(a, b) for a, b in zip(app_files.API.splitlines(), fixed.splitlines()) if a != b]
    assert diff == [('MODEL_FILE = ROOT / "model.json"', 'MODEL_FILE = ROOT / "models/rl.json"')]
    assert "RETRIES = 5" in app_files.worker_retries(app_files.WORKER, 5)
    broken = app_files.worker_batch_from_job(app_files.WORKER)
    assert broken != app_files.WORKER and "range(0, len(items), size)" in broken
    for source in (app_files.CTL, app_files.API, app_files.WORKER, fixed, broken):
        compile(source, "app", "exec")


def test_evidence_samples_and_hook_lines_pick_what_matters() -> None:
    """Evidence shows distinct forbidden lines without timestamps and the missing patterns; hook output starts
    at deploystate's first line."""
    evidence = {"must_not_match": [{"pattern": "using fallback", "count": 2, "samples": [
        "2024-05-01T10:00:00.000001+00:00 api decision 1: hold (using fallback rule)",
        "2024-05-01T10:00:00.000001+00:00 api decision 1: hold (using fallback rule)"]}],
        "must_match": [{"pattern": "RL model made", "count": 0, "samples": []}]}
    assert evidence_samples(evidence) == ["api decision 1: hold (using fallback rule)",
                                          "no line matching 'RL model made' since the restart"]
    assert hook_lines("noise\ndeploystate: refusing\n  1. x\n") == "deploystate: refusing\n  1. x"


def test_demo_result_is_ok_only_when_all_seven_steps_passed() -> None:
    """The result is ok only with seven passing steps, no error, and nothing left running."""
    steps = [StepResult(n, f"s{n}") for n in range(1, 8)]
    for s in steps:
        expect(s, "x", True)
    result = DemoResult("command", "/tmp/x", False, steps=steps)
    assert result.ok
    assert not DemoResult("command", "/tmp/x", False, steps=steps[:6]).ok
    assert not DemoResult("command", "/tmp/x", False, steps=steps, left_running=[123]).ok
    assert not DemoResult("command", "/tmp/x", False, steps=[*steps[:6], StepResult(7, "empty")]).ok


@pytest.mark.docker
def test_demo_on_compose_plays_every_step_and_removes_its_containers(dockerd, compose_bin, tmp_path: Path) -> None:
    """--platform compose plays the same seven steps on a real engine and leaves no container or image behind."""
    from deploystate.server.demo.variants import static_busybox
    from deploystate.state.errors import PlatformError
    from tests.fixtures.parts import missing

    try:
        static_busybox()
    except PlatformError:
        missing("busybox-static", "apt-get install -y busybox-static")
    env = {**_clean_env(), **compose_bin.env}
    res = subprocess.run([DEPLOYSTATE, "demo", "--json", "--platform", "compose", "--dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
    data = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert data["ok"] and data["platform"] == "compose" and [s["ok"] for s in data["steps"]] == [True] * 7
    assert data["pids"] and data["left_running"] == []   # container ids seen during the story, all removed
    import docker

    client = docker.DockerClient(base_url=dockerd.host, timeout=30)
    try:
        label = {"label": f"com.docker.compose.project={data['details']['compose_project']}"}
        assert client.api.containers(all=True, filters=label) == []
        assert client.api.images(all=True, filters=label) == []
    finally:
        client.close()
