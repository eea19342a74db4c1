"""Waiting for a CI deploy (logic, on a scripted platform with an injected clock): rolled out, never, unreachable."""

from __future__ import annotations

import pytest

from deploystate.platforms.base import Instance, Observation
from deploystate.platforms.fake import FakePlatform
from deploystate.platforms.registry import use
from deploystate.state.config.config import load_config
from deploystate.state.errors import PlatformUnreachable
from deploystate.state.config.project import Project
from deploystate.verify.wait import platform_ids, wait_for_rollout

CONFIG = """\
[services.api]
platform = "compose"
service = "api"
paths = ["api/**"]

[services.web]
platform = "compose"
service = "web"
paths = ["web/**"]
"""


class Clock:
    """A clock that moves only when the waiter sleeps (no wall-clock margins)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Rolling(FakePlatform):
    """Reports ``old`` until the n-th observe of a service, then ``new``."""

    def __init__(self, old: str, new: str, after: dict[str, int | None]) -> None:
        super().__init__(name="compose")
        self.old, self.new, self.after, self.count = old, new, after, {}

    def observe(self, svc, *, timeout):
        self._raise("observe", svc)
        n = self.count[svc.name] = self.count.get(svc.name, 0) + 1
        limit = self.after.get(svc.name)
        rev = self.new if limit is not None and n >= limit else self.old
        return Observation(svc.name, "compose", f"compose:{svc.name}", "running", revision=rev,
                           started_at="2026-12-01T10:00:00.000000Z",
                           instances=[Instance("c1", "running", generation=f"ctr-{rev[:6]}", image_id=f"sha256:{rev[:8]}")])


@pytest.fixture
def shop(git_repo):
    git_repo.write("deploystate.toml", CONFIG)
    a = git_repo.commit("A", {"api/app.py": "v1\n", "web/index.html": "v1\n"})
    b = git_repo.commit("B: fix api", {"api/app.py": "v2\n"})
    project = Project.discover(git_repo.path)
    return project, load_config(project.config_path), a, b


def test_a_service_that_rolls_out_later_is_waited_for_with_progress(shop):
    """api reports A, then B on the third look: rolled out after two sleeps; web (unchanged) at once."""
    project, config, a, b = shop
    clock, said = Clock(), []
    with use("compose", Rolling(a, b, {"api": 3, "web": None})):
        got = wait_for_rollout(project, config, ["api", "web"], head=b, timeout=60, interval=5,
                               say=said.append, clock=clock, sleep=clock.sleep)
    api, web = got
    assert api.rolled_out and api.running == b and api.waited == 10.0
    assert web.rolled_out and web.running == a  # web's files did not change since A: A has B's code for it
    assert any(s.startswith("waiting 0s of 60s") and f"api runs {a[:12]}" in s for s in said)
    assert any(s.startswith("rolled out: api") for s in said)


def test_a_service_ci_never_deploys_fails_with_the_running_commit_named(shop):
    """api stays on A past the limit: not rolled out, 'CI did not deploy it (still running A)'."""
    project, config, a, b = shop
    clock = Clock()
    with use("compose", Rolling(a, b, {"api": None})):
        (api,) = wait_for_rollout(project, config, ["api"], head=b, timeout=30, interval=5,
                                  clock=clock, sleep=clock.sleep)
    assert not api.rolled_out
    assert api.reason == f"CI did not deploy it within 30s (still running {a[:12]})"
    assert clock.now == 30.0 and all(s <= 5 for s in clock.slept)


def test_an_unreachable_runtime_is_never_rolled_out(shop):
    """Every observe raises: the wait ends at the limit and says the runtime did not answer."""
    project, config, a, b = shop
    clock = Clock()
    fake = Rolling(a, b, {"api": 1})
    fake.errors["observe"] = PlatformUnreachable("engine down")
    with use("compose", fake):
        (api,) = wait_for_rollout(project, config, ["api"], head=b, timeout=12, interval=5,
                                  clock=clock, sleep=clock.sleep)
    assert not api.rolled_out and "did not answer: engine down" in api.reason and api.running is None


def test_platform_ids_keep_which_instances_run():
    """The deploy record keeps container ids and image ids, bounded."""
    obs = Observation("api", "compose", "compose:api", "running", revision="b" * 40, restart_count=0,
                      instances=[Instance(f"c{i}", "running", generation=f"g{i}", image_id=f"i{i}") for i in range(30)])
    ids = platform_ids(obs)
    assert ids["instances"] == [f"g{i}" for i in range(10)] and ids["image_ids"][0] == "i0"
    assert ids["revision"] == "b" * 40 and ids["observed"] is True and ids["restart_count"] == 0
