"""`--ci` output: GitHub annotations and groups, plain lines elsewhere, escaping that cannot be abused."""

from __future__ import annotations

from deploystate.verify.ci_format import lines

REPORT = {"verdict": "fail", "services": [
    {"service": "api", "verdict": "fail", "summary": "1 of 3 checks failed", "commit": "b" * 40,
     "running_revision": "a" * 40, "failed_checks": ["revision: running aaaaaaaaaaaa, HEAD's code is bbbbbbbbbbbb"]},
    {"service": "worker", "verdict": "pass", "summary": "3 checks passed", "commit": "b" * 40,
     "running_revision": "b" * 40, "failed_checks": []},
]}


def test_github_gets_one_annotation_per_service_at_the_verdicts_level():
    """On GitHub a fail is ::error, a pass ::notice, each titled with the service."""
    out = lines(REPORT, github=True)
    errors = [l for l in out if l.startswith("::error ")]
    notices = [l for l in out if l.startswith("::notice ")]
    assert len(errors) == 1 and "title=deploystate verify api::FAIL api" in errors[0]
    assert len(notices) == 1 and "title=deploystate verify worker::PASS worker" in notices[0]
    assert out.count("::endgroup::") == 2
    assert out[-1].startswith("deploystate: overall FAIL") and "pipeline fails" in out[-1]


def test_plain_ci_logs_get_greppable_lines_naming_running_and_expected():
    """Without GitHub each service is one line with its verdict, running and expected commit."""
    out = lines(REPORT, github=False)
    assert out[0] == ("deploystate: FAIL api: 1 of 3 checks failed (running aaaaaaaaaaaa, expected bbbbbbbbbbbb)")
    assert out[1].startswith("deploystate:   revision:")
    assert not any(l.startswith("::") for l in out)


def test_a_log_line_cannot_inject_a_workflow_command():
    """Newlines and percent signs in evidence are escaped, so '::set-env' cannot start a line."""
    hostile = {"verdict": "fail", "services": [{"service": "api", "verdict": "fail", "summary": "x",
               "failed_checks": ["ok\n::set-env name=X::1 100%"]}]}
    out = lines(hostile, github=True)
    assert not any(l.startswith("::set-env") for l in out)
    joined = "\n".join(out)
    assert "%0A::set-env" in joined and "100%25" in joined


def test_inconclusive_is_a_warning_and_still_fails_the_pipeline():
    """Inconclusive is never a pass: ::warning, and the summary says the pipeline fails."""
    rep = {"verdict": "inconclusive", "services": [{"service": "api", "verdict": "inconclusive", "summary": "no revision"}]}
    out = lines(rep, github=True)
    assert any(l.startswith("::warning title=deploystate verify api::INCONCLUSIVE") for l in out)
    assert "pipeline fails" in out[-1]
