"""``command``: run an argv (never a shell) and judge its exit code and stdout (e.g. ``celery inspect active``)."""

from __future__ import annotations

import re

from deploystate.state.config.checks import CommandCheck
from deploystate.state.errors import CommandError, CommandTimeout
from deploystate.state.git.proc import run

from ..context import CheckContext
from ..result import Measurement, clip, failed, inconclusive, passed

TAIL = 600


def measure(check: CommandCheck, ctx: CheckContext, timeout: float) -> Measurement:
    try:
        done = run(check.argv, timeout=timeout, cwd=ctx.root)
    except CommandTimeout as exc:
        return inconclusive(f"{check.argv[0]} did not finish within {timeout:g}s", error=exc.message)
    except CommandError as exc:  # not installed, not executable
        return inconclusive(exc.message, hint=exc.hint)
    evidence = {"argv": check.argv, "exit": done.returncode, "stdout": clip(done.stdout.strip()[-TAIL:], TAIL),
                "stderr": clip(done.stderr.strip()[-TAIL:], TAIL)}
    if done.returncode != check.expect_exit:
        return failed(f"{check.argv[0]} exited {done.returncode}, expected {check.expect_exit}", **evidence)
    if check.stdout_regex:
        try:
            hit = re.search(check.stdout_regex, done.stdout, re.M)
        except re.error as exc:
            return inconclusive(f"stdout_regex is not a valid regex: {exc}", **evidence)
        if not hit:
            return failed(f"{check.argv[0]} output does not match {check.stdout_regex!r}", **evidence)
        evidence["matched"] = clip(hit.group(0), 200)
    return passed(f"{check.argv[0]} exited {done.returncode}"
                  + (f" and printed {check.stdout_regex!r}" if check.stdout_regex else ""), **evidence)
