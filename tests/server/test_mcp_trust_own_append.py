"""The server's integrity answer moves across its own append without asking the full check again, and only
then: any other change since the verification (an edit, a cut, a spoiled claim) goes to ``integrity.check``."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from mcp.client import Client

from deploystate.server.mcp import trust
from deploystate.server.mcp.mcp_app import build_server
from deploystate.server.mcp.tool_errors import error_info
from deploystate.state.config.project import Project
from deploystate.state.tamper import integrity
from deploystate.state.ledger import ledger as ledger_mod
from deploystate.state.memory import memory
from tests.server.mcp_support import AUTHOR, project, run, verify  # noqa: F401 (fixture)


class _Ctx:
    """The part of a ToolContext that trust.problems uses."""

    def __init__(self, project) -> None:
        self.root = project.root

    def project(self):
        return Project.discover(self.root)  # as the server's, read again when deploystate.toml changes


@pytest.fixture
def checks(monkeypatch):
    """Every full integrity check asked, counted (the real one still answers)."""
    asked = []
    real = integrity.check

    def counted(project):
        asked.append(project)
        return real(project)
    monkeypatch.setattr(integrity, "check", counted)
    return asked


def _note(project) -> dict:
    return project.ledger.append("note", {"event": "bench"}, author=AUTHOR)


def _verified(project, checks) -> _Ctx:
    """A context whose ledger (one record, the anchor's config acknowledged) was verified; no check counted."""
    ctx = _Ctx(project)
    _note(project)
    trust.problems(ctx)  # first sight acknowledges the config in the anchor: that answer is not kept
    assert trust.problems(ctx) == []
    checks.clear()
    return ctx


def test_after_its_own_append_the_answer_moves_on_without_the_full_check(project, checks):
    """Verified once, then three appends by this process: still trusted, and the full check never asked again."""
    ctx = _verified(project, checks)
    for _ in range(3):
        _note(project)
        assert trust.problems(ctx) == []
    assert checks == []


def _reordered(claim: tuple, project) -> tuple:
    """The same record with its keys in another order: same length, same content, same hash, other bytes."""
    rec = json.loads(claim[4])
    return (*claim[:4], json.dumps(dict(reversed(rec.items())), separators=(",", ":")).encode() + b"\n")


def _edited_in_the_same_tick(claim: tuple, project) -> tuple:
    """The record edited on disk, and the claim made to agree with the file (as an edit within the clock
    tick of the write would look): only the record's own hash can tell."""
    path = project.ledger.path
    path.write_bytes(path.read_bytes().replace(b'"bench"', b'"bunch"'))
    return (*claim[:2], os.stat(path), claim[3], claim[4].replace(b'"bench"', b'"bunch"'))


def _later(st) -> SimpleNamespace:
    """``st`` one nanosecond later: same size and inode, another write."""
    return SimpleNamespace(st_size=st.st_size, st_mtime_ns=st.st_mtime_ns + 1, st_ino=st.st_ino,
                           st_ctime_ns=st.st_ctime_ns + 1)


SPOILS = {
    "the ledger's stat before": lambda c, p: (_later(c[0]), *c[1:]),
    "the anchor's stat before": lambda c, p: (c[0], _later(c[1]), *c[2:]),
    "the ledger's stat after": lambda c, p: (c[0], c[1], _later(c[2]), *c[3:]),
    "the anchor's stat after": lambda c, p: (*c[:3], _later(c[3]), c[4]),
    "the bytes written": lambda c, p: (*c[:4], c[4].replace(b'"bench"', b'"bunch"')),
    "one byte fewer": lambda c, p: (*c[:4], c[4][:-1]),
    "the same record in other bytes": _reordered,
    "an edit within the write's clock tick": _edited_in_the_same_tick,
}


@pytest.mark.parametrize("spoil", sorted(SPOILS))
def test_a_claim_that_does_not_match_the_files_goes_to_the_full_check(project, checks, spoil):
    """Each part of the recorded append spoilt in turn: the full check is asked (it alone decides)."""
    ctx = _verified(project, checks)
    _note(project)
    key = str(project.ledger.path)
    ledger_mod.APPENDED[key] = SPOILS[spoil](ledger_mod.APPENDED[key], project)
    found = trust.problems(ctx)
    assert len(checks) == 1
    assert found == [] if "tick" not in spoil else any("was changed after" in p for p in found), found


def test_a_verified_key_with_another_tail_goes_to_the_full_check(project, checks):
    """The append chains to the tail the answer was verified at, or the answer does not move."""
    ctx = _verified(project, checks)
    old, found = trust._LAST[id(ctx)]
    trust._LAST[id(ctx)] = ((*old[:10], "0" * 64), found)
    _note(project)
    assert trust.problems(ctx) == [] and len(checks) == 1


def test_the_tail_read_now_must_be_the_appended_one(project, checks):
    """The key read now naming another tail than the append's last record: not this process's append."""
    ctx = _verified(project, checks)
    old = trust._LAST[id(ctx)][0]
    _note(project)
    new = trust._key(Project.discover(project.root))
    assert trust._own_append(project.ledger, old, new)
    assert not trust._own_append(project.ledger, old, (*new[:10], "0" * 64))


@pytest.mark.parametrize("change", ["config", "archive"])
def test_a_config_or_archive_change_beside_the_append_goes_to_the_full_check(project, checks, change):
    """deploy_branches narrowed (or an archive appearing) after the check: the append does not carry it."""
    ctx = _verified(project, checks)
    if change == "config":
        project.config_path.write_text(project.config_path.read_text().replace(
            'name = "shop"', 'name = "shop"\ndeploy_branches = ["prod"]'))
    else:
        project.ledger.archive_path.write_text("")
    _note(project)
    found = trust.problems(ctx)
    assert len(checks) == 1
    assert change == "archive" or any("deploy_branches changed" in p for p in found), found


def test_an_edit_of_the_appended_record_is_caught(project, checks):
    """The record just appended edited in place (same length): the full check runs and names it."""
    ctx = _verified(project, checks)
    _note(project)
    path = project.ledger.path
    path.write_bytes(path.read_bytes().replace(b'"bench"', b'"bunch"'))
    found = trust.problems(ctx)
    assert len(checks) == 1 and any("was changed after it was written" in p for p in found), found


def test_a_cut_between_the_check_and_the_append_is_refused_next(git_repo, project, monkeypatch):
    """The tail cut while record_attempt runs (after its check, before its append): the next writer refuses."""
    head = git_repo.head()
    verify(project, "web", head, "fail", "health: HTTP 500")
    verify(project, "web", head, "pass", "health ok")
    real = memory._query

    def cut_then_query(*args, **kwargs):
        lines = project.ledger.path.read_text().splitlines(keepends=True)
        project.ledger.path.write_text("".join(lines[:-1]))
        return real(*args, **kwargs)

    async def body():
        async with Client(build_server(root=str(project.root))) as client:
            first = await client.call_tool("record_attempt", {"summary": "raise the limit", "outcome": "failed"})
            monkeypatch.setattr(memory, "_query", cut_then_query)
            second = await client.call_tool("record_attempt", {"summary": "lower the limit", "outcome": "failed"})
            monkeypatch.setattr(memory, "_query", real)
            third = await client.call_tool("record_attempt", {"summary": "restart it", "outcome": "tried"})
            return first, second, third
    first, second, third = run(body)
    assert not first.is_error and not second.is_error  # the cut came after the second call's own check
    assert third.is_error and error_info(third)["error_type"] == "LedgerTampered", third
