"""``deploystate doctor`` (and ``render --check``) on real repositories and ledgers."""

from __future__ import annotations

import json

import pytest

from deploystate.state.config.project import Project

from ._cli import FILES, deploy, ds, ds_json, verify


@pytest.fixture
def shop(git_repo, capsys):
    """An initialised shop with a deploy and a passing verification, state file current."""
    for rel, text in FILES.items():
        git_repo.write(rel, text)
    assert ds(capsys, "--root", str(git_repo.path), "init")[0] == 0
    c1 = git_repo.commit("shop")
    project = Project.discover(git_repo.path)
    dep = deploy(project, "api", c1)
    verify(project, "api", c1, "pass", dep)
    deploy(project, "worker", c1)
    return git_repo, project


def checks(data: dict) -> dict:
    return {c["check"]: c for c in data["checks"]}


def test_doctor_healthy_exits_0(shop, capsys):
    """A fresh, untouched project is healthy."""
    repo, _ = shop
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 0, out
    assert out.strip().endswith("healthy") and "3 records verify" in out
    code, data = ds_json(capsys, "--root", str(repo.path), "doctor")
    assert data["healthy"] and all(c["ok"] for c in data["checks"])


def test_doctor_names_the_line_of_a_tampered_record(shop, capsys):
    """Editing a past verdict from pass to fail breaks the chain: exit 1 naming ledger.jsonl:2."""
    repo, project = shop
    lines = project.ledger.path.read_text().splitlines(keepends=True)
    assert '"verdict":"pass"' in lines[1]
    lines[1] = lines[1].replace('"verdict":"pass"', '"verdict":"fail"')
    project.ledger.path.write_text("".join(lines))
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 1
    assert "FAIL  ledger chain" in out and "deploystate/ledger.jsonl:2: record" in out
    assert "was changed after it was written" in out and out.splitlines()[-1].endswith("found")
    code, data = ds_json(capsys, "--root", str(repo.path), "doctor")
    assert checks(data)["ledger chain"]["problems"][0].startswith(f"{project.ledger.path}:2: ")


def test_doctor_reports_a_deleted_record(shop, capsys):
    """Deleting a record orphans its child: the child's line is named."""
    repo, project = shop
    lines = project.ledger.path.read_text().splitlines(keepends=True)
    project.ledger.path.write_text(lines[0] + lines[2])
    code, data = ds_json(capsys, "--root", str(repo.path), "doctor")
    assert code == 1
    [problem] = checks(data)["ledger chain"]["problems"]
    assert problem.startswith(f"{project.ledger.path}:2: ") and "a record was deleted" in problem


def test_doctor_reports_quarantined_lines_with_count_and_file(shop, capsys):
    """A torn last line is quarantined on read; doctor counts it and names the quarantine file."""
    repo, project = shop
    with open(project.ledger.path, "a") as fh:
        fh.write('{"id": "torn", "kind": "depl')
    code, data = ds_json(capsys, "--root", str(repo.path), "doctor")
    assert code == 1
    q = checks(data)["quarantine"]
    assert q["quarantined"] == 1 and q["problems"][0] == f"1 quarantined lines in {project.ledger.quarantine_path}"
    assert "line 4: torn last line" in q["problems"][1]
    assert checks(data)["ledger chain"]["records"] == 3


def test_doctor_detects_a_cache_that_differs_from_a_rebuild_and_fix_repairs_it(shop, capsys):
    """A projection cache edited by hand (keys still matching) is reported; --fix rebuilds it."""
    repo, project = shop
    cache_path = project.state_dir / "projection.json"
    data = json.loads(cache_path.read_text())
    data["state"]["services"]["api"]["running_commit"] = "0" * 40
    cache_path.write_text(json.dumps(data))
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 1 and "projection cache was edited" in out and "doctor --fix" in out
    assert ds(capsys, "--root", str(repo.path), "doctor", "--fix")[0] == 0
    assert ds(capsys, "--root", str(repo.path), "doctor")[0] == 0


