"""Remove secrets from text before it is written to state or shown to an agent (pure)."""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # AWS access key ids and secret keys
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"), r"\1" + MASK),
    # Authorization headers and bearer tokens
    (re.compile(r"(?i)\b(bearer|bot|token|basic)\s+[A-Za-z0-9._~+/=-]{12,}"), r"\1 " + MASK),
    # credentials inside URLs: scheme://user:pass@host (bounded runs keep every pattern linear)
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{0,30}://)([^/\s:@]{1,256}):([^/\s@]{1,512})@"), r"\1\2:" + MASK + "@"),
    # common provider token shapes
    (re.compile(r"\b(sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}"
                r"|AIza[0-9A-Za-z_-]{30,})"), MASK),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
]


# NAME_KEY=value, NAME_TOKEN: value, NAME_SECRET="value", PASSWORD=... The name is matched
# loosely and checked in Python: one regex with a nested "any name containing KEY" is quadratic.
_ASSIGN = re.compile(r"\b([A-Za-z0-9_.-]{1,80})(\s{0,5}[=:]\s{0,5})(\"[^\"\n]{0,4096}\"|'[^'\n]{0,4096}'|[^\s,;&\"']{1,4096})")
_SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential",
                           "credentials", "secretkey", "accesskey", "privatekey"})
_SPLIT = re.compile(r"[_.\-]|(?<=[a-z])(?=[A-Z])")


_STRONG_WORDS = frozenset({"secret", "password", "passwd", "token", "credentials", "credential"})
_NOT_A_VALUE = frozenset({"error", "exception", "id", "name", "file", "path", "type", "length", "count", "size",
                          "url", "field", "missing"})


def secret_name(name: str) -> bool:
    """True for OPENAI_API_KEY, db.password, accessToken, SECRET_KEY_BASE; false for monkey, keyboard,
    KeyError or api_key_id (a name ending in error/id/file... holds no secret)."""
    parts = [p.lower() for p in _SPLIT.split(name) if p]
    if not parts or parts[-1] in _NOT_A_VALUE:
        return False
    return parts[-1] in _SECRET_WORDS or any(p in _STRONG_WORDS for p in parts)


def _assign(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2) + MASK if secret_name(m.group(1)) else m.group(0)


def redact(text: str) -> str:
    """Return ``text`` with every known secret shape replaced by ``[REDACTED]``."""
    text = _ASSIGN.sub(_assign, text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_obj(value: Any) -> Any:
    """Redact every string inside nested dicts/lists; keys whose name says secret lose their value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and (secret_name(k) or k.lower() == "authorization") and isinstance(v, str) and v:
                out[k] = MASK
            else:
                out[k] = redact_obj(v)
        return out
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value

