"""The str-method stand-ins for regular expressions on the `state`/`render` path decide as re does."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, strategies as st

from deploystate.state.config.fields import Invalid
from deploystate.state.config.kinds import REGEX
from deploystate.state.config.models import SERVICE_NAME, service_name_ok
from deploystate.state.view.timeline import _safe
from deploystate.state.view.view import _full_id

HEXISH = st.text("0123456789abcdefABCDEFg\n", max_size=70)
NAMEISH = st.text("abz09_-A.\n é", max_size=12)
REGEXISH = st.text("ab\\.^$*+?{}[]|()-#\n ", max_size=8)


@given(st.text(":;#`\n\r\tab x", max_size=30) | st.text(max_size=20))
@example("a::b;#c")
@example(":")
def test_safe_equals_re_sub(text: str) -> None:
    """Each run of the gantt-breaking characters becomes one space, as the old re.sub made it."""
    assert _safe(text) == re.sub(r"[:;#`\n\r\t]+", " ", text)


@given(HEXISH | st.builds(lambda n: "a" * n, st.integers(38, 66)))
@example("0" * 40)
@example("f" * 64)
@example("0" * 40 + "\n")
def test_full_id_equals_fullmatch(rev: str) -> None:
    """A full commit id is 40 or 64 lower-case hex digits, nothing else (not even a final newline)."""
    assert _full_id(rev) == bool(re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", rev))


@given(NAMEISH)
@example("api\n")
@example("\n")
@example("-api")
@example("my-api_2")
@example("")
def test_service_name_equals_pattern(name: str) -> None:
    """A service name is valid exactly when the schema's pattern matches it (and SERVICE_NAME still is it)."""
    want = re.match(r"^[a-z0-9][a-z0-9_-]*$", name)
    assert service_name_ok(name) == bool(want)
    got = SERVICE_NAME.match(name)
    assert (got and got.group(0)) == (want and want.group(0))
    assert re.compile(SERVICE_NAME.pattern).pattern == r"^[a-z0-9][a-z0-9_-]*$"


# re warns about sets its future versions may read differently ("[[", "||"); the verdict compared is today's
@pytest.mark.filterwarnings("ignore:Possible:FutureWarning")
@given(REGEXISH | st.text(max_size=10))
@example("(")
@example("a{")
@example("fallback used")
def test_regex_field_equals_compile(value: str) -> None:
    """A regex field accepts a string exactly when re.compile accepts it (a literal without compiling)."""
    try:
        re.compile(value)
        ok = True
    except re.error:
        ok = False
    try:
        REGEX.validate(value, ("checks", "0", "must_match"))
        accepted = True
    except Invalid:
        accepted = False
    assert accepted == ok
