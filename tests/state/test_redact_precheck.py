"""The pre-check that skips compiling redaction's patterns never lets a secret through."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, strategies as st

from deploystate.state.ledger import redact as redaction
from tests.state.secrets_table import KEEP, SECRETS

# Pieces a runtime's text is made of, and every trigger's neighbourhood: words the patterns look for (in
# several cases, with the characters re folds to ASCII letters under IGNORECASE: ſ, the Kelvin sign, ı, İ), separators,
# base64 runs around 40, URL and command-line shapes.
FRAGMENTS = ["key", "KEY", "Key", "token", "Token", "secret", "pass", "PASSWORD", "pwd", "credential", "bearer",
             "Bearer", "BOT", "bot", "basic", "Basic", "baſic", "to\u212aen", "paſſword", "bı", "İ", "ı", "ſ", "\u212a",
             "=", ":", ": ", " ", "\t", "\n", '"', "'", "\\\"", "://", "@", "-u", "--user", "--", "-", "_", ".",
             "AKIA", "ASIA", "sk-", "ghp_", "github_pat_", "glpat-", "xoxb-", "xapp-", "sk_live_", "whsec_",
             "AIza", "npm_", "pypi-", "eyJ", "-----BEGIN RSA PRIVATE KEY-----", "A1b2C3d4E5", "abcdefghij",
             "0123456789", "/", "+", "x" * 39, "Ab1/" * 10, "Ab1" * 14, "restart", "worker", "exit 137", "OOM",
             "api", "db", "AUTH", "X-Api-", "admin", "host"]


@pytest.mark.parametrize("text,secret", SECRETS)
def test_every_planted_secret_is_not_cleared(text: str, secret: str) -> None:
    """No planted secret's text is cleared by the pre-check (each goes through every pattern)."""
    assert not redaction._clear(text)
    assert secret not in redaction.redact(text)


# One text per trigger of ``_clear``, holding no other trigger: every pass changes it, so the pre-check must not
# clear it (a trigger dropped from the list fails its line here).
ONE_TRIGGER = ["-----BEGIN RSA PRIVATE KEY-----\nabc", "token abcdefghijklmnop", "client_secret=abc", "SMTP_PASS=abc",
               "MYSQL_PWD=abc", "credential: abc", "bearer abcdefghijklmnop", "bot abcdefghijklmnop",
               "basic abcdefghijklmnop", "redis://app:pw@cache", "curl -u admin:pw1 host",
               *(f"id {p}ABCDEFGHIJKLMNOP" for p in ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "AIPA")),
               "sk-" + "a" * 20, *(f"gh{c}_" + "a" * 20 for c in "pousr"), "github_pat_" + "a" * 20,
               "glpat-" + "a" * 16, "xoxb-" + "a" * 10, "xapp-" + "a" * 10, "sk_live_" + "a" * 10,
               "rk_test_" + "a" * 10, "whsec_" + "a" * 16, "AIza" + "a" * 30, "npm_" + "a" * 30, "pypi-" + "ab-" * 14,
               "eyJabcdefgh.eyJabcdefgh.abc", "A1b2C3d4E5" * 4]


@pytest.mark.parametrize("text", ONE_TRIGGER)
def test_each_trigger_alone_is_not_cleared(text: str) -> None:
    """A text that only one trigger could flag is still redacted."""
    assert redaction._redact_all(text) != text
    assert redaction.redact(text) == redaction._redact_all(text)


@pytest.mark.parametrize("text", KEEP + ["restart worker: exit 137", "no answer within the 4s deadline"])
def test_clear_and_full_agree_on_ordinary_text(text: str) -> None:
    """Ordinary evidence comes through the same whether the pre-check clears it or not."""
    assert redaction.redact(text) == redaction._redact_all(text) == text


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join) | st.text(max_size=60))
@example("Authorization: baſic dXNlcjpiYXNpY1Bhc3N3b3JkMTIz")  # ſ folds to s under IGNORECASE
@example("to\u212aen abcdefghijklmnopqrstu")  # the Kelvin sign folds to k
@example("bot abcdefghijklmnop")
@example("Ab1/Ab1/Ab1/Ab1/Ab1/Ab1/Ab1/Ab1/Ab1/Ab1/")
def test_redact_equals_every_pass(text: str) -> None:
    """``redact`` (with its pre-check) gives what every pass gives, on any text."""
    assert redaction.redact(text) == redaction._redact_all(text)


def test_clearing_a_text_compiles_no_pattern() -> None:
    """A text with no trigger is redacted without compiling a pattern (the ~14M instructions a state
    process spent at import)."""
    code = ("from deploystate.state.ledger import redact as r\n"
            "assert r.redact('restart worker: exit 137 at 2026-12-02') == 'restart worker: exit 137 at 2026-12-02'\n"
            "assert len(r._PATTERNS) == 0, 'compiled'\n"
            "assert r.redact('password=x') != 'password=x' and len(r._PATTERNS) == 1\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("text,secret", [(t, s) for t, s in SECRETS if len(t) <= redaction.SHORT_CHARS])
def test_a_short_text_asked_again_is_redacted_again(text: str, secret: str) -> None:
    """A short text is decided once per process and kept: asked again (as every record repeats an author or a
    file), the answer is the redacted text, never the text as given."""
    redaction._SHORT.clear()
    first = redaction.redact(text)
    assert redaction._SHORT[text] == first
    assert redaction.redact(text) == first == redaction._redact_all(text)
    assert secret not in redaction.redact(text)


def test_the_short_texts_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``MAX_SHORT`` texts the kept answers start again: a server's memory does not grow with its records."""
    monkeypatch.setattr(redaction, "MAX_SHORT", 8)
    redaction._SHORT.clear()
    for i in range(20):
        assert redaction.redact(f"restart worker {i}") == f"restart worker {i}"
        assert len(redaction._SHORT) <= 8
    assert len(redaction.redact("x" * (redaction.SHORT_CHARS + 1))) == redaction.SHORT_CHARS + 1
    assert "x" * (redaction.SHORT_CHARS + 1) not in redaction._SHORT
