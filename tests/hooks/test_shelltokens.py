"""shelltokens splits and expands a shell line exactly as shlex and re did for shellwords: the pre-tool
hook reads every line as before, without importing either."""

from __future__ import annotations

import re
import shlex

import pytest
from hypothesis import given, settings, strategies as st

from deploystate.hooks.shell import shelltokens


def _shlex_words(text: str) -> list[str] | str:
    """shellwords' tokenizer as it was configured (shlex), or the error's message."""
    lex = shlex.shlex(text, posix=True, punctuation_chars="();<>|&\n")
    lex.whitespace_split = True
    lex.whitespace = " \t\r"
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError as exc:
        return str(exc)


def _ours(text: str) -> list[str] | str:
    try:
        return shelltokens.words(text)
    except ValueError as exc:
        return str(exc)


# What an agent's line is made of: every character shlex treats specially (quotes, escape, comment,
# punctuation, the whitespace it splits at and the whitespace it does not), word characters, shlex's
# latin-1 word characters and others.
_ALPHABET = st.sampled_from(list("gitpush-_./=:@%+,~*?[]{}$`!09 \t\r\n\v\f\u00a0éß€'\"\\#();<>|&"))


@settings(max_examples=5000, deadline=None)
@given(st.text(_ALPHABET, max_size=40))
def test_every_line_splits_as_shlex_splits_it(text):
    """For any line, the words (or the error: an unclosed quote, a trailing escape) equal shlex's."""
    assert _ours(text) == _shlex_words(text)


@pytest.mark.parametrize("text", [
    "git push origin main", "sh -c 'git push --no-verify'", 'git commit -m "a \\"b\\" \\c"', "a&&b||c;d|&e",
    "echo hi # comment\ngit push", "a#b c", "''", 'x "" y', "git\\ push", "a\\", "'open", "(git push)",
    "cat <<EOF\n", "a  \t b\r", "echo é€ ok",
])
def test_known_lines_split_as_shlex_splits_them(text):
    """The shapes the bypass table relies on (quotes, escapes, comments, operators, empty words)."""
    assert _ours(text) == _shlex_words(text)


_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@settings(max_examples=3000, deadline=None)
@given(st.text(st.sampled_from(list("$${}ab_1é٣ -.x")), max_size=20),
       st.dictionaries(st.sampled_from(["a", "ab", "b_1", "x", "é٣"]), st.sampled_from(["git", "", "$a"])))
def test_expansion_matches_the_regular_expression(word, known):
    """$NAME and ${NAME} (NAME of re's word characters, Unicode digits included) expand as re.sub did."""
    expected = _VAR.sub(lambda m: known.get(m.group(1) or m.group(2), m.group(0)), word)
    assert shelltokens.expand(word, known) == expected
