"""observe_cmd's output readers: absent fields read as None, present ones by any of their aliases."""

from __future__ import annotations

from deploystate.platforms.command.command_parse import as_int, pick


def test_absent_fields_are_none_and_present_ones_are_read():
    """No output (no observe_cmd) gives None for every field; an alias or an extra key is found, an empty
    value is absent; as_int reads numbers and gives None for anything else."""
    assert pick({}, "state") is None and pick({}, "revision", ("git_sha",)) is None
    assert pick({"state": "running"}, "state") == "running" and pick({"state": ""}, "state") is None
    assert pick({"git_sha": "abc"}, "revision", ("GIT_SHA",)) == "abc"
    assert as_int(None) is None and as_int(" 7 ") == 7 and as_int("x") is None and as_int(3) == 3
