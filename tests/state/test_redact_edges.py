"""Redaction at its edges: how a masked value keeps its quotes, and where a 40-character AWS secret ends and
a path begins (written to kill the mutants tools/mutation_score.py found)."""

from __future__ import annotations

import pytest

from deploystate.state.ledger.redact import MASK, redact


@pytest.mark.parametrize("value, masked", [
    ('"s3cretvalue"', f'"{MASK}"'),
    ("'s3cretvalue'", f"'{MASK}'"),
    ('""', f'"{MASK}"'),                 # an empty quoted value still reads as quoted
    ('"s3cretvalue', MASK),              # opened but never closed: no quotes kept
    ('s3cretvalue"', MASK),
    ("s3cretvalue", MASK),
])
def test_a_masked_value_keeps_its_quotes_only_when_it_had_both(value: str, masked: str) -> None:
    """password="x" becomes password="[REDACTED]"; a value with one quote, or none, loses it."""
    from deploystate.state.ledger.redact import _mask_value

    assert _mask_value(value) == masked


def test_a_lone_quote_is_not_a_quoted_value() -> None:
    """A single quote character is shorter than a pair: it is masked whole."""
    from deploystate.state.ledger.redact import _mask_value

    assert _mask_value('"') == MASK and _mask_value("'") == MASK
    assert _mask_value('\\"ab\\"') == f'\\"{MASK}\\"'     # JSON inside a JSON string


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   # AWS's documented example secret: 40 chars, 2 slashes


def test_a_forty_character_mixed_secret_is_masked_up_to_three_slashes() -> None:
    """40 base64-ish characters mixing cases and digits are a secret with up to three slashes; with four or
    more they read as a path and stay."""
    assert len(SECRET) == 40 and redact(f"key {SECRET} end") == f"key {MASK} end"
    three = "wJalrXUtnF/MI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    four = "wJalrXUtnF/MI/K7MDENG/bPxRfiCY/XAMPLEKEY"
    assert three.count("/") == 3 and len(three) == 40 and redact(f"x {three} y") == f"x {MASK} y"
    assert four.count("/") == 4 and len(four) == 40 and redact(f"x {four} y") == f"x {four} y"
