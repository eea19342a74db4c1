"""Revision identity in every verification (logic, over a real git repository and a fake platform):
the revision check joins any configured list, compares with HEAD's code (not the ledger), an unreadable
revision is inconclusive unless waived, the overall verdict is the worst service's, and mark-deployed
re-reads the runtime."""

from __future__ import annotations

import pytest

from deploystate.platforms.base import Instance, Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.state.view import cache
from deploystate.state.errors import Refused
from deploystate.verify.marking import mark_deployed
from deploystate.verify.service import verify_services
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import make_project, record_deploy

CONFIG = """\
[services.api]
platform = "command"
paths = ["api/**"]
restart_cmd = ["true"]
{api_extra}

[[services.api.checks]]
type = "command"
argv = ["true"]

[services.web]
platform = "command"
paths = ["web/**"]
restart_cmd = ["true"]

[[services.web.checks]]
type = "command"
argv = ["true"]
"""


def setup(repo: GitRepo, api_extra: str = "") -> tuple:  # noqa: ANN201
    """Commit A (api and web), then B changing api only; the fake runtime runs A for both."""
    project, config = make_project(repo, CONFIG.format(api_extra=api_extra),
                                   {"api/app.py": "v1\n", "web/index.html": "v1\n"})
    a = repo.head()
    b = repo.commit("fix api", {"api/app.py": "v2\n"})
    fake = FakePlatform(name="command")
    for name in ("api", "web"):
        fake.observations[name] = Observation(name, "command", name, "running", revision=a,
                                              instances=[Instance(f"{name}-1", "running", revision=a)])
    return project, config, fake, a, b


def run(project, config, fake, names=None):  # noqa: ANN001, ANN201
    with use("command", fake):
        return verify_services(project, config, names, deadline=20, alert=False)


def test_configured_checks_never_drop_revision_and_the_worst_service_decides(git_repo: GitRepo) -> None:
    """Only a `command` check configured: revision still runs; api (changed) fails, web (unchanged) passes,
    and the run's verdict is FAIL although the last service passed."""
    project, config, fake, a, b = setup(git_repo)
    report = run(project, config, fake)
    by = {sv.service: sv for sv in report.services}
    assert [sv.service for sv in report.services] == ["api", "web"]
    assert {c.type for c in by["api"].checks} == {"command", "revision"}
    assert by["api"].verdict == "fail" and "api/app.py" in by["api"].summary
    assert by["web"].verdict == "pass" and by["web"].commit == b
    assert report.verdict == "fail"
    fake.observations["api"] = fake.observations["web"] = Observation("x", "command", "x", "running", revision=b)
    assert run(project, config, fake).verdict == "pass"


def test_ledger_says_deployed_at_head_but_runtime_runs_a(git_repo: GitRepo) -> None:
    """A deploy of B on record does not make api pass: the runtime reports A and api changed since."""
    project, config, fake, a, b = setup(git_repo)
    record_deploy(project, "api", b)
    sv = run(project, config, fake, ["api"]).services[0]
    assert sv.verdict == "fail" and sv.running_revision == a and sv.commit == b


def test_unreadable_revision_is_inconclusive_says_what_to_add_and_is_no_doom_loop(git_repo: GitRepo) -> None:
    """No revision reported: inconclusive with the exact thing to add, three times in a row without DOOM LOOP."""
    project, config, fake, _a, _b = setup(git_repo)
    fake.observations["web"] = Observation("web", "command", "web", "running")
    for _ in range(3):
        report = run(project, config, fake, ["web"])
    sv = report.services[0]
    assert sv.verdict == "inconclusive"
    assert "does not report the commit it runs" in sv.summary and "revision" in sv.summary
    assert not report.doom_loop and report.status != "DOOM LOOP"


def test_waiver_passes_an_unreadable_revision_with_a_standing_warning(git_repo: GitRepo) -> None:
    """revision_waiver: the unreadable revision passes, said on the check and as a standing warning."""
    project, config, fake, _a, _b = setup(git_repo, 'revision_waiver = "vendor image, no labels possible"')
    fake.observations["api"] = Observation("api", "command", "api", "running")
    report = run(project, config, fake, ["api"])
    assert report.verdict == "pass"
    assert any("WAIVED" in c.summary for c in report.services[0].checks)
    assert report.warnings and "vendor image" in report.warnings[0] and "api" in report.warnings[0]
    outcome = mark_deployed(project, config, ["api"], "x")
    assert outcome.marked[0]["revision_waiver"] == "vendor image, no labels possible"


