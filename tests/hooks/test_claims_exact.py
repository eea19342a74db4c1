"""What the claim finder returns and where git's message ends, exactly (written to kill the mutants
tools/mutation_score.py found in hooks/claims.py)."""

from __future__ import annotations

import pytest

from deploystate.hooks import claims, settings

PATTERNS, _ = claims.compile_patterns(list(settings.DEFAULT_CLAIM_PATTERNS))
CUT = "# " + claims.SCISSORS


def _claim(message: str, comment_char: str = "#") -> str | None:
    return claims.find_claim(claims.strip_commit_message(message, comment_char), PATTERNS)


@pytest.mark.parametrize("message,line", [
    ("Fix the cart; deployed", "Fix the cart; deployed"),
    ("Fix the cart; deployed\n\nSigned-off-by: dev", "Fix the cart; deployed"),
    ("Fix the cart\n\nNow live in prod.", "Now live in prod."),
    ("Fix the cart\n\n  Now live in prod.  \nSigned-off-by: dev", "Now live in prod."),
])
def test_the_claim_is_reported_as_its_whole_line(message, line):
    """The refusal quotes the whole line that claims, whether it is the first, a middle or the last line."""
    assert _claim(message) == line


def test_a_quoted_line_is_cut_at_200_characters():
    """A very long claiming line is quoted up to 200 characters."""
    assert _claim("deployed " + "x" * 400) == ("deployed " + "x" * 400)[:200]


def test_a_question_does_not_hide_a_later_claim():
    """"Is it deployed? It is deployed now." asks, then claims: the claim is found."""
    assert _claim("Is it deployed? Yes: it is deployed now.") == "Is it deployed? Yes: it is deployed now."


@pytest.mark.parametrize("cut", ["#------------------------ >8 ------------------------",
                                 "## ------------------------ >8 ------------------------",
                                 "# ------------------------ >8 ------------------------ (not git's)"])
def test_only_gits_own_scissors_line_ends_the_message(cut):
    """A line that only looks like git's scissors (no space, two comment characters, more text) is kept by
    git, so a claim after it is read; git's own line still ends the message."""
    assert _claim(f"Fix the cart\n{cut}\napi deployed") == "api deployed"
    assert _claim(f"Fix the cart\n{CUT}\napi deployed") is None


def test_a_lone_comment_character_line_is_not_gits_template():
    """A message given with -m that has a bare "#" line keeps its "#" lines (git stores them): a claim on
    one is read."""
    assert _claim("Fix the cart\n#\n# deployed to production") == "# deployed to production"
    assert _claim("Fix the cart\n;\n; deployed", ";") == "; deployed"


def test_under_gits_template_the_lines_after_a_comment_are_still_read():
    """With git's editor template, comment lines are dropped one by one: a claim after one is read."""
    message = "# a note\nFix the cart\napi deployed\n# Please enter the commit message for your changes."
    assert _claim(message) == "api deployed"


def test_a_negated_mention_does_not_hide_a_later_claim():
    """"Not deployed on Monday; deployed on Tuesday." denies once, then claims: the claim is found."""
    assert _claim("Not deployed on Monday; deployed on Tuesday.") == "Not deployed on Monday; deployed on Tuesday."
