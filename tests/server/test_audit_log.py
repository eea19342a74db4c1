"""The MCP audit log's file: one line per call appended, moved to audit.1.jsonl past its size, never a
state directory made for it."""

from __future__ import annotations

from deploystate.server.mcp import audit


def test_past_its_size_the_log_becomes_the_old_generation(tmp_path, monkeypatch):
    """The line that takes the file past MAX_BYTES ends it: it moves to audit.1.jsonl (replacing the older
    one) and the next line starts a new file; every line is kept in one of the two."""
    monkeypatch.setattr(audit, "MAX_BYTES", 300)
    (tmp_path / "audit.1.jsonl").write_text("older\n", encoding="utf-8")
    log = audit.AuditLog(str(tmp_path))
    n = 0
    while not (tmp_path / "audit.1.jsonl").read_text(encoding="utf-8").startswith("{"):
        assert log.write(audit.entry("read_deployment_state", {"n": n}, "ok", 1.0))
        n += 1
        assert n < 50
    moved = [line for line in (tmp_path / "audit.1.jsonl").read_text(encoding="utf-8").splitlines() if line]
    assert len(moved) == n and (tmp_path / "audit.1.jsonl").stat().st_size > 300
    assert not (tmp_path / "audit.jsonl").exists()
    assert log.write(audit.entry("read_deployment_state", {"n": n}, "ok", 1.0))
    assert [a["arguments"]["n"] for a in log.read()] == [n]


def test_a_state_dir_that_is_a_file_is_not_written(tmp_path, capsys):
    """A state directory path that is a file gets no audit line, no error raised and nothing created."""
    (tmp_path / "state").write_text("x", encoding="utf-8")
    log = audit.AuditLog(tmp_path / "state")
    assert log.write(audit.entry("read_deployment_state", {}, "ok", 1.0)) is False
    assert (tmp_path / "state").read_text(encoding="utf-8") == "x" and log.path == tmp_path / "state" / "audit.jsonl"
