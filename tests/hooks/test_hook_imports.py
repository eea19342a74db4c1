"""The hook path stays light: no heavy libraries, and the common cases do not even load the state package."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import AGENT, regular_site_dir

FORBIDDEN = ("pydantic", "git", "mcp", "boto3", "botocore", "kubernetes", "docker", "deploystate.state.config.config",
             "deploystate.state.config.checks", "deploystate.platforms", "deploystate.verify", "deploystate.server")

# The hook's process as a regular install's shim starts it (-I -S, its site-packages appended; here a
# site-packages laid out as `pip install .` does, so neither site, the editable finder nor coverage loads
# anything first); the probe itself imports nothing, and writes the modules loaded when the hook returns.
PROBE = """
import sys
site, stdin, out = sys.argv.pop(1), sys.argv.pop(1), sys.argv.pop(1)
sys.path.append(site)
sys.stdin = open(stdin, encoding="utf-8")
from deploystate.hooks.__main__ import main
rc = main(sys.argv[1:])
with open(out, "w", encoding="utf-8") as fh:
    fh.write("\\n".join([str(rc), *sorted(sys.modules)]))
"""


def _modules(shop, tmp_path, args: list[str], stdin: str = "") -> tuple[int, list[str]]:
    out, given = tmp_path / "modules.txt", tmp_path / "stdin.txt"
    given.write_text(stdin, encoding="utf-8")
    site = tmp_path / "site-packages"
    if not site.is_dir():
        regular_site_dir(tmp_path)
    res = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(site), str(given), str(out), *args],
                         cwd=shop.path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    rc, *modules = out.read_text(encoding="utf-8").split("\n")
    return int(rc), modules


def _assert_light(modules: list[str]) -> None:
    heavy = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert heavy == []


def _refs(shop, branch: str) -> str:
    head = shop.repo.head()
    return f"refs/heads/{branch} {head} refs/heads/{branch} {'0' * 40}\n"


@pytest.fixture
def unverified(shop):
    shop.deploy("api", author=AGENT)
    return shop


def test_commit_msg_fast_path_loads_no_state(unverified, tmp_path):
    """A message that claims nothing is judged without importing deploystate.state at all."""
    msg = tmp_path / "MSG"
    msg.write_text("Refactor the cart\n")
    rc, modules = _modules(unverified, tmp_path, ["commit-msg", str(msg)])
    assert rc == 0
    _assert_light(modules)
    assert not [m for m in modules if m.startswith("deploystate.state")]
    assert "tomllib" not in modules  # the default patterns need no TOML parse


def test_commit_msg_claim_path_is_light(unverified, tmp_path):
    """A claim loads the projection, still without heavy libraries."""
    msg = tmp_path / "MSG"
    msg.write_text("api deployed\n")
    rc, modules = _modules(unverified, tmp_path, ["commit-msg", str(msg)])
    assert rc == 1
    _assert_light(modules)


def test_pre_push_paths_are_light(unverified, tmp_path):
    """pre-push to a feature branch loads no state; to main it judges the state, without heavy libraries."""
    rc, modules = _modules(unverified, tmp_path, ["pre-push", "origin", "url"], _refs(unverified, "feature"))
    assert rc == 0 and not [m for m in modules if m.startswith("deploystate.state")]
    rc, modules = _modules(unverified, tmp_path, ["pre-push", "origin", "url"], _refs(unverified, "main"))
    assert rc == 1
    _assert_light(modules)


def test_post_hooks_are_light(unverified, tmp_path):
    """post-commit and post-merge stay light."""
    unverified.change("api/app.py", "print(2)\n")
    for hook in ("post-commit", "post-merge"):
        rc, modules = _modules(unverified, tmp_path, [hook] + (["0"] if hook == "post-merge" else []))
        assert rc == 0
        _assert_light(modules)


@pytest.mark.parametrize("event,payload", [
    ("session-start", {"session_id": "sess-1", "source": "startup"}),
    ("stop", {"session_id": "sess-1", "stop_hook_active": False, "last_assistant_message": "deployed"}),
    ("pre-tool", {"session_id": "sess-1", "tool_name": "Bash", "tool_input": {"command": "git push origin main"}}),
])
def test_agent_hooks_are_light(unverified, tmp_path, event, payload):
    """Every agent hook event runs without heavy libraries."""
    rc, modules = _modules(unverified, tmp_path, ["agent", "claude", event],
                           json.dumps({**payload, "cwd": str(unverified.path)}))
    assert rc == 0
    _assert_light(modules)


# What a warm, allowed decision does not need: tomllib (deploystate.tomlsubset reads the config), hashlib's
# OpenSSL (the cache digest uses the small sha256 module), typing and datetime (annotations and time
# arithmetic only), json (deploystate.jsonlite reads), contextlib and threading (the locks are
# state/ledger/flock.py and _thread's), runpy and importlib.util (a regular install's shim runs -c, not -m),
# the renderer and tomllines (messages only). Each costs every push; refusal and cold paths may load them.
STARTUP_HEAVY = ("tomllib", "hashlib", "_hashlib", "typing", "datetime", "contextlib", "threading", "runpy", "json",
                 "importlib.util", "deploystate.state.view.render", "deploystate.state.config.tomllines")


# What the allowed pre-push decision runs without: pathlib and what it pulls in (its paths are str, through
# deploystate.ospath: ~48M instructions of a `python -I -S` hook, more than the interpreter's own start),
# re (the config's globs and regexes are checked without it where that is exact), functools, importlib and
# warnings (the hook module is found with __import__), zlib (only a full read decompresses a segment).
PATHLIB_AND_CO = ("pathlib", "re", "enum", "functools", "collections", "fnmatch", "urllib", "ipaddress", "ntpath",
                  "importlib", "warnings", "zlib", "operator", "keyword", "reprlib", "copyreg")


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_an_allowed_push_imports_neither_pathlib_nor_re(shop, tmp_path):
    """pre-push to main, warm and allowed (HEAD the verified commit), decides on os.path strings: no
    pathlib, re, enum, functools, collections, importlib, zlib or anything they pull in."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.hooks.snapshot" in modules  # it did judge the state, and allowed the push
    assert _loaded(modules, PATHLIB_AND_CO) == []


