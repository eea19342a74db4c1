"""The remote anchor through the real CLI and hooks: a copy re-hashed with its local anchor deleted is TAMPERED."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deploystate.state.tamper import anchor
from tests.fixtures.gitrepo import GIT_ENV

from .conftest import CONFIG
from .test_blast_radius import assert_remembers_failure, claim, cli, failed_api, push_new_commit, rehash_chain

TEAM = CONFIG.replace('doom_loop_after = 3\n', 'doom_loop_after = 3\nbackend = "git"\n')
SYNC_BEFORE = TEAM + '\n[project.hooks]\nsync_before = true\nsync_timeout = "20s"\n'


def _team(shop, config: str = TEAM) -> None:
    shop.change("deploystate.toml", config, "team ledger")
    assert shop.git("push", "-q", "--no-verify", "origin", "main").returncode == 0
    failed_api(shop)
    shop.record("note", {"text": "after the failure"})
    res = cli(shop.path, "sync")
    assert res.returncode == 0, res.stdout + res.stderr


def _forge(shop) -> None:
    """Turn the failure into a pass, re-seal the chain, and delete everything local that remembers."""
    rehash_chain(shop)
    led = shop.project.ledger
    anchor.path_of(led).unlink()
    (led.anchor_dir / "chain.verified.json").unlink(missing_ok=True)
    assert cli(shop.path, "state", "--json").returncode == 0  # locally the forged pass now reads as history


def _refused_everywhere(shop) -> None:
    msg = claim(shop)
    assert msg.returncode != 0 and "refusing this commit message" in msg.stderr, msg.stderr
    push = push_new_commit(shop.path)
    assert push.returncode != 0 and "diverges from the remote anchor" in push.stderr, push.stderr
    mark = cli(shop.path, "mark-deployed", "api")
    assert mark.returncode != 0 and "TAMPERED" in mark.stderr, mark.stderr


def test_doctor_meets_the_remote_and_every_decision_then_refuses(shop):
    """doctor compares with the team's copy; its finding makes commit-msg, pre-push and mark-deployed refuse."""
    _team(shop)
    _forge(shop)
    doctor = cli(shop.path, "doctor")
    assert doctor.returncode == 1 and "remote anchor" in doctor.stdout, doctor.stdout
    assert "TAMPERED" in doctor.stdout and "diverges from the remote anchor on origin" in doctor.stdout
    _refused_everywhere(shop)


def test_sync_before_meets_the_remote_in_the_hook_and_in_mark_deployed(shop):
    """With sync_before the push and mark-deployed make the contact themselves: no doctor needed."""
    _team(shop, SYNC_BEFORE)
    _forge(shop)
    push = push_new_commit(shop.path)
    assert push.returncode != 0 and "diverges from the remote anchor" in push.stderr, push.stderr
    mark = cli(shop.path, "mark-deployed", "api")
    assert mark.returncode != 0 and "TAMPERED" in mark.stderr, mark.stderr


def test_a_fresh_clone_of_a_team_ledger_restores_before_its_first_decision(shop, tmp_path):
    """backend = "git" without sync_before: a re-clone's first push and mark-deployed restore the failure first."""
    _team(shop)
    clone = tmp_path / "again"
    subprocess.run(["git", "clone", "-q", str(shop.remote), str(clone)], check=True,
                   env={**os.environ, **GIT_ENV}, timeout=60)
    from deploystate.hooks.git import install

    install.install(clone, python=sys.executable)
    push = push_new_commit(clone)
    assert push.returncode != 0 and "refusing to push" in push.stderr and "api" in push.stderr, push.stderr
    assert_remembers_failure(shop, Path(clone))
