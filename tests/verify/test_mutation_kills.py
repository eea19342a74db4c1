"""Verdict rules that once had no test failing when they broke (issue 15's surviving mutants), checked through
verify_services on a real git repository, with a fake platform standing in for the runtimes (logic only)."""

from __future__ import annotations

import itertools

import pytest

from deploystate.platforms.base import Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.verify.service import verify_services
from tests.fixtures.gitrepo import GitRepo
from tests.verify.support import make_project, record_deploy

SERVICES = ("api", "web", "worker")
CONFIG = "".join(f"""
[services.{name}]
platform = "command"
restart_cmd = ["true"]
paths = ["{name}/**"]

[[services.{name}.checks]]
type = "revision"
""" for name in SERVICES)


@pytest.fixture
def shop(git_repo: GitRepo):  # noqa: ANN201
    project, config = make_project(git_repo, CONFIG, {f"{n}/main.py": f"print('{n} v1')\n" for n in SERVICES})
    old = git_repo.head()
    head = git_repo.commit("v2 everywhere", {f"{n}/main.py": f"print('{n} v2')\n" for n in SERVICES})
    for name in SERVICES:
        record_deploy(project, name, head)
    return project, config, head, old


def _verify(shop, revisions: dict[str, str | None]):  # noqa: ANN001, ANN202
    project, config = shop[:2]
    fake = FakePlatform(name="command", observations={
        name: Observation(name, "command", name, "running", revision=rev) for name, rev in revisions.items()})
    with use("command", fake):
        return verify_services(project, config, list(revisions), deadline=60, alert=False)


def test_an_unreadable_running_revision_is_inconclusive_never_pass(shop) -> None:  # noqa: ANN001
    """A runtime that reports no revision: the revision check and the verdict are inconclusive, not pass."""
    report = _verify(shop, {"api": None})
    sv = report.services[0]
    assert {c.type: c.result for c in sv.checks}["revision"] == "inconclusive"
    assert sv.verdict == "inconclusive" and report.verdict == "inconclusive"


def test_a_revision_differing_only_after_seven_hex_digits_is_not_a_pass(shop) -> None:  # noqa: ANN001
    """Another commit sharing HEAD's first 7 (and 10) hex digits is not HEAD: never a pass."""
    head = shop[2]
    lookalike = head[:10] + ("0" if head[10] != "0" else "1") + head[11:]
    report = _verify(shop, {"api": lookalike})
    assert report.services[0].verdict != "pass" and report.verdict != "pass"
    assert _verify(shop, {"api": head}).verdict == "pass"    # the full commit itself passes


@pytest.mark.parametrize("order", list(itertools.permutations(["pass", "fail", "inconclusive"])))
def test_the_overall_verdict_is_the_worst_service_in_any_order(shop, order: tuple[str, ...]) -> None:  # noqa: ANN001
    """Three services with mixed verdicts, in every order: the overall verdict is the worst, never the last."""
    head, old = shop[2], shop[3]
    revision = {"pass": head, "fail": old, "inconclusive": None}   # HEAD, the code before the fix, unreadable
    report = _verify(shop, {name: revision[v] for name, v in zip(SERVICES, order)})
    assert {s.service: s.verdict for s in report.services} == dict(zip(SERVICES, order))
    assert report.verdict == "fail"
    without_fail = {name: revision["inconclusive" if v == "fail" else v] for name, v in zip(SERVICES, order)}
    assert _verify(shop, without_fail).verdict == "inconclusive"
