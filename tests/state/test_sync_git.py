"""One ledger for a team through git: three clones, concurrent writers, resets and cleans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.state.view import cache, projection
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.git.sync_git import REF, sync
from tests.fixtures.gitrepo import GIT_ENV, GitRepo

WRITER = """
import sys
from deploystate.state.ledger.ledger import Ledger
led = Ledger(sys.argv[1])
for i in range(int(sys.argv[2])):
    led.append("attempt", {"summary": f"{sys.argv[3]} try {i}", "outcome": "failed"})
"""


def _clone(bare: Path, dest: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(bare), str(dest)], check=True, timeout=60, capture_output=True)
    return GitRepo(dest)


@pytest.fixture
def clones(tmp_path: Path, git_repo: GitRepo, git_remote: Path) -> list[GitRepo]:
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "team"\n', "app.py": "print(1)\n"})
    git_repo.git("push", "-q", "origin", "main")
    return [_clone(git_remote, tmp_path / f"clone{i}") for i in range(3)]


def _ledger(repo: GitRepo) -> Ledger:
    return Ledger(repo.path / ".deploystate")


def _write(repo: GitRepo, writers: int, each: int, tag: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(repo.path / ".deploystate"), str(each), f"{tag}{w}"])
             for w in range(writers)]
    assert all(p.wait(timeout=120) == 0 for p in procs)


def test_three_clones_converge_whatever_the_sync_order(clones: list[GitRepo]) -> None:
    """Concurrent writers in three clones, synced in different orders: every record everywhere, once."""
    for i, repo in enumerate(clones):
        _write(repo, 3, 40, f"c{i}w")
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        for i in order:
            res = sync(clones[i].path, _ledger(clones[i]))
            assert res.pushed and not res.problems, res.message
    ids = [sorted(r["id"] for r in _ledger(c).read().records) for c in clones]
    assert ids[0] == ids[1] == ids[2] and len(ids[0]) == 3 * 3 * 40 == len(set(ids[0]))
    for c in clones:
        assert _ledger(c).verify().ok
    states = [cache.load(_ledger(c)).state for c in clones]
    assert states[0] == states[1] == states[2]
    assert states[0]["attempts"]["failed"] == 360


def test_an_edited_record_is_refused_by_sync_and_never_reaches_the_team(clones: list[GitRepo]) -> None:
    """A record edited in one clone makes its sync TAMPERED and unpushed; the team's copy keeps the true record."""
    a, b = clones[0], clones[1]
    _ledger(a).append("verification", {"service": "web", "verdict": "fail", "summary": "old code"})
    sync(a.path, _ledger(a))
    sync(b.path, _ledger(b))
    path = _ledger(a).path
    path.write_text(path.read_text().replace('"verdict":"fail"', '"verdict":"pass"'))
    assert not _ledger(a).verify().ok
    edited = sync(a.path, _ledger(a))
    assert not edited.pushed and any("diverges from the remote anchor" in p for p in edited.problems), edited
    res = sync(b.path, _ledger(b))
    assert res.pushed and not res.problems, res.problems
    assert projection.failed(cache.load(_ledger(b)).state) == ["web"]  # b keeps the true record


def test_reset_and_clean_cannot_wipe_the_ledger(clones: list[GitRepo]) -> None:
    """After git reset --hard to an old commit and git clean -fdx, sync restores every record."""
    repo = clones[0]
    old = repo.head()
    for i in range(5):
        _ledger(repo).append("deploy", {"service": "web", "commit": old, "n": i})
    assert sync(repo.path, _ledger(repo)).pushed
    repo.commit("later work", {"app.py": "print(2)\n"})
    repo.git("reset", "-q", "--hard", old)
    repo.git("clean", "-q", "-fdx")
    assert not (repo.path / ".deploystate").exists()
    res = sync(repo.path, _ledger(repo))
    assert res.restored == 5 and len(_ledger(repo).read().records) == 5 and _ledger(repo).verify().ok


def test_unreachable_remote_is_reported_offline_not_raised(clones: list[GitRepo]) -> None:
    """A remote that cannot be reached gives an 'offline: using local state from ...' result."""
    repo = clones[0]
    _ledger(repo).append("note", {})
    repo.git("remote", "set-url", "origin", str(repo.path.parent / "nowhere.git"))
    res = sync(repo.path, _ledger(repo), timeout=10)
    assert res.offline and not res.pushed and res.message.startswith("offline: using local state from")


def test_the_ledger_ref_is_outside_every_branch(clones: list[GitRepo]) -> None:
    """The ledger is pushed to refs/deploystate/ledger, not to any branch."""
    repo = clones[0]
    _ledger(repo).append("note", {"x": 1})
    sync(repo.path, _ledger(repo))
    remote_refs = repo.git("ls-remote", "origin").stdout
    assert REF in remote_refs
    assert "ledger.jsonl" not in repo.git("ls-tree", "-r", "--name-only", "origin/main").stdout


def test_a_ledger_larger_than_the_output_cap_syncs_whole(clones: list[GitRepo]) -> None:
    """A ledger of several MB (beyond the subprocess output cap) arrives complete on the other clone."""
    a, b = clones[0], clones[1]
    led = _ledger(a)
    led.append_sealed([{"kind": "note", "author": {}, "commit": None, "payload": {"i": i, "pad": "x" * 600}}
                       for i in range(8000)], reseal=True)
    assert led.path.stat().st_size > 4 * 1024 * 1024
    assert sync(a.path, led).pushed
    res = sync(b.path, _ledger(b))
    assert res.fetched == 8000 and len(_ledger(b).read().records) == 8000