def test_waiver_does_not_hide_a_known_stale_revision(git_repo: GitRepo) -> None:
    """A waiver is for an unreadable revision only: a readable A with api changed still fails."""
    project, config, fake, _a, _b = setup(git_repo, 'revision_waiver = "vendor image, no labels possible"')
    assert run(project, config, fake, ["api"]).verdict == "fail"


def test_waiver_does_not_cover_a_read_revision_naming_no_commit_here(git_repo: GitRepo) -> None:
    """A revision that is read but is not in this clone (maybe old code) stays inconclusive under a waiver,
    and mark-deployed, re-reading it, refuses although the last verification passed."""
    project, config, fake, _a, b = setup(git_repo, 'revision_waiver = "vendor image, no labels possible"')
    fake.observations["api"] = Observation("api", "command", "api", "running", revision=b)
    assert run(project, config, fake, ["api"]).verdict == "pass"
    fake.observations["api"] = Observation("api", "command", "api", "running", revision="f" * 40)
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["api"], "x")
    assert "not in this clone" in str(exc.value)
    report = run(project, config, fake, ["api"])
    assert report.verdict == "inconclusive" and not any("WAIVED" in c.summary for c in report.services[0].checks)


def test_mark_deployed_rereads_the_runtime(git_repo: GitRepo) -> None:
    """web passed at B, then the runtime switched to a commit whose web/ differs: refused, nothing written."""
    project, config, fake, a, b = setup(git_repo)
    with use("command", fake):
        assert run(project, config, fake, ["web"]).verdict == "pass"
        git_repo.git("checkout", "-q", "-b", "side")      # C: a web change on another branch; HEAD stays B
        git_repo.write("web/index.html", "v2\n")
        git_repo.git("add", "web/index.html")
        git_repo.git("commit", "-q", "--no-verify", "-m", "web change")
        c = git_repo.head()
        git_repo.git("checkout", "-q", "main")
        fake.observations["web"] = Observation("web", "command", "web", "running", revision=c)
        with pytest.raises(Refused) as exc:
            mark_deployed(project, config, ["web"], "x")
        assert "web/index.html" in str(exc.value)
        assert cache.load(project.ledger).state["services"]["web"]["marked_deployed"] is None
        fake.observations["web"] = Observation("web", "command", "web", "running", revision=a)
        outcome = mark_deployed(project, config, ["web"], "x")
    assert outcome.marked[0]["commit"] == b and outcome.marked[0]["running_revision"] == a


def test_mark_deployed_refuses_when_the_runtime_cannot_be_asked(git_repo: GitRepo) -> None:
    """The runtime does not answer at the moment of marking: refused (unknown is never deployed)."""
    from deploystate.state.errors import PlatformUnreachable

    project, config, fake, _a, b = setup(git_repo)
    fake.observations["web"] = Observation("web", "command", "web", "running", revision=b)
    assert run(project, config, fake, ["web"]).verdict == "pass"
    fake.errors["observe"] = PlatformUnreachable("engine stopped", "start it")
    with use("command", fake), pytest.raises(Refused) as exc:
        mark_deployed(project, config, ["web"], "x")
    assert "engine stopped" in str(exc.value)


def test_a_services_verify_output_quotes_only_its_own_failure_history(git_repo: GitRepo) -> None:
    """api and web fail the same way (same signature): web's first failure is not "seen before" because api
    had it; web's second is, counting web's own failure only."""
    failing = CONFIG.replace('argv = ["true"]', 'argv = ["sh", "-c", "echo boom: exit code 3 >&2; exit 3"]')
    project, config = make_project(git_repo, failing.format(api_extra=""),
                                   {"api/app.py": "v1\n", "web/index.html": "v1\n"})
    head = git_repo.head()
    fake = FakePlatform(name="command")
    for name in ("api", "web"):
        fake.observations[name] = Observation(name, "command", name, "running", revision=head)
    first_api = run(project, config, fake, ["api"]).services[0]
    assert first_api.verdict == "fail" and first_api.seen_before is None
    first_web = run(project, config, fake, ["web"]).services[0]
    assert first_web.verdict == "fail" and first_web.seen_before is None
    again = run(project, config, fake, ["web"]).services[0]
    assert again.seen_before and again.seen_before.startswith("seen 1 time since")
