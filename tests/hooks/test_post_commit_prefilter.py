"""The post-commit shim's fast path: Python starts only when the commit touched a configured path.

Real commits in a real repository, through the installed shims, with the hooks' Python replaced by a
wrapper that logs each start: a commit touching no service's path prints nothing and starts no Python; one
touching any service (or an all_services rule) gets Python's message; a missing, stale, forged or unusable
matcher, a quoted path and the first commit all go to Python as before. The glob-to-ERE translation is
checked against compile_glob on generated globs and paths with the real grep.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from deploystate.hooks.git import install, pathfilter
from deploystate.hooks.git.postcommit import given_changes
from deploystate.state.config.globs import GlobError, compile_glob

CONFIG = """\
[project]
name = "shop"

[services.api]
platform = "command"
restart_cmd = ["true"]
paths = ["api/**"]

[services.worker]
platform = "command"
restart_cmd = ["true"]
paths = ["worker/", "*.sql"]

[services.web]
platform = "command"
restart_cmd = ["true"]
paths = ["web/[a-c]?.js", "web/**/static/*.css"]

[[all_services]]
paths = ["shared/**"]
reason = "shared code"
"""
SERVICES = ("api", "web", "worker")


class Logged:
    """The repository with the shims calling a Python wrapper that appends its arguments to a log."""

    def __init__(self, shop, tmp_path: Path) -> None:
        self.shop, self.log = shop, tmp_path / "python-starts.log"
        wrapper = tmp_path / "python-wrapper"
        wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{self.log}"\nexec "{sys.executable}" "$@"\n')
        wrapper.chmod(0o755)
        shop.repo.write("deploystate.toml", CONFIG)
        shop.repo.commit("config")
        shop.deploy("api")  # the state exists in the git dir (the matcher is only written beside it)
        install.install(shop.path, python=str(wrapper))

    def commit(self, rel: str, text: str = "#\n", message: str = "change") -> tuple[str, list[str]]:
        """Commit ``rel`` through the hooks: (stderr, the post-commit Python starts it caused)."""
        self.log.unlink(missing_ok=True)
        path = self.shop.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((path.read_text() if path.exists() else "") + text)
        self.shop.git("add", "-A")
        res = self.shop.git("commit", "-q", "-m", message)
        assert res.returncode == 0, res.stderr
        starts = self.log.read_text().splitlines() if self.log.exists() else []
        return res.stderr, [s for s in starts if s.startswith("-I -m deploystate.hooks post-commit")]

    @property
    def matcher(self) -> Path:
        return pathfilter.location(self.shop.path)


@pytest.fixture
def logged(shop, tmp_path: Path) -> Logged:
    repo = Logged(shop, tmp_path)
    repo.commit("docs/readme.md")  # the first commit through the hook writes the matcher
    assert repo.matcher.is_file()
    return repo


def test_an_untouched_commit_prints_nothing_and_starts_no_python(logged: Logged) -> None:
    """A commit touching only unowned files: no message and no Python process at all."""
    err, starts = logged.commit("docs/readme.md")
    assert err == "" and starts == []
    err, starts = logged.commit("notes/plan.txt")
    assert err == "" and starts == []


@pytest.mark.parametrize("rel,names", [
    ("api/app.py", ["api"]), ("api/deep/x/y.txt", ["api"]), ("worker/tasks.py", ["worker"]),
    ("db/schema.sql", ["worker"]), ("schema.sql", ["worker"]), ("web/b1.js", ["web"]),
    ("web/x/static/site.css", ["web"]), ("web/static/site.css", ["web"]), ("shared/util.py", list(SERVICES))])
def test_a_commit_touching_a_service_gets_pythons_message(logged: Logged, rel: str, names: list[str]) -> None:
    """Every service's globs (and the all_services rule) reach Python, which names exactly those services."""
    err, starts = logged.commit(rel)
    assert starts == [f"-I -m deploystate.hooks post-commit {pathfilter.STDIN_FLAG}"]
    assert "Committed is not running" in err and f"changed: {rel}" in err
    assert f"deploystate restart {' '.join(names)}" in err


def test_a_rename_out_of_a_service_is_a_touch(logged: Logged) -> None:
    """Moving a file out of api/ touches api (git diff -M lists both sides)."""
    logged.shop.git("mv", "api/app.py", "docs/app.py")
    res = logged.shop.git("commit", "-q", "-m", "move")
    assert "api:" in res.stderr and "deploystate restart api" in res.stderr


