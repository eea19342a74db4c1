"""proc.run's git path (os.posix_spawnp, no subprocess import): the same answer subprocess gives.

Output, exit status, decoding and newline translation equal to ``subprocess.run(text=True,
errors="replace")`` in the same working directory; a timeout kills git's whole process group; a git
that is not on PATH is CommandNotFound; a working directory git cannot use takes the subprocess path.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from deploystate.state.errors import CommandNotFound, CommandTimeout
from deploystate.state.git import proc
from tests.fixtures.gitrepo import GitRepo

from .test_proc import _alive, _child_pid, _wait_gone, cleanup  # noqa: F401  (the fixture)


def _reference(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=60,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    return res.returncode, res.stdout, res.stderr


@pytest.mark.parametrize("args", [["rev-parse", "HEAD"], ["rev-parse", "--show-toplevel"], ["log", "--oneline"],
                                  ["diff", "--name-status", "-z", "-M", "HEAD~1", "HEAD"],
                                  ["diff", "--name-status", "-z", "--relative", "HEAD~1", "HEAD"],
                                  ["rev-parse", "--verify", "-q", "nope^{commit}"], ["no-such-subcommand"],
                                  ["cat-file", "-p", "HEAD:bin.dat"], ["show", "-s", "--format=%B", "HEAD"]])
def test_git_path_answers_as_subprocess_does(git_repo: GitRepo, args: list[str]) -> None:
    """Same exit status, stdout and stderr as subprocess text mode (CR, CRLF and bad UTF-8 included), in a
    sub-directory too (git -C stands for the working directory)."""
    git_repo.commit("one", {"sub/a.txt": "a\n", "bin.dat": "x"})
    (git_repo.path / "sub" / "we\rird.txt").write_text("w\n")
    (git_repo.path / "bin.dat").write_bytes(b"caf\xe9\r\nline\rend\n")
    git_repo.git("add", "-A")
    git_repo.git("commit", "-q", "-m", "two\r\n\nbody")
    for cwd in (git_repo.path, git_repo.path / "sub"):
        got = proc.run(["git", *args], cwd=cwd, timeout=60, max_output=None)
        assert (got.returncode, got.stdout, got.stderr) == _reference(["git", *args], cwd), (args, cwd)
        assert got.argv == ("git", *args)


def test_the_hooks_git_calls_do_not_import_subprocess(git_repo: GitRepo) -> None:
    """A fresh interpreter running a git command through proc.run never loads subprocess."""
    git_repo.commit("one", {"a": "1"})
    code = ("import sys; from deploystate.state.git.proc import run; r = run(['git', 'rev-parse', 'HEAD'], "
            "cwd=sys.argv[1], timeout=60); assert r.ok; print('subprocess' in sys.modules)")
    res = subprocess.run([os.sys.executable, "-I", "-c", code, str(git_repo.path)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "False", res.stderr


def test_git_timeout_kills_its_process_group(tmp_path: Path, monkeypatch, cleanup: list[int]) -> None:  # noqa: F811
    """A git that hangs (here a stand-in on PATH that backgrounds a child) is CommandTimeout, its group killed."""
    fake = tmp_path / "bin"
    fake.mkdir()
    pid_file = tmp_path / "child.pid"
    (fake / "git").write_text(f'#!/bin/sh\nsleep 300 & echo $! > "{pid_file}"\nsleep 300\n')
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(CommandTimeout):
        proc.run(["git", "status"], cwd=tmp_path, timeout=1.0)
    pid = _child_pid(pid_file)
    cleanup.append(pid)
    assert _wait_gone(pid), f"git's background child {pid} still runs after the timeout"


def test_git_missing_from_path_is_command_not_found(tmp_path: Path, monkeypatch) -> None:
    """No git on PATH: CommandNotFound, as through subprocess."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandNotFound):
        proc.run(["git", "status"], cwd=tmp_path, timeout=10)


def test_a_missing_working_directory_is_what_subprocess_says(tmp_path: Path) -> None:
    """A cwd that is not there takes the subprocess path: the same error as before this path existed."""
    with pytest.raises(CommandNotFound):
        proc.run(["git", "status"], cwd=tmp_path / "gone", timeout=10)
