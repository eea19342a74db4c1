"""The one rule "runs HEAD's code" (state/drift/headcode.py), pure and over real git repositories."""

from __future__ import annotations

from deploystate.state.drift.headcode import NOT_HEAD, RUNS_HEAD, UNKNOWN, Judge, decide
from deploystate.state.config.mapping import Change

A = "a" * 40
B = "b" * 40
PATHS = {"backend": ["backend/**"], "frontend": ["frontend/**"]}
RULES = [(["shared/**"], "shared code")]


def test_same_commit_runs_head_without_a_diff() -> None:
    """The running commit equal to HEAD (whole id, any case) runs HEAD's code."""
    got = decide("backend", A.upper(), A, None, ["backend/**"])
    assert got.status == RUNS_HEAD and got.ok


def test_equality_is_of_the_whole_id() -> None:
    """A running id equal to HEAD in its first 7+ digits but not after is not HEAD (no diff: UNKNOWN)."""
    near = A[:30] + "0" * 10
    got = decide("backend", near, A, None, ["backend/**"])
    assert got.status == UNKNOWN and not got.ok
    assert decide("backend", A[:7], A, None, ["backend/**"]).status == UNKNOWN


def test_unchanged_service_runs_head() -> None:
    """A service none of whose files changed since its running commit runs HEAD's code."""
    got = decide("frontend", A, B, [Change("backend/app.py")], ["frontend/**"], RULES)
    assert got.status == RUNS_HEAD and got.ok and got.files == ()


def test_changed_service_is_not_head_and_names_the_files() -> None:
    """A change under the service's paths makes it NOT_HEAD, with the file that matters."""
    got = decide("backend", A, B, [Change("backend/app.py"), Change("docs/x.md")], ["backend/**"], RULES)
    assert got.status == NOT_HEAD and not got.ok
    assert got.files == ("backend/app.py",)
    assert "backend/app.py" in got.reason and "committed, not running" in got.reason


def test_all_services_paths_count_for_every_service() -> None:
    """A change under an all-services path makes every service NOT_HEAD."""
    got = decide("frontend", A, B, [Change("shared/lib.py")], ["frontend/**"], RULES)
    assert got.status == NOT_HEAD and got.files == ("shared/lib.py",)


def test_rename_into_the_service_counts() -> None:
    """A file renamed out of the service's paths counts as a change of the service."""
    got = decide("backend", A, B, [Change("old/app.py", "R", "backend/app.py")], ["backend/**"])
    assert got.status == NOT_HEAD


def test_unreadable_revision_is_unknown_never_runs_head() -> None:
    """No running revision is UNKNOWN with the reason given, even when nothing changed."""
    got = decide("backend", None, B, [], ["backend/**"], why="no label on the image")
    assert got.status == UNKNOWN and not got.ok and got.reason == "no label on the image"


def test_no_diff_is_unknown() -> None:
    """A running commit that could not be compared with HEAD is UNKNOWN, not RUNS_HEAD."""
    got = decide("backend", A, B, None, ["backend/**"])
    assert got.status == UNKNOWN and not got.ok


def test_no_head_is_unknown() -> None:
    """Without a HEAD commit nothing runs HEAD's code."""
    assert decide("backend", A, None, [], ["backend/**"]).status == UNKNOWN


def test_no_paths_is_unknown_unless_the_commit_is_head() -> None:
    """A service with no paths cannot be judged by content: only HEAD itself counts."""
    assert decide("backend", A, B, [], []).status == UNKNOWN
    assert decide("backend", B, B, None, []).status == RUNS_HEAD


def _two_commits(git_repo):  # type: ignore[no-untyped-def]
    a = git_repo.commit("a", {"backend/app.py": "v1\n", "frontend/index.html": "v1\n"})
    b = git_repo.commit("b", {"backend/app.py": "v2\n"})
    return a, b