def test_doctor_is_healthy_after_ordinary_commits(shop, capsys):
    """A commit moves HEAD but not the ledger: doctor stays healthy and says when the file was rendered."""
    repo, project = shop
    repo.commit("api", {"api/app.py": "v2\n"})
    repo.commit("docs", {"README.md": "more\n"})
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 0, out
    assert "matches the ledger (rendered at HEAD" in out and out.strip().endswith("healthy")


def test_doctor_and_render_check_find_a_stale_state_file(shop, capsys):
    """A state file that no longer says what the ledger says is stale: doctor and render --check exit 1."""
    repo, project = shop
    repo.commit("api", {"api/app.py": "v2\n"})
    target = project.state_file
    target.write_text(target.read_text().replace("Status:", "Status (edited):"))
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 1 and "DEPLOYMENT_STATE.md is stale" in out and "deploystate render" in out
    code, _, err = ds(capsys, "--root", str(repo.path), "render", "--check")
    assert code == 1 and "is stale" in err
    assert ds(capsys, "--root", str(repo.path), "render")[0] == 0
    assert ds(capsys, "--root", str(repo.path), "render", "--check")[0] == 0
    assert ds(capsys, "--root", str(repo.path), "doctor")[0] == 0


def test_doctor_finds_records_the_state_file_does_not_show(shop, capsys):
    """A record appended without re-rendering (the file lags the ledger) makes the state file stale."""
    repo, project = shop
    project.ledger.append("note", {"text": "appended behind the renderer"})
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 1 and "DEPLOYMENT_STATE.md is stale" in out


def test_doctor_reports_config_errors_and_a_missing_state_dir(git_repo, capsys):
    """A bad config and a missing state directory are problems with hints; doctor itself does not fail."""
    git_repo.write("deploystate.toml", '[services.api]\nplatform = "nomad"\n')
    code, out, _ = ds(capsys, "--root", str(git_repo.path), "doctor")
    assert code == 2  # a bad config is exit 2 on every command; doctor still reports the rest
    assert "unknown platform 'nomad'" in out and "deploystate.toml:2" in out
    assert "no state directory" in out and "run `deploystate init`" in out
    assert not (git_repo.path / ".deploystate").exists() and not (git_repo.path / ".git" / "deploystate").exists()


def test_doctor_reports_unparsable_toml_and_keeps_checking(shop, capsys):
    """A TOML syntax error is a config problem; the ledger checks still run."""
    repo, project = shop
    (repo.path / "deploystate.toml").write_text("[services.api\n")
    code, data = ds_json(capsys, "--root", str(repo.path), "doctor")
    assert code == 2
    assert "not valid TOML" in checks(data)["config"]["problems"][0]
    assert checks(data)["ledger chain"]["ok"] and checks(data)["ledger chain"]["records"] == 3


def test_doctor_on_a_sealed_ledger_names_its_segments_and_refuses_one_missing(shop, capsys, monkeypatch):
    """After a compaction sealed closed segments doctor is healthy and says so; a segment deleted is exit 1,
    TAMPERED (the anchor names it), never a pass."""
    import time

    from deploystate.state.ledger import segments

    repo, project = shop
    monkeypatch.setattr(segments, "RECORDS", 2)
    time.sleep(1.1)  # the records are older than the cutoff below (not a timing assertion)
    code, out, _ = ds(capsys, "--root", str(repo.path), "compact", "--older-than", "1s")
    assert code == 0, out
    assert segments.count(project.ledger) >= 1
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 0 and "closed segments" in out, out
    (segments.folder(project.ledger) / "000000.jsonl.z").unlink()
    code, out, _ = ds(capsys, "--root", str(repo.path), "doctor")
    assert code == 1 and "TAMPERED" in out and "000000.jsonl.z" in out, out