def test_near_misses_of_the_globs_start_no_python(logged: Logged) -> None:
    """Paths beside the globs (web/d1.js, web/ab1.js, apix/, sql.txt) are not touches."""
    for rel in ("web/d1.js", "web/ab1.js", "apix/a.py", "docs/sql.txt", "web/static/x/site.css"):
        err, starts = logged.commit(rel)
        assert (err, starts) == ("", []), rel


def test_a_changed_config_is_judged_by_python_and_the_matcher_rewritten(logged: Logged) -> None:
    """A config edit (a new service for docs/) makes the old matcher stale: Python runs, names docs, and
    rewrites the matcher, after which docs/ changes go to Python through the fast path too."""
    config = logged.shop.path / "deploystate.toml"
    config.write_text(CONFIG + '\n[services.docs]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["docs/**"]\n')
    err, starts = logged.commit("docs/readme.md")
    assert starts == ["-I -m deploystate.hooks post-commit"] and "deploystate restart docs" in err
    assert logged.matcher.read_text().splitlines()[0] == pathfilter.HEADER + pathfilter.cksum(config.read_bytes())
    err, starts = logged.commit("docs/readme.md")
    assert starts == [f"-I -m deploystate.hooks post-commit {pathfilter.STDIN_FLAG}"] and "docs:" in err


@pytest.mark.parametrize("forge", ["missing", "other key", "bad regex", "no newline"])
def test_a_missing_or_forged_matcher_goes_to_python(logged: Logged, forge: str) -> None:
    """No matcher, one keyed to other content, one grep cannot read: Python runs (and writes a good one)."""
    good = logged.matcher.read_text()
    header = good.splitlines()[0]
    logged.matcher.unlink()
    if forge == "other key":
        logged.matcher.write_text(header.replace(" v1 ", " v1 1") + "\nnothing-matches-this\n")
    elif forge == "bad regex":
        logged.matcher.write_text(header + "\n(\n")
    elif forge == "no newline":
        logged.matcher.write_text(header)
    err, starts = logged.commit("notes/plan.txt")
    assert starts == ["-I -m deploystate.hooks post-commit"] and err == ""
    assert logged.matcher.read_text() == good
    err, starts = logged.commit("api/app.py")
    assert starts and "deploystate restart api" in err


def test_a_quoted_path_goes_to_python(logged: Logged) -> None:
    """A path git quotes (non-ASCII) is Python's to judge, inside a service or not."""
    err, starts = logged.commit("api/café.py")
    assert starts and "deploystate restart api" in err
    err, starts = logged.commit("notes/café.txt")
    assert starts and err == ""


def test_the_first_commit_goes_to_python(logged: Logged) -> None:
    """No HEAD~1 (an orphan branch's first commit): the shim cannot diff, Python does (from the empty tree)."""
    logged.shop.git("checkout", "-q", "--orphan", "fresh")
    err, starts = logged.commit("api/app.py")
    assert starts == ["-I -m deploystate.hooks post-commit"] and "deploystate restart" in err


def test_a_project_in_a_subdirectory_uses_its_own_matcher(shop, tmp_path: Path) -> None:
    """A monorepo project (svc/deploystate.toml, installed for that root): the matcher sits in
    projects/svc, and an untouched commit starts no Python while a touched one is named."""
    sub = shop.path / "svc"
    shop.repo.write("svc/deploystate.toml", CONFIG)
    shop.repo.write("svc/api/app.py", "x\n")
    shop.repo.commit("svc")
    wrapper = tmp_path / "py"
    log = tmp_path / "log"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    install.install(shop.path, python=str(wrapper), project_root=sub)
    from deploystate.state.config.project import Project
    from deploystate.state.ledger.store import record
    record(Project.discover(sub), "deploy", {"service": "api", "commit": shop.repo.head(), "strategy": "recreate",
                                             "platform": "command", "status": "restarted"}, commit=shop.repo.head(),
           author={"kind": "human", "name": "t", "client": None, "session": None})
    for text in ("one", "two"):  # the first commit through the hook writes the matcher
        log.unlink(missing_ok=True)
        shop.repo.write("svc/notes.txt", text)
        shop.git("add", "-A")
        res = shop.git("commit", "-q", "-m", "notes")
    assert res.stderr == "" and "post-commit" not in (log.read_text() if log.exists() else "")
    assert pathfilter.location(sub) == shop.path / ".git/deploystate/projects/svc/cache" / pathfilter.FILE
    shop.repo.write("svc/api/app.py", "y\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-q", "-m", "api")
    assert "deploystate restart api" in res.stderr


