"""No ordinary git operation makes deploystate forget a failed verification (real repos, real hooks, real CLI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.gitrepo import GIT_ENV

CLI = str(Path(sys.executable).with_name("deploystate"))


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **GIT_ENV})


def claim(shop, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A commit whose message claims deployment, through the installed commit-msg hook."""
    cwd = cwd or shop.path
    (cwd / "docs" / "readme.md").write_text((cwd / "docs" / "readme.md").read_text() + "#\n")
    subprocess.run(["git", "add", "-A"], cwd=cwd, check=True, env={**os.environ, **GIT_ENV})
    return subprocess.run(["git", "commit", "-q", "-m", "api is deployed and verified"], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **GIT_ENV}, timeout=60)


def push_new_commit(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Commit something new (hooks bypassed) and push it to main, so pre-push has a ref to judge."""
    env = {**os.environ, **GIT_ENV}
    (cwd / "docs" / "more.md").write_text(f"{os.urandom(4).hex()}\n")
    subprocess.run(["git", "add", "-A"], cwd=cwd, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "more"], cwd=cwd, check=True, env=env)
    return subprocess.run(["git", "push", "origin", "HEAD:main"], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def failed_api(shop) -> None:
    shop.deploy("api")
    shop.verify("api", "fail", summary="health endpoint returned 500")


def assert_remembers_failure(shop, cwd: Path | None = None) -> None:
    """`state`, the pre-push hook and `mark-deployed` all still see the failed verification."""
    cwd = cwd or shop.path
    state = cli(cwd, "state", "--json")
    data = json.loads(state.stdout)
    assert data["status"] == "BROKEN" and "api" in data["reason"], state.stdout[:600]
    push = push_new_commit(cwd)
    assert push.returncode != 0 and "refusing to push" in push.stderr, push.stderr
    mark = cli(cwd, "mark-deployed", "api")
    assert mark.returncode != 0 and "FAILED" in mark.stderr, mark.stderr


@pytest.mark.parametrize("operation", [
    ["clean", "-fdx"], ["reset", "--hard", "HEAD~1"], ["switch", "old"], ["stash", "-u"],
])
def test_git_operations_keep_the_failed_verification(shop, operation):
    """clean -fdx, reset --hard, switching to an older branch and stash -u leave the ledger untouched."""
    shop.git("branch", "old")
    shop.change("worker/tasks.py", "print('w2')\n")
    failed_api(shop)
    (shop.path / "scratch.txt").write_text("untracked\n")
    res = shop.git(*operation)
    assert res.returncode == 0, res.stderr
    assert shop.project.ledger.path.exists() and not shop.project.state_dir_in_work_tree
    assert_remembers_failure(shop)


def test_rm_rf_of_the_old_state_dir_and_migration_keep_every_record(shop):
    """An old in-tree .deploystate is merged into the common-dir ledger; deleting it afterwards loses nothing."""
    from deploystate.state.ledger.ledger import Ledger

    old = Ledger(shop.path / ".deploystate")
    old.append("deploy", {"service": "api", "commit": shop.repo.head(), "status": "restarted"})
    old.append("verification", {"service": "api", "commit": shop.repo.head(), "verdict": "fail", "summary": "500"})
    assert [r["kind"] for r in shop.ledger_records()] == ["deploy", "verification"]  # migrated on first read
    shutil.rmtree(shop.path / ".deploystate")
    assert len(shop.ledger_records()) == 2
    assert_remembers_failure(shop)


def test_two_worktrees_share_one_ledger(shop, tmp_path):
    """A record written in a second worktree is seen by the first, and the reverse."""
    other = tmp_path / "wt2"
    assert shop.git("worktree", "add", "-q", "-b", "side", str(other)).returncode == 0
    failed_api(shop)
    assert_remembers_failure(shop, other)
    res = cli(other, "attempt", "add", "--summary", "raised the gunicorn timeout", "--outcome", "failed")
    assert res.returncode == 0, res.stderr
    assert any(r["kind"] == "attempt" for r in shop.ledger_records())


def test_reclone_with_a_team_ledger_restores_the_failure(shop, tmp_path):
    """After a fresh clone, sync_before brings the team's failed verification back before deciding."""
    config = (shop.path / "deploystate.toml").read_text() + "\n[project.hooks]\nsync_before = true\n"
    shop.change("deploystate.toml", config.replace('[project]\n', '[project]\n', 1))
    failed_api(shop)
    assert cli(shop.path, "sync").returncode == 0
    assert shop.git("push", "-q", "--no-verify", "origin", "main").returncode == 0
    clone = tmp_path / "again"
    subprocess.run(["git", "clone", "-q", str(shop.remote), str(clone)], check=True, env={**os.environ, **GIT_ENV})
    state = cli(clone, "state")
    assert "never synced with its team ledger" in state.stdout + state.stderr  # said loudly before any sync
    from deploystate.hooks.git import install
    install.install(clone, python=sys.executable)
    push = push_new_commit(clone)
    assert push.returncode != 0 and "refusing to push" in push.stderr, push.stderr
    assert_remembers_failure(shop, clone)


# -- tampering: each is refused by doctor, pre-push, commit-msg and mark-deployed --------------------------

def _lines(shop) -> list[str]:
    return shop.project.ledger.path.read_text().splitlines(keepends=True)


def _write(shop, lines: list[str]) -> None:
    shop.project.ledger.path.write_text("".join(lines))


def _reseal_from(records: list[dict], start: int) -> list[dict]:
    from deploystate.state.ledger import chain

    out = records[:start]
    for rec in records[start:]:
        rec = chain.seal({**rec, "prev": out[-1]["hash"] if out else None})
        out.append(rec)
    return out


def edit_cache(shop) -> None:
    path = shop.project.state_dir / "projection.json"
    data = json.loads(path.read_text())
    data["state"]["services"]["api"]["verification"]["verdict"] = "pass"
    path.write_text(json.dumps(data))


def delete_failed_line(shop) -> None:
    _write(shop, [line for line in _lines(shop) if '"verdict":"fail"' not in line])


def empty_ledger(shop) -> None:
    _write(shop, [])


def drop_tail(shop) -> None:
    _write(shop, _lines(shop)[:-2])


def rehash_chain(shop) -> None:
    records = [json.loads(line) for line in _lines(shop)]
    at = next(i for i, r in enumerate(records) if r["payload"].get("verdict") == "fail")
    records[at]["payload"]["verdict"] = "pass"
    _write(shop, [json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in _reseal_from(records, at)])


def move_state_dir(shop) -> None:
    cfg = shop.path / "deploystate.toml"
    cfg.write_text(cfg.read_text().replace('[project]\n', f'[project]\nstate_dir = "{shop.path.parent}/fresh"\n', 1))


def narrow_deploy_branches(shop) -> None:
    cfg = shop.path / "deploystate.toml"
    cfg.write_text(cfg.read_text().replace('deploy_branches = ["main", "release/*"]', 'deploy_branches = ["none"]'))


def edit_author(shop) -> None:
    lines = _lines(shop)
    lines[0] = lines[0].replace('"name":"Test Dev"', '"name":"Release Bot"')
    _write(shop, lines)


@pytest.mark.parametrize("tamper,expect", [
    (edit_cache, "FAILED"), (delete_failed_line, "TAMPERED"), (empty_ledger, "TAMPERED"),
    (drop_tail, "TAMPERED"), (rehash_chain, "TAMPERED"), (move_state_dir, "TAMPERED"),
    (narrow_deploy_branches, "TAMPERED"), (edit_author, "changed after it was written"),
])
def test_each_tamper_is_refused_everywhere(shop, tamper, expect):
    """Hand edits that would turn a refusal into an allow are refused by doctor, pre-push, commit-msg, mark-deployed."""
    if tamper is edit_author:
        shop.deploy("api")
        shop.verify("api", "pass")  # an author edit changes no verdict: only the chain can refuse it
    else:
        failed_api(shop)
        shop.record("note", {"text": "after the failure"})
    cli(shop.path, "state")  # a reader wrote the cache (the thing edit_cache forges)
    tamper(shop)
    doctor = cli(shop.path, "doctor")
    assert doctor.returncode == 1, doctor.stdout
    if tamper is edit_cache:
        assert "projection cache was edited" in doctor.stdout
    else:
        assert expect in doctor.stdout, doctor.stdout
    msg = claim(shop)
    assert msg.returncode != 0 and "refusing this commit message" in msg.stderr, msg.stderr
    push = push_new_commit(shop.path)
    assert push.returncode != 0 and "refusing to push" in push.stderr, push.stderr
    assert expect in push.stderr, push.stderr
    mark = cli(shop.path, "mark-deployed", "api")
    assert mark.returncode != 0 and expect in mark.stderr, mark.stderr


def test_a_recorded_config_change_is_shown_and_then_allowed(shop):
    """`doctor --accept-config` records a narrowed deploy_branches as a note; the push is judged by the new list."""
    shop.deploy("api")
    shop.verify("api", "pass")
    narrow_deploy_branches(shop)
    assert cli(shop.path, "doctor").returncode == 1
    res = cli(shop.path, "doctor", "--accept-config")
    assert "recorded the config change: deploy_branches" in res.stderr, res.stderr
    note = shop.ledger_records()[-1]
    assert note["kind"] == "note" and note["payload"]["changes"]["deploy_branches"][1] == ["none"]
    state = cli(shop.path, "state", "--json")
    data = json.loads(state.stdout)
    assert data["status"] != "BROKEN" and "TAMPERED" not in state.stdout, state.stdout
    assert cli(shop.path, "doctor").stdout.count("TAMPERED") == 0
