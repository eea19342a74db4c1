"""The value types of verification and the platform contract behave as the dataclasses they replaced, and no
module of verify (nor the platform contract) imports dataclasses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from deploystate.platforms.base import Instance, Observation, RestartResult, ServiceRef
from deploystate.platforms.revision import RevisionReading
from deploystate.state.config.checks import CommandCheck
from deploystate.state.config.config import CommandService
from deploystate.verify.context import CheckContext
from deploystate.verify.result import Measurement, passed
from deploystate.verify.runner import Job
from deploystate.verify.soak import SoakOutcome

# Every verify module a run can import, and the platform modules it imports before a check starts.
LEAN = ("deploystate.verify.service", "deploystate.verify.runner", "deploystate.verify.wait",
        "deploystate.verify.identity", "deploystate.verify.checks.logs", "deploystate.verify.checks.command",
        "deploystate.verify.checks.revision", "deploystate.platforms.base", "deploystate.platforms.revision",
        "deploystate.platforms.command.command")


def test_observation_defaults_and_to_dict():
    """An observation takes the same defaults (a new list and dict per instance), and to_dict nests its
    instances as dicts in a copy that changing leaves the observation alone."""
    a, b = Observation("api", "docker", "api", "running"), Observation("api", "docker", "api", "running")
    assert a == b and a.instances is not b.instances and a.facts is not b.facts
    assert (a.revision, a.revision_source, a.oom_killed, a.replicas, a.problems) == (None, "", False, None, [])
    a.instances.append(Instance("c1", "running", revision="abc"))
    a.state = "degraded"
    got = a.to_dict()
    assert got["state"] == "degraded" and got["instances"][0]["revision"] == "abc"
    assert got["instances"][0]["exit_code"] is None and len(got) == 15 and len(got["instances"][0]) == 13
    assert json.loads(json.dumps(got)) == got
    got["instances"].clear()
    assert len(a.instances) == 1 and a != b
    with pytest.raises(TypeError):
        hash(a)
    assert RestartResult("api", "restart", True).to_dict() == {
        "service": "api", "strategy": "restart", "ok": True, "message": "", "platform_ids": {}, "warnings": [],
        "started_at": None, "duration": 0.0}


def test_frozen_values_refuse_assignment():
    """A service reference, a revision reading and a soak outcome cannot change once made (as frozen
    dataclasses); they compare by value."""
    ref = ServiceRef("api", CommandService(restart_cmd=["true"]), Path("."))
    reading = RevisionReading("abc", "env GIT_SHA")
    outcome = SoakOutcome("pass", "ok", None)
    for value, name in ((ref, "name"), (reading, "value"), (outcome, "result")):
        with pytest.raises(AttributeError):
            setattr(value, name, "x")
    assert reading == RevisionReading("abc", "env GIT_SHA", None) and reading.error is None
    assert repr(outcome) == "SoakOutcome(result='pass', summary='ok', decisive=None)"


def test_context_fork_shares_all_but_scratch_and_measurement_defaults():
    """A forked context shares the run's cancel event and facts but has its own scratch; a measurement is
    mutable (the runner stamps its duration) with its own evidence dict."""
    ctx = CheckContext(root=Path("."), head="abc")
    ctx.scratch["k"] = 1
    fork = ctx.fork()
    assert fork.head == "abc" and fork.cancel is ctx.cancel and fork.scratch == {} and fork.now is ctx.now
    assert isinstance(CheckContext(Path(".")).cancel, threading.Event)
    assert CheckContext(Path(".")).cancel is not CheckContext(Path(".")).cancel
    m = passed("ok", code=200)
    m.duration = 1.5
    assert m == Measurement("pass", "ok", {"code": 200}, 1.5) and Measurement("pass", "x").evidence == {}
    job = Job("web/cmd", CommandCheck(argv=["true"]), ctx)
    assert job.service is None and job == Job("web/cmd", job.check, ctx, None)


def test_verify_and_the_platform_contract_do_not_import_dataclasses():
    """Importing every verify module a run uses (and the platform contract) loads neither dataclasses nor
    inspect: they cost each `deploystate verify` ~8 ms before its first check starts."""
    code = ("import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}  # coverage imports more
    res = subprocess.run([sys.executable, "-I", "-c", code, *LEAN], capture_output=True, text=True, timeout=120,
                         env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
