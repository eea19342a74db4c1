"""The pre-tool hook's file reader of branches, tags and HEAD says exactly what git says, in every layout
it claims to read (loose, packed, both, annotated tags, linked worktrees, detached HEAD, sub-directories),
and hands over to git (None) for the layouts it does not read."""

from __future__ import annotations

import json

import pytest

from deploystate.hooks.agents import gitrefs

from .conftest import run_hook


def _git_says(repo, where=None) -> tuple[dict[str, str], str]:
    """What the hook used to ask git: for-each-ref over heads and tags, and symbolic-ref -q HEAD."""
    out = repo.git("-C", str(where or repo.path), "for-each-ref", "--format=%(objectname) %(refname)",
                   "refs/heads", "refs/tags").stdout
    refs = dict(reversed(line.split(" ", 1)) for line in out.splitlines())
    head = repo.git("-C", str(where or repo.path), "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    return refs, head


def _layouts(repo) -> None:
    repo.commit("one", {"a.txt": "1\n"})
    repo.git("branch", "feature")
    repo.git("branch", "release/1.0")
    repo.git("tag", "light")
    repo.git("tag", "-a", "deployed/2026-12-01", "-m", "annotated")
    repo.git("pack-refs", "--all")        # everything so far is packed
    repo.commit("two", {"a.txt": "2\n"})  # main moves on: a loose main now shadows the packed one
    repo.git("branch", "loose-only")
    repo.git("tag", "-a", "deployed/later", "-m", "loose annotated")


def test_the_file_reader_equals_git(git_repo):
    """Loose refs over packed ones, annotated tags as their tag object, HEAD's branch: as git says."""
    _layouts(git_repo)
    assert gitrefs.read(git_repo.path) == _git_says(git_repo)
    sub = git_repo.path / "deep" / "er"
    sub.mkdir(parents=True)
    assert gitrefs.read(sub) == _git_says(git_repo, sub)


def test_detached_head_and_worktree(git_repo, tmp_path):
    """A detached HEAD is '' (no branch); a linked worktree reads the shared refs and its own HEAD."""
    _layouts(git_repo)
    git_repo.git("checkout", "-q", "--detach", "HEAD~1")
    assert gitrefs.read(git_repo.path) == _git_says(git_repo) and gitrefs.read(git_repo.path)[1] == ""
    wt = tmp_path / "wt"
    git_repo.git("worktree", "add", "-q", "-b", "in-worktree", str(wt))
    assert gitrefs.read(wt) == _git_says(git_repo, wt)
    assert gitrefs.read(wt)[1] == "refs/heads/in-worktree"


def test_unborn_branch(git_repo):
    """A repository without commits: no refs, HEAD names the branch to be born (as symbolic-ref does)."""
    assert gitrefs.read(git_repo.path) == ({}, "refs/heads/main") == _git_says(git_repo)


@pytest.mark.parametrize("case", ["git-dir-env", "reftable", "symbolic-ref", "garbage-ref", "no-repo"])
def test_layouts_it_does_not_read_go_to_git(git_repo, tmp_path, monkeypatch, case):
    """Anything the reader cannot be sure of returns None, so the hook asks git itself."""
    git_repo.commit("one", {"a.txt": "1\n"})
    where = git_repo.path
    if case == "git-dir-env":
        monkeypatch.setenv("GIT_DIR", str(git_repo.path / ".git"))
    elif case == "reftable":
        (git_repo.path / ".git" / "reftable").mkdir()
    elif case == "symbolic-ref":
        git_repo.git("symbolic-ref", "refs/heads/alias", "refs/heads/main")
    elif case == "garbage-ref":
        (git_repo.path / ".git" / "refs" / "heads" / "odd").write_text("not a sha\n")
    else:
        where = tmp_path / "elsewhere"
        where.mkdir()
    assert gitrefs.read(where) is None


def test_the_hook_judges_a_push_from_packed_refs(shop):
    """End to end: with every ref packed, a push to main is still judged (and refused while unverified)."""
    shop.deploy("api")
    shop.git("pack-refs", "--all")
    loose = shop.path / ".git" / "refs" / "heads" / "main"
    assert not loose.exists()
    payload = json.dumps({"session_id": "s", "cwd": str(shop.path), "tool_name": "Bash",
                          "tool_input": {"command": "git push origin main"}})
    res = run_hook(["agent", "claude", "pre-tool"], cwd=shop.path, input=payload)
    reason = json.loads(res.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.startswith("deploystate: denied (refused-push): this push to main")
