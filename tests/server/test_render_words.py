"""`deploystate render`'s words for its command line and --head decide as shlex and re did."""

from __future__ import annotations

import re
import shlex

from hypothesis import example, given, strategies as st

from deploystate.server.commands.render import full_commit, quote, shell_join


@given(st.text(max_size=12) | st.text("ab'\" $-_=@%+:,./\\\n", max_size=12))
@example("")
@example("it's")
@example("a b")
@example("é")
def test_quote_equals_shlex(word: str) -> None:
    """A word is quoted exactly as shlex.quote quotes it."""
    assert quote(word) == shlex.quote(word)


@given(st.lists(st.text(max_size=6), max_size=5))
def test_join_equals_shlex(words: list[str]) -> None:
    """A command line is joined as shlex.join joins it."""
    assert shell_join(words) == shlex.join(words)


@given(st.text("0123456789abcdefA\n", max_size=70) | st.builds(lambda n: "e" * n, st.integers(38, 66)))
@example("0" * 40)
@example("0" * 64 + "\n")
@example("0" * 40 + "\n\n")
def test_full_commit_equals_pattern(rev: str) -> None:
    """A full commit id given to --head is recognised exactly as the old pattern recognised it."""
    assert full_commit(rev) == bool(re.match(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$", rev))


@given(st.sampled_from([None, "DEPLOYMENT_STATE.md", "docs/STATE.md", "./a//b.md", "/abs/x.md", "../up.md", "d/"]))
def test_state_file_equals_projects(name: str | None) -> None:
    """The state file render writes is the Project's ``state_file``, as a str."""
    from deploystate.server.commands.render import state_file_of
    from deploystate.state.config.project import Project

    project = Project("/work/repo", {"project": {"state_file": name}} if name else {})
    assert state_file_of(project) == str(project.state_file)
