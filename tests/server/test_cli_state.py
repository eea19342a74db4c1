"""``deploystate state`` end to end on a real git repository and ledger."""

from __future__ import annotations

import pytest

from deploystate.platforms.base import Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.state.errors import PlatformUnreachable
from deploystate.state.config.project import Project

from ._cli import FILES, deploy, ds, ds_json, verify


@pytest.fixture
def shop(git_repo, capsys):
    """The compose shop, initialised and committed: (repo, project, first commit)."""
    for rel, text in FILES.items():
        git_repo.write(rel, text)
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    c1 = git_repo.commit("shop")
    return git_repo, Project.discover(git_repo.path), c1


def test_state_shows_drift_overdue_recheck_and_unverified(shop, capsys):
    """Running commits, "committed, not running" after a new commit, an overdue recheck by the real clock."""
    repo, project, c1 = shop
    dep = deploy(project, "api", c1)
    verify(project, "api", c1, "pass", dep, recheck_due="2020-01-01T00:00:00.000000Z")
    deploy(project, "worker", c1)
    c2 = repo.commit("fix api", {"api/app.py": "print('fixed')\n"})
    code, data = ds_json(capsys, "--root", str(repo.path), "state")
    assert code == 0 and data["head"] == c2
    svc = {s["name"]: s for s in data["services"]}
    assert svc["api"]["running_commit"] == c1
    assert svc["api"]["drift"] == {"state": "committed, not running", "files": ["api/app.py"], "count": 1}
    assert svc["api"]["recheck_overdue"] is True
    # no runtime answered for worker: the ledger's word is shown as the ledger's, never as what runs
    assert svc["worker"]["drift"]["state"] == "HEAD's code (ledger only)"
    assert svc["cache"]["drift"]["state"] == "never deployed"
    # the ledger's drift of api outranks worker's missing verification in the headline
    assert data["status"] == "DRIFT" and data["unverified"] == ["worker"]
    assert data["reason"].startswith("committed, not running: api runs " + c1[:10])
    code, out, _ = ds(capsys, "--root", str(repo.path), "state")
    assert "Status: DRIFT" in out and "OVERDUE" in out
    assert "api committed, not running: api/app.py" in out
    assert "UNVERIFIED worker" in out and "deploystate verify worker" in out


def test_state_shows_doom_loop_failed_attempts_and_sessions(shop, capsys):
    """Three failed verifications in a row, the failed attempts and the last session's handover are shown."""
    repo, project, c1 = shop
    root = ["--root", str(repo.path)]
    assert ds(capsys, *root, "session", "start", "--goal", "stop the worker crash loop")[0] == 0
    for n in range(3):
        dep = deploy(project, "worker", c1)
        verify(project, "worker", c1, "fail", dep, failed=[f"rollout: exit 137 OOMKilled (try {n})"])
    assert ds(capsys, *root, "attempt", "add", "--summary", "raise worker memory to 3Gi", "--outcome", "failed",
              "--service", "worker")[0] == 0
    assert ds(capsys, *root, "session", "end", "--did", "raised memory twice", "--broke", "nothing new",
              "--next", "profile the import job")[0] == 0
    code, out, _ = ds(capsys, *root, "state")
    assert code == 0
    assert "Status: DOOM LOOP" in out and "DOOM LOOP: worker 3 failed verifications in a row (threshold 3)" in out
    assert "BROKEN worker" in out and "rollout: exit 137 OOMKilled (try 2)" in out
    assert "raise worker memory to 3Gi" in out and "Failed attempts (1 of 1" in out
    assert "next: profile the import job" in out and "stop the worker crash loop" in out
    code, data = ds_json(capsys, *root, "state")
    assert data["doom"]["streak"] == 3 and data["next_steps"][0].startswith("STOP.")


def test_state_asks_each_runtime_by_default_and_judges_by_head(shop, capsys):
    """Without any flag each runtime is asked: HEAD's revision and an unchanged service run HEAD's code,
    an unreachable runtime is 'never answered' with its error, and that is never OK."""
    repo, project, c1 = shop
    c2 = repo.commit("cache config", {"api/app.py": "v2\n"})
    fake = FakePlatform(name="compose", observations={
        "api": Observation("api", "compose", "compose:shop/api", "running", revision=c2[:12]),
        "worker": Observation("worker", "compose", "compose:shop/worker", "running", revision=c1)},
        errors={"observe:cache": PlatformUnreachable("the Docker engine did not answer")})
    with use("compose", fake):
        code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "20")
        assert code == 0
        obs = data["observed"]
        assert obs["api"]["verdict"] == "runs_head" and obs["api"]["revision"] == c2[:12]
        assert obs["worker"]["verdict"] == "runs_head"   # its files did not change since c1
        assert obs["cache"]["verdict"] == "never" and "the Docker engine did not answer" in obs["cache"]["reason"]
        assert data["status"] == "UNKNOWN" and "cache" in data["reason"]
        code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--deadline", "20")
    assert "Status: UNKNOWN" in out
    assert "cache   cache's runtime has never answered: the Docker engine did not answer" in out
    assert "api     runs HEAD's code" in out


