"""A shell line with no quote, escape, comment or operator is split exactly as shlex splits it: the fast
path that keeps shlex and re out of the pre-tool hook changes no word of any line."""

from __future__ import annotations

import shlex

from hypothesis import given, settings, strategies as st

from deploystate.hooks.shell import shellwords


def _shlex_words(text: str) -> list[str] | None:
    """shellwords' tokenizer as it is configured for lines that need it."""
    lex = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=shellwords._PUNCT)
    lex.whitespace_split = True
    lex.whitespace = " \t\r"
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:
        return None


# Characters an agent's line is made of, the special ones included (the fast path must refuse those), and
# whitespace shlex does not split at here (vertical tab, form feed, a non-breaking space).
_ALPHABET = st.sampled_from(list("gitpushmn-_./=:@%+,~*?[]{}$`!0123456789 \t\r\v\f\u00a0é'\"\\#();<>|&\n"))


@settings(max_examples=3000, deadline=None)
@given(st.text(_ALPHABET, max_size=40))
def test_every_line_splits_as_shlex_splits_it(text):
    """For any line, shellwords' words equal shlex's (the fast path where it applies, shlex elsewhere)."""
    assert shellwords._words(text) == _shlex_words(text)


def test_the_fast_path_is_taken_for_a_plain_line_and_not_for_a_quoted_one():
    """`git push origin main` and `npm  test\\t-x` take the plain split; a quoted or piped line does not."""
    assert shellwords._SHLEX_SPECIAL.isdisjoint("git push origin main")
    assert shellwords._words("npm  test\t-x\r") == ["npm", "test", "-x"]
    assert not shellwords._SHLEX_SPECIAL.isdisjoint("git commit -m 'a b'")
    assert shellwords._words("git commit -m 'a b' | cat") == ["git", "commit", "-m", "a b", "|", "cat"]


def test_a_word_without_dollar_is_not_expanded_and_one_with_it_is():
    """Expansion touches only words with `$` (every variable reference has one)."""
    assert shellwords._expand("origin", {"origin": "x"}) == "origin"
    assert shellwords._expand("$G-${H}", {"G": "git", "H": "push"}) == "git-push"
