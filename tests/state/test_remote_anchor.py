"""The team ledger's remote anchor on a real git remote: an edited or cut copy meets it at the next contact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from deploystate.state.tamper import anchor, remote_anchor
from deploystate.state.ledger import chain
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.git.sync_git import REF, check_remote, sync
from tests.fixtures.gitrepo import GitRepo


@pytest.fixture
def pair(tmp_path: Path, git_repo: GitRepo, git_remote: Path) -> tuple[GitRepo, GitRepo, Path]:
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "team"\n', "app.py": "print(1)\n"})
    git_repo.git("push", "-q", "origin", "main")
    out = []
    for name in ("a", "b"):
        subprocess.run(["git", "clone", "-q", str(git_remote), str(tmp_path / name)], check=True, timeout=60,
                       capture_output=True)
        out.append(GitRepo(tmp_path / name))
    return out[0], out[1], git_remote


def _ledger(repo: GitRepo) -> Ledger:
    return Ledger(repo.path / ".deploystate")


def _failed(repo: GitRepo) -> Ledger:
    led = _ledger(repo)
    led.append("deploy", {"service": "web", "commit": repo.head(), "status": "restarted"})
    led.append("verification", {"service": "web", "commit": repo.head(), "verdict": "fail", "summary": "500"})
    led.append("note", {"text": "after the failure"})
    assert sync(repo.path, led).pushed
    return led


def _rehash_to_pass(led: Ledger) -> None:
    """What a determined shell does: turn the fail into a pass, re-seal every later record, drop the anchor."""
    records = [json.loads(line) for line in led.path.read_text().splitlines()]
    at = next(i for i, r in enumerate(records) if r["payload"].get("verdict") == "fail")
    records[at]["payload"]["verdict"] = "pass"
    out = records[:at]
    for rec in records[at:]:
        out.append(chain.seal({**rec, "prev": out[-1]["hash"] if out else None}))
    led.path.write_text("".join(chain.canonical(r) + "\n" for r in out))
    anchor.path_of(led).unlink()
    assert led.verify().ok and not anchor.problems(led)  # locally, nothing can tell any more


def _findings(led: Ledger) -> list[str]:
    return remote_anchor.problems(anchor.read(led))


def test_the_ledger_commit_carries_its_anchor(pair) -> None:
    """The pushed ledger commit holds anchor.json: the record count and the digest of the team's records."""
    a, _, bare = pair
    led = _failed(a)
    shown = subprocess.run(["git", "--git-dir", str(bare), "show", f"{REF}:anchor.json"], capture_output=True,
                           text=True, check=True, timeout=30).stdout
    assert json.loads(shown) == remote_anchor.summary(led.read().records)
    assert json.loads(shown)["records"] == 3


def test_a_rehashed_copy_is_tampered_at_the_next_sync_and_never_pushed(pair) -> None:
    """Re-hashed after an edit with its local anchor deleted: sync calls it TAMPERED, keeps it, pushes nothing."""
    a, b, bare = pair
    led = _failed(a)
    before = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", REF], capture_output=True, text=True,
                            timeout=30).stdout
    _rehash_to_pass(led)
    res = sync(a.path, led)
    assert not res.pushed and len(res.diverged) == 2, res  # the edited verification and the note re-sealed after it
    assert any("TAMPERED" in p and "diverges from the remote anchor on origin" in p for p in res.problems)
    assert any("diverges from the remote anchor" in p for p in _findings(led))  # kept for offline decisions
    after = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", REF], capture_output=True, text=True,
                           timeout=30).stdout
    assert after == before  # the team's copy still holds the failure
    mate = _ledger(b)
    sync(b.path, mate)
    assert [r["payload"].get("verdict") for r in mate.read().records if r["kind"] == "verification"] == ["fail"]


def test_doctor_contact_finds_a_cut_tail_and_sync_restores_it(pair) -> None:
    """Tail cut and anchor deleted: the contact says shorter than the remote anchor; sync restores; the next clears."""
    a, _, _ = pair
    led = _failed(a)
    lines = led.path.read_text().splitlines(keepends=True)
    led.path.write_text("".join(lines[:1]))
    anchor.path_of(led).unlink()
    res = check_remote(a.path, led)
    assert any("shorter than the remote anchor on origin" in p and "2 records" in p for p in res.problems), res
    assert _findings(led) == res.problems
    assert len(led.read().records) == 1  # a check merges nothing
    synced = sync(a.path, led)
    assert synced.restored == 2 and not synced.problems
    assert [r["payload"].get("verdict") for r in led.read().records if r["kind"] == "verification"] == ["fail"]
    assert check_remote(a.path, led).problems == [] and _findings(led) == []


def test_a_teammates_new_records_are_not_tampering(pair) -> None:
    """Records the remote holds that this clone never had are only 'not here yet', never TAMPERED."""
    a, b, _ = pair
    _failed(a)
    res = check_remote(b.path, _ledger(b))
    assert res.problems == [] and "3 not here yet" in res.message, res


def test_an_unreachable_remote_keeps_the_last_finding(pair) -> None:
    """Offline, a contact neither clears nor invents a finding: the last one stands."""
    a, _, _ = pair
    led = _failed(a)
    _rehash_to_pass(led)
    assert check_remote(a.path, led).problems
    a.git("remote", "set-url", "origin", str(a.path.parent / "nowhere.git"))
    res = check_remote(a.path, led, timeout=10)
    assert res.offline and any("diverges" in p for p in _findings(led))


def test_moving_the_diverged_copy_aside_and_syncing_recovers(pair) -> None:
    """The documented recovery: move the ledger and its anchor aside, sync: the team's records, no finding."""
    a, _, _ = pair
    led = _failed(a)
    _rehash_to_pass(led)
    led.append("note", {"text": "written on the forged history"})  # a new local anchor now holds the forgery
    assert sync(a.path, led).problems
    led.path.rename(led.path.with_name("ledger.jsonl.diverged"))
    anchor.path_of(led).rename(anchor.path_of(led).with_name("anchor.json.diverged"))
    res = sync(a.path, led)
    assert not res.problems and _findings(led) == [] and not anchor.problems(led), res
    assert [r["payload"].get("verdict") for r in led.read().records if r["kind"] == "verification"] == ["fail"]


def test_integrity_names_the_remote_section_as_remote_anchor_does() -> None:
    """integrity imports remote_anchor only when the anchor holds its section, found by the same name."""
    from deploystate.state.tamper import integrity

    assert integrity.REMOTE_SECTION == remote_anchor.SECTION