def test_an_adapter_that_crashes_is_an_error_for_its_service_only(shop, capsys):
    """An adapter raising a plain exception is that service's error, never a crash; the others are judged."""
    repo, project, c1 = shop
    c2 = repo.commit("api change", {"api/app.py": "v3\n"})
    fake = FakePlatform(name="compose", observations={
        "api": Observation("api", "compose", "compose:shop/api", "running", revision=c1)},
        errors={"observe:cache": RuntimeError("boom")})
    with use("compose", fake):
        code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "20")
    assert code == 0
    assert data["observed"]["cache"]["error"] == "RuntimeError: boom"
    assert data["observed"]["api"]["verdict"] == "not_head" and data["observed"]["api"]["files"] == ["api/app.py"]
    assert data["status"] == "BROKEN"  # the fake has no worker container: missing is broken
    assert "worker" in data["reason"]
    assert data["observed"]["worker"]["verdict"] == "broken"


def test_drift_seen_by_the_runtime_is_its_own_status_naming_the_service(shop, capsys):
    """No deploy recorded, the runtime runs the commit before a fix to api: DRIFT names api, its
    commit and HEAD's, in state, in DEPLOYMENT_STATE.md, and with --no-observe from the stored answer."""
    repo, project, c1 = shop
    c2 = repo.commit("fix api", {"api/app.py": "fixed\n"})
    running = {n: Observation(n, "compose", f"compose:shop/{n}", "running", revision=c1)
               for n in ("api", "worker", "cache")}
    with use("compose", FakePlatform(name="compose", observations=running)):
        code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "20")
    assert data["status"] == "DRIFT"
    assert data["reason"] == f"committed, not running: api runs {c1[:10]}, HEAD's code for api is {c2[:10]}"
    # cache has no paths, so whether it runs HEAD's code is unknown
    assert [s["observed"]["verdict"] for s in data["services"]] == ["not_head", "unknown", "runs_head"]
    text = project.state_file.read_text()
    assert "**Status: DRIFT** — committed, not running: api runs" in text
    # the runtime now unreachable: --no-observe and a failing runtime both use the stored answer, with its age
    with use("compose", FakePlatform(name="compose", errors={f"observe:{n}": PlatformUnreachable("engine down")
                                                             for n in ("api", "worker", "cache")})):
        code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "20")
        assert data["status"] == "DRIFT" and data["observed"]["api"]["error"] == "engine down"
        code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--deadline", "20")
    assert " ago; not answering now: engine down" in out and "Status: DRIFT" in out
    code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--no-observe")
    assert "Status: DRIFT" in out and "--no-observe: showing what the runtimes said " in out


def test_state_without_state_dir_says_to_run_init(git_repo, capsys):
    """A configured repository without a state directory still shows state, with the init hint."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "compose"\npaths = ["api/**"]\n')
    code, out, _ = ds(capsys, "--root", str(git_repo.path), "state")
    assert code == 0 and "no state directory" in out and "deploystate init" in out
    assert not (git_repo.path / ".deploystate").exists() and not (git_repo.path / ".git" / "deploystate").exists()


def test_an_unwritable_state_directory_is_a_clear_error_not_a_traceback(tmp_path, capsys, monkeypatch):
    """A state_dir that cannot be created gives one readable line and exit 1."""
    from deploystate.server.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    (tmp_path / "deploystate.toml").write_text(f'[project]\nname = "x"\nstate_dir = "{blocker}/sub"\n')
    monkeypatch.delenv("DEPLOYSTATE_DEBUG", raising=False)
    code = main(["--root", str(tmp_path), "attempt", "add", "--summary", "try", "--outcome", "failed"])
    err = capsys.readouterr().err
    assert code in (1, 2) and "Traceback" not in err and err.startswith("deploystate: ")


def test_a_revision_waiver_is_a_standing_warning_on_every_state_output(shop, capsys):
    """A waived revision check is announced by state, DEPLOYMENT_STATE.md, read_deployment_state, health and
    system_health, and lets an unreadable revision pass only for that service."""
    from tests.server.test_mcp_state_tools import _call

    repo, project, c1 = shop
    toml = repo.path / "deploystate.toml"
    toml.write_text(toml.read_text().replace('[services.api]\n', '[services.api]\n'
                                             'revision_waiver = "the vendor image carries no revision"\n', 1))
    repo.commit("waive api")
    fake = FakePlatform(name="compose", observations={
        n: Observation(n, "compose", f"compose:shop/{n}", "running", revision=None) for n in ("api", "worker")})
    with use("compose", fake):
        code, out, _ = ds(capsys, "--root", str(repo.path), "state", "--deadline", "20")
        code, data = ds_json(capsys, "--root", str(repo.path), "state", "--deadline", "20")
        result = _call(Project.discover(repo.path), "read_deployment_state")
        _code, health, _ = ds(capsys, "--root", str(repo.path), "health", "--deadline", "20")
        healthy = _call(Project.discover(repo.path), "system_health")
    assert "WARNING: api's running revision is not checked (revision_waiver: the vendor image" in health
    assert [w.split(" (")[0] for w in healthy.structured_content["warnings"]] == [
        "api's running revision is not checked"]
    warning = "api's running revision is not checked (waived: the vendor image carries no revision)"
    assert f"WARNING: {warning}" in out
    assert data["observed"]["api"]["verdict"] == "runs_head" and data["observed"]["worker"]["verdict"] == "unknown"
    assert "`api`'s running revision is not checked (waived: the vendor image" in project.state_file.read_text()
    assert result.structured_content["warnings"] == [warning]