def test_judge_over_git_unchanged_passes_changed_fails(git_repo) -> None:  # type: ignore[no-untyped-def]
    """On a real repository: since A only backend changed, so frontend at A runs HEAD, backend at A not."""
    a, b = _two_commits(git_repo)
    judge = Judge(git_repo.path, PATHS, RULES)
    assert judge.head == b
    assert judge.judge("frontend", a).status == RUNS_HEAD
    back = judge.judge("backend", a)
    assert back.status == NOT_HEAD and back.files == ("backend/app.py",) and back.running == a
    assert judge.judge("backend", b).status == RUNS_HEAD


def test_judge_full_id_differing_after_seven_digits_is_not_equal(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A 40-hex revision sharing HEAD's first 7+ digits but not the rest is not HEAD (it is unknown here)."""
    _a, b = _two_commits(git_repo)
    fake = b[:20] + ("0" if b[20] != "0" else "1") + b[21:]
    got = Judge(git_repo.path, PATHS, RULES).judge("backend", fake)
    assert got.status == UNKNOWN and not got.ok and "not in this clone" in got.reason


def test_judge_accepts_an_abbreviation_that_names_one_commit(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A short sha (>= 7 hex) of a commit in the clone is resolved to it, then judged by content."""
    a, b = _two_commits(git_repo)
    judge = Judge(git_repo.path, PATHS, RULES)
    assert judge.judge("backend", b[:7]).status == RUNS_HEAD
    assert judge.judge("backend", a[:9]).status == NOT_HEAD
    assert judge.judge("backend", b[:6]).status == UNKNOWN


def test_judge_refuses_refnames_and_words(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A revision like "HEAD", "main" or a branch named like hex is not a commit id: UNKNOWN."""
    _a, b = _two_commits(git_repo)
    git_repo.git("branch", "deadbeef")
    judge = Judge(git_repo.path, PATHS, RULES)
    for word in ("HEAD", "main", "deadbeef", "v1.2.3", ""):
        assert judge.judge("backend", word).status == UNKNOWN, word
    assert judge.judge("backend", None, "no label").reason == "no label"


def test_judge_commit_not_in_clone_is_unknown(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A full commit id this clone does not have is UNKNOWN with a fetch hint."""
    _two_commits(git_repo)
    got = Judge(git_repo.path, PATHS, RULES).judge("backend", "c" * 40)
    assert got.status == UNKNOWN and "git fetch" in got.reason


def test_judge_in_a_subdirectory_project(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A project below the repository top compares paths relative to its own root."""
    a = git_repo.commit("a", {"app/backend/x.py": "1\n", "app/deploystate.toml": "\n"})
    git_repo.commit("b", {"app/backend/x.py": "2\n"})
    judge = Judge(git_repo.path / "app", {"backend": ["backend/**"], "web": ["web/**"]})
    assert judge.judge("backend", a).status == NOT_HEAD
    assert judge.judge("web", a).status == RUNS_HEAD


def _changed(*files: str) -> list[Change]:
    return [Change(f) for f in files]


def test_reasons_name_short_ids_and_at_most_three_files() -> None:
    """Reasons show 12-digit ids and the changed files, three at most and then how many more."""
    one = decide("backend", A, B, _changed("backend/a.py"), ["backend/**"])
    assert one.reason == (f"backend runs {A[:12]}; HEAD {B[:12]} changed backend/a.py for backend: "
                          "committed, not running")
    three = decide("backend", A, B, _changed(*[f"backend/{c}.py" for c in "abc"]), ["backend/**"])
    assert "changed backend/a.py, backend/b.py, backend/c.py for backend" in three.reason
    four = decide("backend", A, B, _changed(*[f"backend/{c}.py" for c in "abcd"]), ["backend/**"])
    assert "changed backend/a.py, backend/b.py, backend/c.py (+1 more) for backend" in four.reason
    assert four.files == tuple(f"backend/{c}.py" for c in "abcd")
    assert decide("backend", A, B, [], ["backend/**"]).reason == \
        f"backend runs {A[:12]}; none of its files changed up to HEAD {B[:12]}"
    assert decide("backend", A, A, None, ["backend/**"]).reason == f"backend runs {A[:12]} = HEAD"


def test_without_a_diff_the_reason_says_what_could_not_be_compared() -> None:
    """No diff and no reason given: UNKNOWN saying which two commits could not be compared."""
    got = decide("backend", A, B, None, ["backend/**"])
    assert got.reason == f"cannot compare {A[:12]} with HEAD {B[:12]} for backend"
    assert decide("backend", A, B, None, ["backend/**"], why="git broke").reason == "git broke"


def test_judge_diffs_each_distinct_running_commit(git_repo) -> None:  # type: ignore[no-untyped-def]
    """One Judge asked about several older commits diffs each against HEAD (the second is not skipped)."""
    a = git_repo.commit("a", {"backend/app.py": "v1\n", "frontend/index.html": "v1\n"})
    b = git_repo.commit("b", {"frontend/index.html": "v2\n"})
    git_repo.commit("c", {"backend/app.py": "v2\n"})
    judge = Judge(git_repo.path, PATHS, RULES)
    assert judge.judge("frontend", a).status == NOT_HEAD
    assert judge.judge("frontend", b).status == RUNS_HEAD       # frontend unchanged since b
    assert judge.judge("backend", b).status == NOT_HEAD


def test_judge_with_no_head_commit_is_unknown(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A repository without any commit: whatever the runtime reports, nothing runs HEAD's code."""
    judge = Judge(git_repo.path, PATHS, RULES)
    assert judge.head is None
    for reported in (A, "abc1234", "main"):
        got = judge.judge("backend", reported)
        assert got.status == UNKNOWN and not got.ok, reported


def test_judge_says_when_git_cannot_diff(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A running commit git cannot diff with the HEAD given: UNKNOWN, saying git could not diff."""
    a, _b = _two_commits(git_repo)
    got = Judge(git_repo.path, PATHS, RULES, head="f" * 40).judge("backend", a)
    assert got.status == UNKNOWN and got.reason.startswith(f"git could not diff {a[:12]} with HEAD: ")


def test_judge_takes_hex_ids_up_to_64_digits_and_only_hex(git_repo) -> None:  # type: ignore[no-untyped-def]
    """Up to 64 hex digits is a commit id to look up (sha-256 clones); 65 digits, or a word of letters, is not."""
    _two_commits(git_repo)
    judge = Judge(git_repo.path, PATHS, RULES)
    assert "not in this clone" in judge.judge("backend", "c" * 64).reason
    assert judge.judge("backend", "c" * 63).reason == \
        f"the running commit {'c' * 12} is not in this clone (git fetch, then retry)"
    assert judge.judge("backend", "c" * 65).reason == f"the running revision {'c' * 40!r} is not a commit id"
    word = "release-candidate-of-the-winter-of-2026-final"
    assert judge.judge("backend", word).reason == f"the running revision {word[:40]!r} is not a commit id"
    assert judge.judge("backend", "version7").reason == "the running revision 'version7' is not a commit id"


def test_judge_refuses_a_long_branch_name_made_of_hex(git_repo) -> None:  # type: ignore[no-untyped-def]
    """A 48-hex branch name resolves in git but names no commit id: not a commit id, its first 40 shown."""
    _two_commits(git_repo)
    name = "ab" * 24
    git_repo.git("branch", name)
    got = Judge(git_repo.path, PATHS, RULES).judge("backend", name)
    assert got.status == UNKNOWN and got.reason == f"the running revision {name[:40]!r} is not a commit id"


def test_judge_for_a_project_uses_its_service_paths(git_repo) -> None:  # type: ignore[no-untyped-def]
    """Judge.for_project reads the project's root and services' paths: a change under one service's paths makes
    only that service not HEAD."""
    from deploystate.state.config.project import Project

    config = "".join(f'[services.{n}]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["{n}/**"]\n\n'
                     for n in ("backend", "frontend"))
    a = git_repo.commit("a", {"deploystate.toml": config, "backend/app.py": "v1\n", "frontend/x.html": "v1\n"})
    git_repo.commit("b", {"backend/app.py": "v2\n"})
    judge = Judge.for_project(Project.discover(git_repo.path))
    assert judge.head == git_repo.head()
    assert judge.judge("backend", a).status == NOT_HEAD and judge.judge("frontend", a).status == RUNS_HEAD
