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
    # NAME_KEY=value, NAME_TOKEN: value, NAME_SECRET="value", PASSWORD=...
    (re.compile(r"(?i)\b([A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)[A-Z0-9_]*)"
                r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)"), r"\1\2" + MASK),
    # credentials inside URLs: scheme://user:pass@host
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@"), r"\1\2:" + MASK + "@"),
    # common provider token shapes
    (re.compile(r"\b(sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}"
                r"|AIza[0-9A-Za-z_-]{30,})"), MASK),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
]


def redact(text: str) -> str:
    """Return ``text`` with every known secret shape replaced by ``[REDACTED]``."""
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
            if isinstance(k, str) and _SECRET_KEY.search(k) and isinstance(v, str) and v:
                out[k] = MASK
            else:
                out[k] = redact_obj(v)
        return out
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value


_SECRET_KEY = re.compile(r"(?i)(secret|token|password|passwd|api_?key|access_?key|credential|authorization)")
