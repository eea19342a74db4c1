"""What one push decision does no more than once: resolve a directory, parse deploystate.toml, build tables."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter

import pytest

from deploystate import ospath
from deploystate.hooks.git import gitpush
from deploystate.hooks.settings import find

from .conftest import AGENT, regular_site_dir


def _allowed(shop) -> str:
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    head = shop.repo.head()
    return f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"


def _push_in_process(shop, monkeypatch, refs: str, capsys) -> int:
    monkeypatch.chdir(shop.path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(refs))
    rc = gitpush.run("pre-push", ["origin", "url"])
    assert "allowed" in capsys.readouterr().err, "the push must be allowed for this test to measure the allow path"
    return rc


@pytest.fixture
def counted_realpath(monkeypatch):
    calls: Counter[str] = Counter()
    real = os.path.realpath

    def counting(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        calls[os.fspath(path)] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", counting)
    return calls


def test_a_hook_process_resolves_each_directory_once(shop, monkeypatch, capsys, counted_realpath):
    """With the hook entry point's memo on, an allowed push resolves each absolute directory once."""
    refs = _allowed(shop)
    counted_realpath.clear()  # the records written above are the setup, not the decision
    monkeypatch.setattr(ospath, "_RESOLVED", None)
    ospath.remember_resolved()
    assert _push_in_process(shop, monkeypatch, refs, capsys) == 0
    absolute = {p: n for p, n in counted_realpath.items() if p.startswith("/")}
    assert absolute, "the decision must have resolved its directories for this test to mean anything"
    assert {p: n for p, n in absolute.items() if n > 1} == {}


def test_without_the_memo_every_resolve_is_asked_again(tmp_path, monkeypatch):
    """Outside a hook process (the MCP server lives on) resolve answers for the link as it is now."""
    monkeypatch.setattr(ospath, "_RESOLVED", None)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "a")
    assert ospath.resolve(str(link)) == str(tmp_path / "a")
    link.unlink()
    link.symlink_to(tmp_path / "b")
    assert ospath.resolve(str(link)) == str(tmp_path / "b")


def test_the_memo_keeps_relative_paths_out(tmp_path, monkeypatch):
    """A relative path is resolved against the working directory of the moment, memo or not."""
    monkeypatch.setattr(ospath, "_RESOLVED", None)
    ospath.remember_resolved()
    for sub in ("one", "two"):
        (tmp_path / sub).mkdir()
        monkeypatch.chdir(tmp_path / sub)
        assert ospath.resolve("x") == str(tmp_path / sub / "x")


