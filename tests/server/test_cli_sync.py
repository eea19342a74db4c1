"""`deploystate sync` end to end on real clones of one bare remote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from deploystate.server.cli import main
from deploystate.state.ledger.ledger import Ledger
from tests.fixtures.gitrepo import GitRepo


def test_sync_command_moves_records_between_clones(tmp_path: Path, git_repo: GitRepo, git_remote: Path,
                                                   capsys) -> None:
    """A failed attempt recorded in one clone is in the other's state after both sync."""
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "team"\n'})
    git_repo.git("push", "-q", "origin", "main")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(git_remote), str(other)], check=True, timeout=60)
    Ledger(git_repo.path / ".deploystate").append("attempt", {"summary": "bump gunicorn timeout",
                                                              "outcome": "failed"})
    assert main(["--root", str(git_repo.path), "sync", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pushed"] is True
    assert main(["--root", str(other), "sync"]) == 0
    assert "1 records in" in capsys.readouterr().out
    assert "bump gunicorn timeout" in (other / "DEPLOYMENT_STATE.md").read_text()


def test_sync_without_a_reachable_remote_exits_3_and_says_offline(git_repo: GitRepo, capsys) -> None:
    """No remote: exit 3 with an 'offline: using local state' message, nothing lost."""
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "solo"\n'})
    Ledger(git_repo.path / ".deploystate").append("note", {})
    assert main(["--root", str(git_repo.path), "sync", "--remote", "origin", "--timeout", "5"]) == 3
    assert "offline: using local state" in capsys.readouterr().out
    assert len(Ledger(git_repo.path / ".deploystate").read().records) == 1


def test_doctor_reports_the_backend_records_forks_and_last_sync(tmp_path: Path, git_repo: GitRepo,
                                                                git_remote: Path, capsys) -> None:
    """After a sync, doctor names the git backend, its record count and the remote's last sync time."""
    git_repo.commit("app", {"deploystate.toml": '[project]\nname = "team"\n'})
    git_repo.git("push", "-q", "origin", "main")
    Ledger(git_repo.path / ".deploystate").append("note", {})
    main(["--root", str(git_repo.path), "sync"])
    capsys.readouterr()
    main(["--root", str(git_repo.path), "doctor", "--json"])
    backend = next(c for c in json.loads(capsys.readouterr().out)["checks"] if c["check"] == "backend")
    assert backend["backend"] == "git" and backend["records"] == 1 and backend["missing_parents"] == 0
    assert backend["remotes"]["origin"]["last_ok"]


def test_mark_deployed_syncs_first_when_configured_and_sees_a_teammates_failure(
        tmp_path: Path, git_repo: GitRepo, git_remote: Path, capsys) -> None:
    """With sync_before, mark-deployed brings in a teammate's newer failed verification and refuses."""
    from deploystate.state.errors import Refused

    config = ('[project]\nname = "team"\n[project.hooks]\nsync_before = true\n'
              '[services.web]\nplatform = "command"\nrestart_cmd = ["true"]\npaths = ["web/**"]\n')
    head = git_repo.commit("app", {"deploystate.toml": config, "web/app.py": "1"})
    git_repo.git("push", "-q", "origin", "main")
    mine = Ledger(git_repo.path / ".deploystate")
    mine.append("deploy", {"service": "web", "commit": head})
    mine.append("verification", {"service": "web", "commit": head, "verdict": "pass"})
    main(["--root", str(git_repo.path), "sync"])
    mate = tmp_path / "mate"
    subprocess.run(["git", "clone", "-q", str(git_remote), str(mate)], check=True, timeout=60)
    assert main(["--root", str(mate), "sync"]) == 0
    Ledger(mate / ".deploystate").append("verification", {"service": "web", "commit": head, "verdict": "fail",
                                                          "summary": "health: HTTP 500"})
    assert main(["--root", str(mate), "sync"]) == 0
    capsys.readouterr()
    code = main(["--root", str(git_repo.path), "mark-deployed", "web"])
    err = capsys.readouterr().err
    assert code == Refused.exit_code and "synced with origin: 1 records in" in err