def test_a_push_to_a_feature_branch_imports_no_pathlib(unverified, tmp_path):
    """pre-push to a feature branch (routing only) loads none of pathlib, re or what they pull in."""
    rc, modules = _modules(unverified, tmp_path, ["pre-push", "origin", "url"], _refs(unverified, "feature"))
    assert rc == 0
    assert _loaded(modules, PATHLIB_AND_CO) == []


def test_judged_push_and_pre_tool_push_load_no_startup_heavy_module(shop, tmp_path):
    """pre-push to main and the pre-tool hook judging `git push origin main` decide without tomllib,
    hashlib, typing or datetime when the state is warm and the push is allowed."""
    shop.deploy("api", author=AGENT)
    shop.verify("api", "pass")
    shop.deploy("worker", author=AGENT)
    shop.verify("worker", "pass")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0, "the push must be allowed for this test to measure the allow path"
    assert [m for m in STARTUP_HEAVY if m in modules] == []
    payload = {"session_id": "s", "cwd": str(shop.path), "tool_name": "Bash",
               "tool_input": {"command": "git push origin main"}}
    rc, modules = _modules(shop, tmp_path, ["agent", "claude", "pre-tool"], json.dumps(payload))
    assert rc == 0 and "deploystate.hooks.snapshot" in modules  # it did judge the state
    assert [m for m in STARTUP_HEAVY if m in modules] == []


def test_a_push_after_head_moved_on_runs_its_diff_without_subprocess(shop, tmp_path):
    """HEAD one docs commit past the verified one: the one rule's git diff runs (proc's git path), and the
    allowed push loads neither subprocess nor the other start-up-heavy modules, nor re to match its globs."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    shop.change("docs/readme.md", "more docs\n")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.state.git.gitinfo" in modules  # the diff was run, and allowed the push
    assert [m for m in (*STARTUP_HEAVY, "subprocess") if m in modules] == []
    # the changed files are matched against the services' class-free globs by globs.Plain: no re, enum...
    assert "deploystate.state.config.mapping" in modules and _loaded(modules, PATHLIB_AND_CO) == []


def test_a_judged_push_on_a_sealed_ledger_loads_no_startup_heavy_module(shop, tmp_path, monkeypatch):
    """Once appends have sealed closed segments (their sidecars are read and digested on every decision),
    the allowed push still decides without json, hashlib or the other start-up-heavy modules (the
    unsealed case above never reaches the segments' code)."""
    from deploystate.state.ledger import segments

    monkeypatch.setattr(segments, "RECORDS", 8)  # sealing by this process's appends: 8-record segments
    monkeypatch.setattr(segments, "MARGIN", 2)
    ledger = shop.project.ledger
    for i in range(24):
        ledger.append("note", {"text": f"note {i}"})
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    assert segments.count(ledger) >= 2, "the appends must have sealed segments for this test to mean anything"
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0, "the push must be allowed for this test to measure the allow path"
    assert "deploystate.state.ledger.segments" in modules  # the sidecars were read and digested
    assert [m for m in STARTUP_HEAVY if m in modules] == []
    assert _loaded(modules, PATHLIB_AND_CO) == []  # nor zlib: the sidecars decide, nothing is decompressed


# What a warm allowed push reads instead: the hooks' part of the projection cache (hooks.snapshot.load_part, not
# the cache module and its 47 kB at 100k records), no observations module when nothing was ever observed, and
# for passes at HEAD's own id not the rule's module (snapshot.verified_code answers as it does) nor plain.
PART_INSTEAD = ("deploystate.state.view.cache", "deploystate.state.drift.observations",
                "deploystate.state.drift.headcode", "deploystate.state.plain")


def test_a_warm_allowed_push_reads_the_cache_part_and_no_observations(shop, tmp_path):
    """pre-push to main and the pre-tool hook judging `git push origin main`, warm and allowed, decide from
    the cache's hook part without importing the cache module, nor observations with nothing observed, nor
    the rule's module for passes at HEAD."""
    for name in ("api", "worker"):
        shop.deploy(name, author=AGENT)
        shop.verify(name, "pass")
    rc, modules = _modules(shop, tmp_path, ["pre-push", "origin", "url"], _refs(shop, "main"))
    assert rc == 0 and "deploystate.hooks.snapshot" in modules  # it did judge the state, and allowed the push
    assert [m for m in PART_INSTEAD if m in modules] == []
    payload = {"session_id": "s", "cwd": str(shop.path), "tool_name": "Bash",
               "tool_input": {"command": "git push origin main"}}
    rc, modules = _modules(shop, tmp_path, ["agent", "claude", "pre-tool"], json.dumps(payload))
    assert rc == 0 and "deploystate.hooks.snapshot" in modules
    assert [m for m in PART_INSTEAD if m in modules] == []
