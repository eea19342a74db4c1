"""A user-chosen state_dir outside the repository: git operations keep it, the anchor still guards it."""

from __future__ import annotations

from .conftest import CONFIG
from .test_blast_radius import assert_remembers_failure, cli, drop_tail, failed_api, push_new_commit


def _outside(shop) -> None:
    shop.change("deploystate.toml", CONFIG.replace('[project]\n', f'[project]\nstate_dir = "{shop.path.parent}/'
                                                                  'team-state"\n', 1), "state outside")


def test_an_outside_state_dir_survives_clean_and_reset_and_is_still_anchored(shop):
    """The ledger sits outside the work tree, its anchor in the git common dir; clean/reset lose nothing."""
    _outside(shop)
    failed_api(shop)
    project = shop.project
    assert project.ledger.path.is_file() and not project.state_dir_in_work_tree
    assert project.anchor_dir != project.state_dir and (project.anchor_dir / "anchor.json").is_file()
    assert shop.git("clean", "-fdx").returncode == 0 and shop.git("reset", "--hard").returncode == 0
    assert_remembers_failure(shop)


def test_a_cut_tail_of_an_outside_ledger_is_tampered(shop):
    """The anchor in the git common dir sees a cut of the outside ledger: doctor and pre-push refuse."""
    _outside(shop)
    failed_api(shop)
    shop.record("note", {"text": "after the failure"})
    drop_tail(shop)
    doctor = cli(shop.path, "doctor")
    assert doctor.returncode == 1 and "TAMPERED" in doctor.stdout, doctor.stdout
    push = push_new_commit(shop.path)
    assert push.returncode != 0 and "TAMPERED" in push.stderr, push.stderr