def test_an_allowed_push_parses_deploystate_toml_once(shop, monkeypatch, capsys):
    """The hook's settings and the snapshot it judges share one parse of deploystate.toml."""
    from deploystate import tomlsubset
    from deploystate.state.config import project

    refs = _allowed(shop)
    parsed: list[str] = []
    real = tomlsubset.loads

    def counting(text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        parsed.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(tomlsubset, "loads", counting)
    monkeypatch.setattr(project, "toml_loads", counting)
    assert _push_in_process(shop, monkeypatch, refs, capsys) == 0
    assert len(parsed) == 1


def test_the_snapshot_from_the_hooks_parse_is_the_discovered_one(shop):
    """take(root, raw) judges the same project Project.discover finds (same root, same config)."""
    from deploystate.hooks import snapshot

    settings = find(str(shop.path))
    given = snapshot.take(settings.root_dir, settings.raw())
    found = snapshot.take(settings.root_dir)
    assert given.project == found.project and given.state == found.state


# Run in a fresh interpreter as a regular install's shim runs the hook (main() reads sys.argv, as the process's
# entry): after an allowed push, how many of ids' digit pairs exist (an allowed push mints no id, so none need
# be built), and whether the entry point turned the resolve memo on. (An atexit callback makes the entry's
# end_process return instead of exiting, so the probe can look afterwards.)
PAIRS_PROBE = """
import atexit, sys
site, stdin = sys.argv.pop(1), sys.argv.pop(1)
sys.path.append(site)
sys.stdin = open(stdin, encoding="utf-8")
atexit.register(int)
from deploystate.hooks.__main__ import main
rc = main()
ids = sys.modules.get("deploystate.state.ledger.ids")
from deploystate import ospath
print(rc, -1 if ids is None else len(ids._PAIRS), ospath._RESOLVED is not None)
"""


def test_an_allowed_push_builds_no_id_digit_pairs(shop, tmp_path):
    """The 1024 digit pairs ids are minted with are built on the first id, which an allowed push never mints;
    the hook's entry point remembers resolved directories."""
    refs = tmp_path / "refs.txt"
    refs.write_text(_allowed(shop), encoding="utf-8")
    site = regular_site_dir(tmp_path)
    res = subprocess.run([sys.executable, "-I", "-S", "-c", PAIRS_PROBE, str(site), str(refs), "pre-push", "origin",
                          "url"], cwd=shop.path, capture_output=True, text=True, timeout=60)
    rc, pairs, remembered = res.stdout.split()
    # (-1: ids is not even imported, its config setting no duration: tests/hooks/test_pre_push_modules.py)
    assert (rc, remembered) == ("0", "True") and pairs in ("-1", "0"), res.stderr


def test_ids_still_mint_from_the_pairs_once_built():
    """The first id builds the pairs; ids minted after are the same Crockford digits as before."""
    code = ("from deploystate.state.ledger import ids\n"
            "assert ids._PAIRS == []\n"
            "a = ids.new_id(1_700_000_000_000_000_000)\n"
            "assert len(ids._PAIRS) == 1024 and ids._PAIRS[33] == '11' and ids._PAIRS[1023] == 'zz'\n"
            "assert ids._b32(1023, 2) == 'zz' and ids._b32(32, 2) == '10' and ids._b32(5, 3) == '005'\n"
            "print(a[:10])\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "01hf7yat00"


def test_the_verdict_at_head_is_the_rules_own(shop):
    """snapshot's answer for a pass at HEAD's own id is what headcode's Judge answers, word for word."""
    from deploystate.hooks import snapshot
    from deploystate.state.drift import headcode
    from deploystate.state.view import cache

    _allowed(shop)
    project = shop.project
    state = cache.load(project.ledger).state
    assert snapshot.RUNS_HEAD == headcode.RUNS_HEAD
    judge = headcode.Judge.for_project(project)
    for name in ("api", "worker"):
        assert snapshot.verified_code(project, state)[name] == judge.judge(name, shop.repo.head()).as_dict()
    upper = {**state, "services": {n: {**s, "verification": {**s["verification"],
                                                              "commit": s["verification"]["commit"].upper()}}
                                   for n, s in state["services"].items()}}
    assert snapshot.verified_code(project, upper)["api"] == judge.judge("api", shop.repo.head().upper()).as_dict()


def test_a_pass_before_head_is_judged_by_the_rule(shop):
    """A pass at an older commit is not HEAD's id: the rule diffs it (api's files changed: not HEAD's code)."""
    from deploystate.hooks import snapshot
    from deploystate.state.view import cache

    _allowed(shop)
    shop.change("api/app.py", "print('v2')\n")
    verdicts = snapshot.verified_code(shop.project, cache.load(shop.project.ledger).state)
    assert verdicts["api"]["status"] == "not_head" and verdicts["worker"]["status"] == "runs_head"


def _real_push(shop, tmp_path, site, refs: str) -> subprocess.CompletedProcess[str]:
    """The pre-push hook as a regular install's shim runs it (main() as the process's entry), under -v so the
    interpreter's teardown, when it runs, prints "# cleanup"."""
    stdin = tmp_path / "refs.txt"
    stdin.write_text(refs, encoding="utf-8")
    code = ("import sys\nsys.path.append(sys.argv.pop(1))\nsys.stdin = open(sys.argv.pop(1), encoding='utf-8')\n"
            "from deploystate.hooks.__main__ import main\nmain()\n")
    return subprocess.run([sys.executable, "-I", "-S", "-v", "-c", code, str(site), str(stdin), "pre-push", "origin",
                           "url"], cwd=shop.path, capture_output=True, text=True, timeout=60)


def test_real_push_decisions_leave_no_file_open_for_writing(shop, tmp_path):
    """An allowed and a refused push both end through end_process's fast exit: every file the decision wrote
    is closed by then (a writer left open would make end_process fall back to the teardown, and this fails)."""
    shop.deploy("api", author=AGENT)  # deployed, never verified: the push is refused
    site = regular_site_dir(tmp_path)
    refused = _real_push(shop, tmp_path, site, f"refs/heads/main {shop.repo.head()} refs/heads/main {'0' * 40}\n")
    assert refused.returncode == 1 and "# cleanup" not in refused.stderr, refused.stderr[-2000:]
    allowed = _real_push(shop, tmp_path, site, _allowed(shop))
    assert allowed.returncode == 0 and "# cleanup" not in allowed.stderr, allowed.stderr[-2000:]
