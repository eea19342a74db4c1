"""The two diff readers (gitpython for the CLI/MCP, the git CLI for hooks) agree on real repositories."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploystate.state import gitdiff, gitinfo
from deploystate.state.errors import GitError
from tests.fixtures.gitrepo import GitRepo


def _key(changes):
    return sorted((c.path, c.status, c.old_path) for c in changes)


def test_renames_deletions_and_subdirectories_agree(git_repo: GitRepo) -> None:
    """Renamed, deleted, added and modified files, at the top and below a sub-directory, read the same."""
    base = git_repo.commit("one", {"svc/api/app.py": "a = 1\n" * 20, "svc/worker/w.py": "w\n",
                                   "docs/x.md": "x\n", "svc/old.py": "o = 1\n" * 20})
    git_repo.git("mv", "svc/old.py", "svc/api/new.py")
    git_repo.git("rm", "-q", "svc/worker/w.py")
    head = git_repo.commit("two", {"svc/api/app.py": "a = 2\n" * 20, "svc/added.py": "n\n"})
    for under in (None, "svc"):
        ours = gitdiff.changed_files(git_repo.path, base, head, under=under)
        cli = gitinfo.changed_files(git_repo.path, base, head, under=under)
        assert _key(ours) == _key(cli)
    renamed = [c for c in gitdiff.changed_files(git_repo.path, base, head) if c.status == "R"]
    assert [(c.old_path, c.path) for c in renamed] == [("svc/old.py", "svc/api/new.py")]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["a.py", "d/b.py", "d/e/c.py", "f.txt"]), min_size=1, max_size=4, unique=True),
       st.lists(st.sampled_from(["a.py", "d/b.py", "d/e/c.py", "f.txt"]), max_size=3, unique=True))
def test_random_edits_read_the_same(tmp_path_factory, git_env, changed, deleted) -> None:
    """Whatever files a commit edits or deletes, both readers list the same changes."""
    repo = GitRepo(tmp_path_factory.mktemp("r"))
    repo.git("init", "-q", "-b", "main")
    base = repo.commit("base", {p: f"{p} v1\n" for p in ["a.py", "d/b.py", "d/e/c.py", "f.txt"]})
    for p in changed:
        repo.write(p, f"{p} v2\n")
    for p in deleted:
        (repo.path / p).unlink(missing_ok=True)
    head = repo.commit("head")
    assert _key(gitdiff.changed_files(repo.path, base, head)) == _key(gitinfo.changed_files(repo.path, base, head))


def test_unknown_revision_is_a_clear_error(git_repo: GitRepo) -> None:
    """A revision that does not exist is a GitError saying what to pass instead."""
    git_repo.commit("one", {"a": "1"})
    with pytest.raises(GitError, match="cannot diff"):
        gitdiff.changed_files(git_repo.path, "no-such-branch", "HEAD")


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
