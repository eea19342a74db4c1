"""Remove secrets from text before it is written to state or shown to an agent (pure).

Two passes. First a scan for ``NAME<sep>value`` where the name says secret (``DB_PASSWORD=x``,
``"password": "x"``, ``X-Api-Key: x``, ``PGPASSWORD=x``); the scan never swallows a value whose
name is harmless, so ``env: DB_PASSWORD=x`` and ``headers: X-Api-Key: x`` are still seen. Then
fixed token shapes (provider prefixes, JWTs, key blocks, URL and ``-u`` credentials). Every
pattern has bounded runs so redaction stays linear on megabytes of logs.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    import re
    from typing import Any

MASK = "[REDACTED]"

# Compiling the patterns costs a process ~14M instructions (about 4 ms), so they are compiled on the first
# text that could hold a secret (``_compiled``); ``_clear`` below decides the common text without them.
_BASE64ISH = r"[A-Za-z0-9/+]"


_PATTERNS: list[tuple] = []  # compiled once, on the first text that needs them


def _compiled() -> tuple:
    """(name-separator scan, value, [(pattern, replacement)], bare AWS secret, name splitter, name hint)."""
    if _PATTERNS:
        return _PATTERNS[0]
    _PATTERNS.append(_compile())
    return _PATTERNS[0]


def _compile() -> tuple:
    # re here: a process whose texts are all cleared by ``_clear`` (a state read's) never imports it (~15M)
    import re

    # A name, an optional closing quote (JSON/Python keys), then = or : on the same line.
    name_sep = re.compile(r"\b([A-Za-z0-9_.-]{1,80}+)((?:\\?[\"'])?[ \t]{0,5}[=:][ \t]{0,5})")
    # The value after a secret name: quoted (also JSON-escaped quotes) or a bare run.
    value = re.compile(r"\\\"[^\"\\\n]{0,4096}\\\"|\"[^\"\n]{0,4096}\"|'[^'\n]{0,4096}'|[^\s,;&\"'}\])]{1,4096}")
    patterns: list[tuple[re.Pattern[str], str]] = [
        # private key blocks (whole, then a block clipped before its END line)
        (re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----.*?-----END [A-Z ]{0,40}PRIVATE KEY"
                    r"[A-Z ]{0,10}-----", re.S), MASK),
        (re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----[A-Za-z0-9+/=\s:,-]*"), MASK + "\n"),
        # AWS access key ids; AWS-style secret keys in a labelled assignment are caught by the name scan
        (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[0-9A-Z]{16}\b"), MASK),
        # Authorization headers and bearer tokens
        (re.compile(r"(?i)\b(bearer|bot|token|basic)\s+[A-Za-z0-9._~+/=-]{12,}"), r"\1 " + MASK),
        # credentials inside URLs: scheme://user:pass@host
        (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{0,30}://)([^/\s:@]{0,256}):([^/\s@]{1,512})@"), r"\1\2:" + MASK + "@"),
        # --password VALUE, --token VALUE (the = form is caught by the name scan)
        (re.compile(r"(?<!\S)(--(?:password|passwd|token|secret|api-key|apikey|access-token|auth-token))(\s{1,5})"
                    r"([^\s-][^\s]{0,1024})"), r"\1\2" + MASK),
        # curl/wget style -u user:pass, --user user:pass, --user=user:pass
        (re.compile(r"(?<!\S)(-u|--user|--proxy-user)(\s{1,5}|=)([\"']?)([^\s:\"']{1,256}):([^\s\"']{1,512})"),
         r"\1\2\3\4:" + MASK),
        # provider token shapes: OpenAI/Anthropic, GitHub, GitLab, Slack, Stripe, Google, npm, PyPI
        (re.compile(r"\b(?:sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
                    r"|glpat-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"
                    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{16,}"
                    r"|AIza[0-9A-Za-z_-]{30,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{40,})"), MASK),
        # JSON Web Tokens: three base64url parts, the first two are JSON objects ("eyJ")
        (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{0,1024}"), MASK),
    ]
    # A bare 40-character AWS secret access key: base64 alphabet with upper, lower and digits (a git
    # hash is lower-case hex, so commit ids never match).
    aws_secret = re.compile(rf"(?<![A-Za-z0-9/+=]){_BASE64ISH}{{40}}(?![A-Za-z0-9/+=])")
    split = re.compile(r"[_.\-]|(?<=[a-z])(?=[A-Z])")
    hint = re.compile(r"(?i)key|token|secret|pass|pwd|credential")
    return name_sep, value, patterns, aws_secret, split, hint


_SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential",
                           "credentials", "secretkey", "accesskey", "privatekey"})
_STRONG_WORDS = frozenset({"secret", "password", "passwd", "token", "credentials", "credential"})
# PGPASSWORD, MYSQLPASSWD, APITOKEN, CLIENTSECRET: one word that ends in a strong word.
_STRONG_SUFFIXES = ("password", "passwd", "secret", "token", "apikey")
_NOT_A_VALUE = frozenset({"error", "exception", "id", "name", "file", "path", "type", "length", "count", "size",
                          "url", "field", "missing", "ttl", "expiry", "expires", "header", "env"})

# What every pattern above needs in an ASCII text, lower-cased: a secret-name hint (the name scan, key
# blocks, --password/--token...; "token" and the header words for Authorization), "://" (URL credentials),
# "-u" (-u/--user/--proxy-user), an AWS key id's or a provider token's prefix, "eyj" (JWTs); a bare AWS
# secret needs a run of 40 base64 characters. Lower-casing is exact for ASCII only: with IGNORECASE, re
# matches "ſ" to s, "K" (Kelvin) to k, "ı"/"İ" to i, so any other text goes through every pattern.
_TRIGGERS = ("key", "token", "secret", "pass", "pwd", "credential", "bearer", "bot", "basic", "://", "-u",
             "akia", "asia", "agpa", "aida", "aroa", "anpa", "aipa", "sk-", "ghp_", "gho_", "ghu_", "ghs_",
             "ghr_", "github_pat_", "glpat-", "xox", "xapp-", "sk_", "rk_", "whsec_", "aiza", "npm_", "pypi-",
             "eyj")
_NOT_BASE64 = str.maketrans({chr(c): " " for c in range(128)
                             if not (chr(c).isascii() and (chr(c).isalnum() or chr(c) in "/+"))})


def _clear(text: str) -> bool:
    """True when no pattern can match ``text`` (decided without compiling them); False means: maybe."""
    if not text.isascii():
        return False
    if any(map(text.lower().__contains__, _TRIGGERS)):  # (map: no generator frame per trigger)
        return False
    return max(map(len, text.translate(_NOT_BASE64).split()), default=0) < 40


_NAMES: dict[str, bool] = {}  # secret_name is pure: a name asked again is answered from here
MAX_NAMES = 4096


def secret_name(name: str) -> bool:
    """True for OPENAI_API_KEY, db.password, accessToken, PGPASSWORD, X-Api-Key, DB_PASS; false for
    monkey, keyboard, KeyError, tokens_used_total or api_key_id (a name ending in error/id/file...
    holds no secret)."""
    known = _NAMES.get(name)
    if known is None:
        if len(_NAMES) >= MAX_NAMES:  # pragma: no mutate (a cache size: behaviour is the same)
            _NAMES.clear()
        known = _NAMES[name] = _secret_name(name)
    return known


def _secret_name(name: str) -> bool:
    _, _, _, _, split, hint = _compiled()
    if not hint.search(name):  # the common case, decided without splitting
        return False
    parts = [p.lower() for p in split.split(name) if p]
    if not parts or parts[-1] in _NOT_A_VALUE:
        return False
    last = parts[-1]
    return (last in _SECRET_WORDS or any(p in _STRONG_WORDS for p in parts) or last.endswith(_STRONG_SUFFIXES)
            or (last == "pass" and len(parts) > 1))


def _mask_value(value: str) -> str:
    """Keep the quotes around a masked value so JSON-looking text stays readable."""
    for q in ('\\"', '"', "'"):
        if len(value) >= 2 * len(q) and value.startswith(q) and value.endswith(q):
            return q + MASK + q
    return MASK


def _names(text: str, name_sep: re.Pattern[str], value: re.Pattern[str]) -> str:
    out: list[str] = []
    pos = 0
    for m in name_sep.finditer(text):  # harmless names are skipped past their separator only
        if m.start() < pos or text.startswith(MASK, m.end()) or not secret_name(m.group(1)):
            continue
        v = value.match(text, m.end())
        if v is not None:
            out.append(text[pos:m.end()] + _mask_value(v.group(0)))
            pos = v.end()
    out.append(text[pos:])
    return "".join(out)


def _aws_secret(m: re.Match[str]) -> str:
    s = m.group(0)
    mixed = any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
    return MASK if mixed and s.count("/") < 4 else s  # a path of 40 characters has many slashes


# Short texts redacted before (an author's name and client, a file, a service, an outcome: every record of a
# server repeats them): ``redact`` is pure, so each is decided once per process.
_SHORT: dict[str, str] = {}
SHORT_CHARS, MAX_SHORT = 256, 4096


def redact(text: str) -> str:
    """Return ``text`` with every known secret shape replaced by ``[REDACTED]``."""
    if len(text) > SHORT_CHARS:
        return text if _clear(text) else _redact_all(text)
    done = _SHORT.get(text)
    if done is None:
        if len(_SHORT) >= MAX_SHORT:  # pragma: no mutate (a cache size: behaviour is the same)
            _SHORT.clear()
        done = _SHORT[text] = text if _clear(text) else _redact_all(text)
    return done


def _redact_all(text: str) -> str:
    """Every pass over ``text`` (what ``redact`` does to a text ``_clear`` cannot clear)."""
    name_sep, value, patterns, aws_secret, _, _ = _compiled()
    text = _names(text, name_sep, value)
    for pattern, repl in patterns:
        text = pattern.sub(repl, text)
    return aws_secret.sub(_aws_secret, text)


def redact_obj(value: Any, memo: dict[str, str] | None = None) -> Any:
    """Redact every string inside nested dicts/lists; keys whose name says secret lose their value.
    ``memo`` (a bulk append's): strings already redacted, reused (``redact`` is pure)."""
    if isinstance(value, str):
        if memo is None:
            return redact(value)
        done = memo.get(value)
        if done is None:
            done = memo[value] = redact(value)
        return done
    if value is None or type(value) in (bool, int, float):  # the common leaves, decided at once
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and (secret_name(k) or k.lower() == "authorization") and isinstance(v, str) and v:
                out[k] = MASK
            else:
                out[k] = redact_obj(v, memo)
        return out
    if isinstance(value, (list, tuple)):
        return [redact_obj(v, memo) for v in value]
    return value
