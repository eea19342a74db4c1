"""``deploystate affected`` on a real git repository: renames, deletions, running-commit bases, unmatched files."""

from __future__ import annotations

import pytest

from deploystate.state.config.project import Project

from ._cli import FILES, deploy, ds, ds_json, verify


@pytest.fixture
def shop(git_repo, capsys):
    for rel, text in FILES.items():
        git_repo.write(rel, text)
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    c1 = git_repo.commit("shop")
    return git_repo, Project.discover(git_repo.path), c1


def test_bases_are_last_verified_deploys_or_head_parent_with_a_warning(shop, capsys):
    """A service with a verified deploy is compared from it; one with only an unverified deploy (a restart
    that may not have picked up the image) and no runtime answer is compared from HEAD~1, with a warning."""
    repo, project, c1 = shop
    verify(project, "api", c1, "pass", deploy(project, "api", c1))
    repo.commit("api change", {"api/app.py": "v2\n"})
    c3 = repo.commit("readme", {"README.md": "more\n"})
    deploy(project, "worker", c3)                     # restarted at HEAD, never verified: not a base
    code, data = ds_json(capsys, "--root", str(repo.path), "affected")
    assert code == 0 and data["head"] == c3
    api, worker = data["services"]["api"], data["services"]["worker"]
    assert api["base"] == c1 and api["base_reason"] == "last verified deploy" and api["base_known"]
    assert api["affected"] and [m["file"] for m in api["matches"]] == ["api/app.py"]
    assert worker["base_reason"].startswith("WARNING: comparing from HEAD~1: no verified deploy")
    assert not worker["base_known"] and worker["base"] != c3 and not worker["affected"]
    assert data["affected"] == ["api"] and data["unmatched"] == ["README.md"]
    assert any(w.startswith("worker: WARNING: comparing from HEAD~1") for w in data["warnings"])
    code, out, _ = ds(capsys, "--root", str(repo.path), "affected")
    assert "api: AFFECTED (base" in out and "last verified deploy" in out
    assert "api/app.py [modified] matches 'api/**' (paths)" in out
    assert "worker: not affected" in out and "WARNING: comparing from HEAD~1" in out


def test_renames_count_for_both_sides_and_deletions_count(shop, capsys):
    """Moving a file from worker/ to api/ affects both; deleting a file affects its owner."""
    repo, project, c1 = shop
    repo.git("mv", "worker/tasks.py", "api/tasks.py")
    (repo.path / "api" / "Dockerfile").unlink()
    c2 = repo.commit("move tasks to api, drop the api Dockerfile")
    code, data = ds_json(capsys, "--root", str(repo.path), "affected", "--base", c1)
    assert code == 0 and data["affected"] == ["api", "worker"]
    api = {(m["file"], m["status"]) for m in data["services"]["api"]["matches"]}
    assert api == {("api/tasks.py", "R"), ("api/Dockerfile", "D")}
    [moved] = data["services"]["worker"]["matches"]
    assert (moved["file"], moved["status"], moved["pattern"]) == ("worker/tasks.py", "R", "worker/**")
    assert data["services"]["api"]["base_reason"] == f"--base {c1}"
    code, out, _ = ds(capsys, "--root", str(repo.path), "affected", "--base", c1, "--head", c2)
    assert "api/tasks.py (renamed from worker/tasks.py) [renamed] matches 'api/**' (paths)" in out
    assert "api/Dockerfile [deleted] matches 'api/**'" in out


def test_all_services_rule_affects_every_service_and_says_why(shop, capsys):
    """A change to .env affects every service through the [[all_services]] rule, with its reason."""
    repo, project, c1 = shop
    repo.commit("env", {".env": "MODEL_URL=http://model2\n"})
    code, data = ds_json(capsys, "--root", str(repo.path), "affected")
    assert data["affected"] == ["api", "cache", "worker"]
    [m] = data["services"]["cache"]["matches"]
    assert (m["file"], m["pattern"]) == (".env", ".env") and "every service" in m["rule"]


def test_first_commit_compares_from_the_empty_tree(git_repo, capsys):
    """With a single commit there is no HEAD~1: everything in it counts as added."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "compose"\npaths = ["api/**"]\n')
    git_repo.write("api/app.py", "x\n")
    git_repo.commit("first")
    code, data = ds_json(capsys, "--root", str(git_repo.path), "affected")
    assert code == 0 and data["affected"] == ["api"]
    assert "empty tree" in data["services"]["api"]["base_reason"]
    assert data["services"]["api"]["matches"][0]["status"] == "A"


def test_verified_commit_missing_from_the_clone_falls_back_and_says_so(shop, capsys):
    """A verified commit this clone does not have (another machine's) falls back to HEAD~1, with the reason."""
    repo, project, c1 = shop
    verify(project, "api", "f" * 40, "pass", deploy(project, "api", "f" * 40))
    repo.commit("api", {"api/app.py": "v2\n"})
    code, data = ds_json(capsys, "--root", str(repo.path), "affected")
    api = data["services"]["api"]
    assert api["base"] == c1 and api["affected"] and not api["base_known"]
    assert api["base_reason"].startswith("WARNING: comparing from HEAD~1: its last verified commit ffffffffff "
                                         "is not in this clone")


def test_deploystate_own_files_are_not_reported_unmatched(shop, capsys):
    """Ledger, config and state file changes are bookkeeping, not unmatched application files."""
    repo, project, c1 = shop
    deploy(project, "api", c1)
    repo.commit("state", {"notes.txt": "n\n"})
    code, data = ds_json(capsys, "--root", str(repo.path), "affected", "--base", c1)
    assert data["unmatched"] == ["notes.txt"]


def test_bad_revision_is_an_error_with_a_hint(shop, capsys):
    """An unknown --base fails with a message naming it; an option-looking one is refused (exit 2)."""
    repo, _, _ = shop
    code, _, err = ds(capsys, "--root", str(repo.path), "affected", "--base", "nope")
    assert code == 1 and "'nope' is not a commit" in err and "next:" in err
    code, _, err = ds(capsys, "--root", str(repo.path), "affected", "--base=--output=/tmp/x")
    assert code == 2 and "could be read as an option" in err
