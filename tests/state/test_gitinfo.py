"""What deploystate reads from git: HEAD from .git's files, and diffs through the one subprocess helper."""

from __future__ import annotations

import pytest

from deploystate.state.git import gitinfo
from deploystate.state.errors import GitError
from tests.fixtures.gitrepo import GitRepo


def test_renames_deletions_and_subdirectories_are_read(git_repo: GitRepo) -> None:
    """Renamed, deleted, added and modified files are listed, also relative to a sub-directory."""
    base = git_repo.commit("one", {"svc/api/app.py": "a = 1\n" * 20, "svc/worker/w.py": "w\n",
                                   "docs/x.md": "x\n", "svc/old.py": "o = 1\n" * 20})
    git_repo.git("mv", "svc/old.py", "svc/api/new.py")
    git_repo.git("rm", "-q", "svc/worker/w.py")
    head = git_repo.commit("two", {"svc/api/app.py": "a = 2\n" * 20, "svc/added.py": "n\n"})
    top = {(c.path, c.status, c.old_path) for c in gitinfo.changed_files(git_repo.path, base, head)}
    assert top == {("svc/api/app.py", "M", None), ("svc/worker/w.py", "D", None), ("svc/added.py", "A", None),
                   ("svc/api/new.py", "R", "svc/old.py")}
    below = {(c.path, c.status) for c in gitinfo.changed_files(git_repo.path, base, head, under="svc")}
    assert below == {("api/app.py", "M"), ("worker/w.py", "D"), ("added.py", "A"), ("api/new.py", "R")}



def test_diff_here_equals_the_diff_under_the_relative_root(git_repo: GitRepo) -> None:
    """changed_files_here (one git process) lists what changed_files with relative_root's prefix does,
    at the repository top and in a sub-directory (and nothing outside that sub-directory)."""
    base = git_repo.commit("one", {"svc/api/app.py": "a = 1\n", "docs/x.md": "x\n", "svc/old.py": "o = 1\n" * 20})
    git_repo.git("mv", "svc/old.py", "svc/api/new.py")
    head = git_repo.commit("two", {"svc/api/app.py": "a = 2\n", "docs/x.md": "y\n"})
    for where in (git_repo.path, git_repo.path / "svc", git_repo.path / "svc" / "api"):
        under = gitinfo.relative_root(where)
        want = [(c.path, c.status, c.old_path) for c in gitinfo.changed_files(where, base, head, under=under)]
        got = [(c.path, c.status, c.old_path) for c in gitinfo.changed_files_here(where, base, head)]
        assert got == want and got, where
    assert [c.path for c in gitinfo.changed_files_here(git_repo.path / "svc" / "api", base, head)] == [
        "app.py", "new.py"]


def test_unknown_revision_is_a_clear_error(git_repo: GitRepo) -> None:
    """A revision that does not exist is a GitError saying what to pass instead."""
    git_repo.commit("one", {"a": "1"})
    with pytest.raises(GitError):
        gitinfo.changed_files(git_repo.path, "no-such-branch", "HEAD")


def test_head_read_from_files_matches_git_for_loose_packed_detached_and_worktrees(git_repo: GitRepo,
                                                                                 tmp_path) -> None:
    """gitinfo.head reads .git's files (no subprocess) and agrees with `git rev-parse HEAD` everywhere."""
    assert gitinfo.head(git_repo.path) is None  # unborn branch
    first = git_repo.commit("one", {"a": "1"})
    assert gitinfo._read_head_files(git_repo.path) == first
    (git_repo.path / "sub").mkdir()
    assert gitinfo._read_head_files(git_repo.path / "sub") == first  # a config below the repository top
    git_repo.git("pack-refs", "--all")
    second = git_repo.commit("two", {"a": "2"})
    git_repo.git("pack-refs", "--all")
    assert gitinfo._read_head_files(git_repo.path) == second
    git_repo.git("checkout", "-q", "--detach", first)
    assert gitinfo.head(git_repo.path) == first
    git_repo.git("checkout", "-q", "main")
    wt = tmp_path / "wt"
    git_repo.git("worktree", "add", "-q", "-b", "side", str(wt), first)
    assert gitinfo._read_head_files(wt) == first == git_repo.git("-C", str(wt), "rev-parse", "HEAD").stdout.strip()
