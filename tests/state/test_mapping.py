"""Changed files -> affected services, with the reason."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploystate.state.config.mapping import Change, GlobError, affected, compile_glob, matches, parse_name_status

# The restart map from the trading-system field report.
SERVICES = {
    "backend": ["backend/app/**/*.py"],
    "celery_worker": ["backend/app/services/*_tasks.py", "backend/app/agents/**/*.py"],
    "celery_beat": ["backend/app/services/*_tasks.py", "backend/app/agents/**/*.py"],
    "frontend": ["frontend/**/*.tsx"],
}
ALL = [([".env", "backend/app/db/models.py"], "shared env and models")]


def test_task_module_affects_backend_and_both_celery_services() -> None:
    """A *_tasks.py change restarts backend, celery_worker and celery_beat, each with its pattern."""
    res = affected([Change("backend/app/services/stop_loss_tasks.py")], SERVICES, ALL)
    assert res.names() == ["backend", "celery_beat", "celery_worker"]
    assert res.services["celery_worker"][0].pattern == "backend/app/services/*_tasks.py"


def test_env_file_affects_every_service_with_the_rule_reason() -> None:
    """.env matches the all-services rule at any depth and names the rule's reason."""
    res = affected([Change("deploy/.env")], SERVICES, ALL)
    assert res.names() == sorted(SERVICES)
    assert all(m[0].rule == "shared env and models" for m in res.services.values())


def test_unmatched_files_are_listed() -> None:
    """A docs change affects nothing and is reported as unmatched."""
    res = affected([Change("docs/runbook.md")], SERVICES, ALL)
    assert res.services == {} and res.unmatched == ["docs/runbook.md"]


def test_rename_counts_both_sides_and_deletion_counts() -> None:
    """Moving a file out of a service's paths still affects it; so does deleting one."""
    res = affected([Change("docs/old.tsx", "R", "frontend/old.tsx"), Change("backend/app/x.py", "D")],
                   SERVICES, ALL)
    assert res.names() == ["backend", "frontend"]
    assert res.services["backend"][0].status == "D"


@pytest.mark.parametrize("pattern,path,expected", [
    ("*.py", "a/b/c.py", True),
    ("backend/**", "backend/x/y.py", True),
    ("backend/**", "backendx/y.py", False),
    ("backend/*.py", "backend/x/y.py", False),
    ("backend/**/*.py", "backend/y.py", True),
    ("src/[ab].py", "src/a.py", True),
    ("src/[!ab].py", "src/a.py", False),
    ("Dockerfile", "services/api/Dockerfile", True),
    ("/Dockerfile", "services/api/Dockerfile", False),
    ("api/", "api/main.py", True),
])
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    """Globs behave like gitignore: * within a segment, ** across, bare names at any depth."""
    assert matches(pattern, path) is expected


@pytest.mark.parametrize("bad", ["", "  ", "a[b", "x]"])
def test_malformed_globs_are_rejected(bad: str) -> None:
    """A malformed glob raises GlobError instead of matching nothing silently."""
    with pytest.raises(GlobError):
        compile_glob(bad)


def test_parse_name_status_reads_renames_and_deletions() -> None:
    """git diff --name-status -z output becomes Change records."""
    text = "M\0a.py\0R100\0old.py\0new.py\0D\0gone.py\0"
    assert parse_name_status(text) == [Change("a.py", "M"), Change("new.py", "R", "old.py"), Change("gone.py", "D")]


segment = st.text(alphabet="abcxyz_", min_size=1, max_size=5)


@given(st.lists(segment, min_size=1, max_size=4), segment)
def test_star_within_a_segment_agrees_with_fnmatch_on_single_segments(dirs: list[str], name: str) -> None:
    """For patterns without '/', a bare glob matches a basename exactly when fnmatch does."""
    path = "/".join(dirs) + "/" + name + ".py"
    pattern = name[:2] + "*.py"
    assert matches(pattern, path) == fnmatch.fnmatchcase(name + ".py", pattern)


@given(st.lists(st.lists(segment, min_size=1, max_size=4).map("/".join), max_size=30))
def test_every_file_under_a_prefix_glob_is_mapped(paths: list[str]) -> None:
    """Mapping is total: each changed file is either matched to a service or listed unmatched."""
    res = affected([Change(p) for p in paths], {"a": ["a*/**"], "b": ["*.x"]})
    matched = {m.file for ms in res.services.values() for m in ms}
    assert matched | set(res.unmatched) == set(paths)
    assert all(p.startswith("a") for p in {m.file for m in res.services.get("a", [])})


@pytest.mark.parametrize("glob", [".github/workflows/*", "./.github/workflows/*.yml", "/.github/workflows/**",
                                  " .github/workflows/* "])
def test_dot_directory_globs_reach_their_bucket(glob: str) -> None:
    """A glob under a dot directory (.github/) affects its service: the bucket key keeps the leading dot."""
    res = affected([Change(".github/workflows/ci.yml")], {"ci": [glob]})
    assert res.names() == ["ci"] and matches(glob.strip(), ".github/workflows/ci.yml")


@given(st.sampled_from(["./", "/", "", " "]), st.sampled_from([".github", "..x", ".", "app", "a.b"]),
       st.sampled_from(["*.yml", "**", "ci.yml", "w/*"]))
def test_bucketing_never_hides_a_glob_match(lead: str, head: str, tail: str) -> None:
    """affected() finds a path exactly when the glob alone matches it (the first-segment buckets are a shortcut)."""
    glob = f"{lead}{head}/{tail}"
    for path in (f"{head}/ci.yml", f"{head}/w/ci.yml", f"{head.lstrip('.')}/ci.yml"):
        assert (affected([Change(path)], {"s": [glob]}).names() == ["s"]) == matches(glob.strip(), path)
