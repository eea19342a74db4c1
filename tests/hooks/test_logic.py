"""Pure logic of the hooks: claim detection, shell parsing, the gates over a projection, settings defaults."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, strategies as st
from hypothesis import settings as hsettings

from deploystate.hooks import claims, gates, settings
from deploystate.hooks.git import gitpush
from deploystate.hooks.shell import shellparse
from deploystate.state.view import projection

PATTERNS, _ = claims.compile_patterns(list(settings.DEFAULT_CLAIM_PATTERNS))


@pytest.mark.parametrize("text", ["Fix login; deployed", "The new flow is now live", "verified working after restart",
                                  "checkout working in production", "Hotfix\n\nLive in prod since 10:00.", "it's deployed"])
def test_claims_are_found(text):
    """Each default pattern finds its claim."""
    assert claims.find_claim(text, PATTERNS)


@pytest.mark.parametrize("text", ["Refactor deploy scripts", "not deployed yet", "Will be deployed after review",
                                  "once deployed, run the migration", "Is it deployed?", "undeployed services",
                                  "Fix:\n```\n$ echo deployed\n```", "> deployed (quoting the ticket)",
                                  "We haven't deployed this", "Merge branch 'deployed-fix' into main",
                                  'Revert "api deployed"', "Rename the `deployed` flag"])
def test_non_claims_are_not_found(text):
    """Negated, conditional, questioned, quoted and code mentions (and git's merge/revert subjects) are not claims."""
    assert claims.find_claim(text, PATTERNS) is None


def test_commit_message_comments_and_verbose_diff_are_ignored():
    """git's comment lines and everything below the scissors line are not part of the message."""
    text = "Tidy up\n# deployed (a comment)\n# ------------------------ >8 ------------------------\n+deployed\n"
    assert claims.find_claim(claims.strip_commit_message(text), PATTERNS) is None
    template = "; Please enter the commit message for your changes. Lines starting\n"
    assert claims.find_claim(claims.strip_commit_message("x\n; deployed\n" + template, ";"), PATTERNS) is None


def test_comment_lines_of_a_message_given_with_m_are_read():
    """Without git's editor template (`git commit -m/-F` stores "#" lines), a claim on a comment line counts."""
    assert claims.find_claim(claims.strip_commit_message("x\n\n# deployed to production\n"), PATTERNS)
    assert claims.find_claim(claims.strip_commit_message("x\n; deployed\n", ";"), PATTERNS)


def test_bad_patterns_are_reported_not_fatal():
    """An invalid configured regex is reported and skipped."""
    good, bad = claims.compile_patterns(["(", "ok"])
    assert len(good) == 1 and "'('" in bad[0]


def test_mentions_are_whole_words():
    """Service names match as whole words only."""
    assert claims.mentioned("api and worker-2 deployed", ["api", "worker", "worker-2", "ap"]) == ["api", "worker-2"]


def test_settings_defaults_match_the_config_schema():
    """The hook path's defaults equal the full schema's (the hooks cannot import it)."""
    from deploystate.state.config import project
    from deploystate.state.config.config import HooksSettings, ProjectSettings

    assert list(settings.DEFAULT_CLAIM_PATTERNS) == HooksSettings().commit_msg_patterns
    assert settings.DEFAULT_TAG_PATTERN == HooksSettings().deployed_tag_pattern
    assert list(settings.DEFAULT_DEPLOY_BRANCHES) == ProjectSettings().deploy_branches
    assert settings.CONFIG_NAME == project.CONFIG_NAME


def test_settings_skip_parsing_when_keys_are_absent(tmp_path):
    """Without the keys in the file, defaults are used and TOML is not even parsed."""
    (tmp_path / "deploystate.toml").write_text("[project]\nname = 'x'\n")
    found = settings.find(tmp_path)
    assert found.claim_patterns() == list(settings.DEFAULT_CLAIM_PATTERNS) and found._raw is None
    assert found.deploy_branches() == ["main"]


@pytest.mark.parametrize("command,expected", [
    ("git commit -nm msg", "commit -n"),
    ("git commit -mn", None),
    ("git commit --no-verify", "commit"),
    ("git commit -m 'use --no-verify carefully'", None),
    ("git push --no-verify", "push"),
    ("git push -n origin main", None),
    ("git merge --no-verify side", "merge"),
    ("git -c core.hooksPath=/dev/null commit -m x", "hooksPath"),
    ("FOO=1 command git commit -n", "commit -n"),
    ("echo 'git commit -n'", None),
    ("git log -n 3", None),
])
def test_bypass_detection(command, expected):
    """--no-verify is read the way git reads options; message text and other commands are not mistaken."""
    reasons = [shellparse.bypass(c) for c in shellparse.git_calls(command)]
    found = next((r for r in reasons if r), None)
    if expected is None:
        assert found is None
    else:
        assert found and expected.split()[0] in found


def test_push_specs():
    """Remote, refspecs and the flags that change what is pushed are read from the command."""
    calls = shellparse.git_calls("cd app && git -C sub push -u origin HEAD:main +feature:refs/heads/x 2>&1 | cat")
    (push,) = calls
    spec = shellparse.push_spec(push)
    assert push.cwd == "sub" and (spec.remote, spec.refspecs) == ("origin", ["HEAD:main", "+feature:refs/heads/x"])
    assert shellparse.push_spec(shellparse.git_calls("git push --tags")[0]).tags
    assert shellparse.push_spec(shellparse.git_calls("git push --delete origin x")[0]).skip
    assert shellparse.git_calls("A='x y' git push")[0].env == {"A": "x y"}


def _state(*records):
    return projection.build(records)


def _rec(i, kind, payload, session=None):
    return {"id": f"{i:026d}", "ts": f"2024-05-01T10:{i:02d}:00.000000Z", "kind": kind, "commit": payload.get("commit"),
            "author": {"name": "dev", "session": session}, "payload": payload}


def test_gates_treat_every_unverified_deploy_as_unverified():
    """Without verification records, every restarted deploy is unverified and refuses."""
    state = _state(_rec(1, "deploy", {"service": "api", "commit": "a" * 40, "status": "restarted"}))
    refusals = gates.deploy_gate(state, 3, True, [])
    assert len(refusals) == 1 and refusals[0].service == "api" and "2024-05-01 10:01 UTC" in refusals[0].what
    assert gates.running_verified(state) and gates.commit_verdict(state, "a" * 40) is None


def test_gates_judge_a_pass_by_the_headcode_verdict_not_the_deploy_record():
    """A pass covers HEAD only by the one rule's verdict: runs_head passes whatever commit the deploy record
    has; not_head names the files; no verdict at all (nothing compared it with HEAD) is refused."""
    state = _state(_rec(1, "deploy", {"service": "api", "commit": "a" * 40, "status": "restarted"}),
                   _rec(2, "verification", {"service": "api", "commit": "b" * 40, "verdict": "pass"}))
    assert state["services"]["api"]["running_commit"] == "a" * 40      # the deploy record says A
    state["headcode"] = {"api": {"status": "runs_head", "files": []}}
    assert gates.running_verified(state, ["api"]) == []
    state["headcode"] = {"api": {"status": "not_head", "files": ["api/app.py"]}}
    (refusal,) = gates.running_verified(state, ["api"])
    assert "HEAD changed api/app.py for `api`" in refusal.what and "committed, not running" in refusal.what
    for missing in ({}, {"api": {"status": "unknown", "reason": "not in this clone"}}):
        state["headcode"] = missing
        (refusal,) = gates.running_verified(state, ["api"])
        assert "cannot be told whether that is HEAD's code" in refusal.what
    assert gates.commit_verdict(state, "bbbbbbb") == "pass"


def test_commit_verdict_reports_the_worst():
    """One service failing on a commit outweighs another passing on it."""
    state = _state(_rec(1, "verification", {"service": "api", "commit": "d" * 40, "verdict": "pass"}),
                   _rec(2, "verification", {"service": "worker", "commit": "d" * 40, "verdict": "fail"}))
    assert gates.commit_verdict(state, "d" * 40) == "fail"
    assert gates.tag_refusal("deployed/x", "d" * 40, "fail").what.endswith("did not pass (fail).")


@given(st.text(alphabet="ma*?[]!-/\\.x", max_size=8), st.text(alphabet="ma*?[]!-/\\.x", max_size=8))
def test_branch_patterns_match_as_fnmatch_matches(name, pattern):
    """gitpush.fnmatchcase (a pattern without a wildcard compared as it is) answers as fnmatch.fnmatchcase."""
    assert gitpush.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)
    assert gitpush.fnmatchcase(pattern, pattern) == fnmatch.fnmatchcase(pattern, pattern)


@hsettings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab*?/\n", max_size=10), st.text(alphabet="ab*?/\n", max_size=7))
def test_bracketless_branch_patterns_match_as_fnmatch_without_re(name, pattern):
    """The re-free matcher (``*`` and ``?`` only: a pattern with ``[`` goes to fnmatch) agrees with fnmatch,
    slashes and newlines included."""
    assert gitpush.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)
