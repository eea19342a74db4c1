"""Secrets never reach state files or agents."""

from __future__ import annotations

import pytest

from deploystate.state.ledger.redact import MASK, redact, redact_obj, secret_name


@pytest.mark.parametrize("text,secret", [
    ("AWS key AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("DISCORD_BOT_TOKEN=MTIzNDU2.abcdef", "MTIzNDU2"),
    ('ANTHROPIC_API_KEY="sk-ant-abcdefghijklmnopqrstuvwxyz"', "sk-ant-abcdef"),
    ("CELERY_BROKER_URL=amqp://leadbot:hunter2@rabbit:5672//", "hunter2"),
    ("db password: correct-horse", "correct-horse"),
])
def test_known_secret_shapes_are_masked(text: str, secret: str) -> None:
    """Keys, tokens, *_KEY= values and URL credentials are replaced by the mask."""
    out = redact(text)
    assert secret not in out and MASK in out


def test_ordinary_text_is_left_alone() -> None:
    """Log lines without secrets pass through unchanged."""
    line = "RL model made 5 decisions; monkey=ok; exit code 137 (OOMKilled)"
    assert redact(line) == line


def test_secret_names() -> None:
    """Secret-looking names are recognised by their words, not by substrings."""
    assert secret_name("OPENAI_API_KEY") and secret_name("accessToken") and secret_name("db.password")
    assert not secret_name("monkey") and not secret_name("keyboard") and not secret_name("tokens_used_total")


def test_nested_objects_are_redacted_by_key_and_by_value() -> None:
    """Values under secret keys and secret shapes inside strings are masked at any depth."""
    out = redact_obj({"env": {"GOOGLE_API_KEY": "AIzaSyExample", "MODE": "live"},
                      "lines": ["token abcdefghijklmnopqrstu"], "count": 3})
    assert out == {"env": {"GOOGLE_API_KEY": MASK, "MODE": "live"}, "lines": [f"token {MASK}"], "count": 3}


def test_error_evidence_is_not_mistaken_for_a_secret() -> None:
    """KeyError: 'batch_size' and api_key_id=… are evidence, not secrets, and stay readable."""
    text = "KeyError: 'batch_size'; api_key_id=AK123; SECRET_KEY_BASE=abc"
    out = redact(text)
    assert "KeyError: 'batch_size'" in out and "api_key_id=AK123" in out and "abc" not in out


from tests.state.secrets_table import KEEP, SECRETS  # noqa: E402


def test_the_table_plants_at_least_40_secrets() -> None:
    """The end-to-end table is big enough to cover every shape the issue lists."""
    assert len(SECRETS) >= 40


@pytest.mark.parametrize("text,secret", SECRETS, ids=[s[:24] for s, _ in SECRETS])
def test_planted_secret_is_masked(text: str, secret: str) -> None:
    """Each planted secret shape (labels, JSON/YAML fields, provider tokens, keys, URLs, -u) is masked."""
    out = redact(text)
    assert secret not in out and MASK in out, out


@pytest.mark.parametrize("text", KEEP)
def test_ordinary_evidence_survives(text: str) -> None:
    """Commit hashes, ids, digests, paths and counters are not mistaken for secrets."""
    assert redact(text) == text


def test_redaction_is_idempotent_and_keeps_json_quotes() -> None:
    """Masking twice changes nothing more, and a JSON value keeps its quotes."""
    once = redact('{"password": "x1y2z3", "db": "PGPASSWORD=abc"}')
    assert redact(once) == once and '"password": "[REDACTED]"' in once and "abc" not in once


def test_redaction_stays_linear_on_hostile_input() -> None:
    """A megabyte of name:value-looking text is redacted in bounded time (no regex blow-up)."""
    import time

    started = time.monotonic()
    redact("a:" * 200_000 + "x" * 100_000 + " DB_PASSWORD=" * 20_000)
    assert time.monotonic() - started < 60  # generous: quadratic behaviour takes hours here
