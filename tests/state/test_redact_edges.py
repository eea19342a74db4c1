"""Redaction at its edges: how a masked value keeps its quotes, and where a 40-character AWS secret ends and
a path begins (written to kill the mutants tools/mutation_score.py found)."""

from __future__ import annotations

import pytest

from deploystate.state.ledger.redact import MASK, redact, redact_obj


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


def test_a_forty_character_run_with_five_slashes_or_more_is_a_path() -> None:
    """Past three slashes a 40-character run reads as a path however many slashes it has (five, six)."""
    five = "wJal/XUtnF/MI/K7MDENG/bPxRfiCY/XAMPLEKEY"
    six = "wJal/XUtnF/MI/K7MD/NG/bPxRfiCY/XAMPLEKEY"
    assert (five.count("/"), six.count("/"), len(five), len(six)) == (5, 6, 40, 40)
    assert redact(f"x {five} y") == f"x {five} y" and redact(f"x {six} y") == f"x {six} y"


def test_a_lone_escaped_quote_is_not_a_quoted_value() -> None:
    """An escaped quote alone (two characters) is not a pair of escaped quotes: it is masked whole."""
    from deploystate.state.ledger.redact import _mask_value

    assert _mask_value('\\"') == MASK


@pytest.mark.parametrize("name", ["keyboard_layout", "SSH_KEY_FINGERPRINT", "key_alias", "tokenizer.model"])
def test_a_name_that_only_mentions_a_key_or_token_holds_no_secret(name: str) -> None:
    """A name with a key or token word whose last word is some other thing (a layout, a fingerprint) is
    harmless: its value stays readable."""
    from deploystate.state.ledger.redact import secret_name

    assert not secret_name(name)
    assert redact(f"{name}=us-intl") == f"{name}=us-intl"


def test_only_the_authorization_key_itself_is_masked_among_the_plain_keys() -> None:
    """An ``Authorization`` field loses its value whatever its shape; ``author`` and other keys sorting
    before or after it keep theirs."""
    out = redact_obj({"Authorization": "s3cr3tvalue", "author": "dev", "action": "deploy", "zone": "eu"})
    assert out == {"Authorization": MASK, "author": "dev", "action": "deploy", "zone": "eu"}


def test_a_bulk_redaction_with_a_memo_gives_what_a_plain_one_gives() -> None:
    """Redacting with a memo (a bulk append's) masks the same values, the repeated ones too, and plain
    values come back unchanged."""
    value = {"a": "token abcdefghijklmnop", "b": ["token abcdefghijklmnop", "plain"], "n": None, "k": 3}
    memo: dict[str, str] = {}
    assert redact_obj(value, memo) == redact_obj(value) == {
        "a": f"token {MASK}", "b": [f"token {MASK}", "plain"], "n": None, "k": 3}
    assert redact_obj(value, memo) == redact_obj(value)