def test_the_cksum_is_the_cksum_tools() -> None:
    """pathfilter.cksum prints what POSIX cksum prints, for empty, short and long inputs."""
    for data in (b"", b"a", b"[project]\nname = 'x'\n", os.urandom(70000)):
        out = subprocess.run(["cksum"], input=data, capture_output=True, timeout=30, check=True).stdout
        assert pathfilter.cksum(data) == out.decode().strip()


def test_the_shims_diff_lines_parse_as_pythons_do() -> None:
    """Plain name-status lines become Changes (renames with both sides); anything quoted or odd is refused."""
    changes = given_changes("M\tapi/app.py\nR087\tapi/old.py\tdocs/new.py\nA\tweb/x y.js\n")
    assert [(c.path, c.status, c.old_path) for c in changes] == [
        ("api/app.py", "M", None), ("docs/new.py", "R", "api/old.py"), ("web/x y.js", "A", None)]
    for odd in ('M\t"api/caf\\303\\251.py"\n', "M\tapi/café.py\n", "M\n", "M\ta\tb\tc\n", "\tapi/x\n", "M\ta\x1b\n"):
        assert given_changes(odd) is None, odd


SEGMENTS = ["a", "b", "ab", ".", "..", "x.y", "*", "**", "?", "[ab]", "[!a]", "[]a]", "[a-c]", "[!a-b]", "[0-9x]",
            "[a-]", "[!]", "[A-z]", "a*", "*b", "-", "+", "(",
            ")", "{", "}", "|", "^", "$", "\\", "#", " ", "ä"]
PATH_PARTS = ["a", "b", "c", "d", "0", "7", "Z", "_", "ab", "ba", ".", "x.y", "xy", "-", "+", "(", ")", "{", "}", "|",
              "^", "$", "#", " ", "aa", "]", "!"]


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(lambda p: "/".join(p)),
       st.sampled_from(["", "./", "/"]), st.sampled_from(["", "/"]),
       st.lists(st.lists(st.sampled_from(PATH_PARTS), min_size=1, max_size=4).map(lambda p: "/".join(p)),
                min_size=1, max_size=25))
def test_every_path_a_glob_matches_is_a_line_its_ere_matches(tmp_path: Path, body: str, lead: str, tail: str,
                                                             paths: list[str]) -> None:
    """For generated globs and paths, each path compile_glob matches is matched by the glob's line ERE
    under the real grep (the translation may be broader, never narrower)."""
    glob = lead + body + tail
    try:
        rx = compile_glob(glob)
    except GlobError:
        return
    ere = tmp_path / "ere"
    ere.write_text(pathfilter.line_ere(glob) + "\n", encoding="utf-8")
    lines = [f"M\t{p}" for p in paths]
    res = subprocess.run(["grep", "-E", "-f", str(ere)], input=("\n".join(lines) + "\n").encode(), capture_output=True,
                         timeout=30, env={**os.environ, "LC_ALL": "C"})
    assert res.returncode in (0, 1), res.stderr
    grepped = set(res.stdout.decode().splitlines())
    missed = [p for p in paths if rx.match(p) and f"M\t{p}" not in grepped]
    assert missed == [], (glob, pathfilter.line_ere(glob))


def test_a_linked_worktree_goes_to_python(logged: Logged, tmp_path: Path) -> None:
    """In a linked worktree (git sets GIT_DIR, .git is a file) the shim does not look for the matcher."""
    other = tmp_path / "other"
    logged.shop.git("worktree", "add", "-q", "-b", "side", str(other))
    logged.log.unlink(missing_ok=True)
    (other / "notes.txt").write_text("x\n")
    logged.shop.git("-C", str(other), "add", "-A")
    res = logged.shop.git("-C", str(other), "commit", "-q", "-m", "notes")
    assert res.returncode == 0 and res.stderr == ""
    assert "-I -m deploystate.hooks post-commit" in logged.log.read_text().splitlines()
