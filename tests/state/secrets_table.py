"""Planted secrets (text, the secret part that must never appear) and non-secrets that must survive.

Shared by the unit test of ``redact`` and the end-to-end test through the ledger, the audit log,
DEPLOYMENT_STATE.md and MCP replies. The values are fakes built to look like the real formats.
"""

from __future__ import annotations

A36 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # 36 alphanumerics, the length GitHub uses
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
       ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
KEY_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"

SECRETS: list[tuple[str, str]] = [
    # the five shapes the issue found leaking
    ("env: DB_PASSWORD=s3cr3tPa55word", "s3cr3tPa55word"),
    ('{"password": "hunter2-json-pw"}', "hunter2-json-pw"),
    ("PGPASSWORD=pgSecret991 psql -h db -U app", "pgSecret991"),
    ("curl -u admin:curlPass7781 https://api.internal/v1", "curlPass7781"),
    ("headers: X-Api-Key: xak91827364556", "xak91827364556"),
    # GitHub, GitLab, Slack, Stripe, npm, PyPI, Google, OpenAI-style
    (f"pushed with ghp_{A36}", f"ghp_{A36}"),
    (f"oauth gho_{A36} expired", f"gho_{A36}"),
    (f"app token ghs_{A36}", f"ghs_{A36}"),
    ("fine grained github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCD"),
    ("gitlab glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm", "glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm"),
    ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("user token xoxp-111122223333-444455556666-777788889999-abcdef0123456789abcdef0123456789",
     "abcdef0123456789abcdef0123456789"),
    ("socket xapp-1-A0123456789-1234567890123-abcdef0123456789", "abcdef0123456789"),
    ("stripe sk_live_51HabcdefGHIJKLmnopQRSTuv", "sk_live_51HabcdefGHIJKLmnopQRSTuv"),
    ("restricted rk_live_51HabcdefGHIJKLmnopQRSTuv", "rk_live_51HabcdefGHIJKLmnopQRSTuv"),
    ("webhook whsec_AbCdEfGhIjKlMnOpQrSt0123", "whsec_AbCdEfGhIjKlMnOpQrSt0123"),
    ("npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 in .npmrc", "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NQ",
     "AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NQ"),
    ("maps key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
    # AWS
    ("access key AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE"),
    ("session ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    ('{"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}', "je7MtGbClwBF/2Zp9Utk"),
    ("leaked 9drTJvcXLB89EXAMPLEKEYabcd/Q4Zx8Vw2Lk3Jh alone", "9drTJvcXLB89EXAMPLEKEYabcd"),
    # JWTs, bearer and basic auth
    (f"cookie value {JWT}", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    ("Authorization: Bearer opaqueBearer0123456789abcdef", "opaqueBearer0123456789abcdef"),
    ("Authorization: Basic dXNlcjpiYXNpY1Bhc3N3b3JkMTIz", "dXNlcjpiYXNpY1Bhc3N3b3JkMTIz"),
    # private keys, whole and clipped
    (f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----", KEY_BODY[:40]),
    (f"key file: -----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}", KEY_BODY[:40]),
    # credentials in URLs and on command lines
    ("DATABASE_URL=postgres://app:dbUrlPw55@db:5432/app", "dbUrlPw55"),
    ("connecting to redis://:redisPw77@cache:6379/0", "redisPw77"),
    ("clone https://x-access-token:cloneTok4455@git.example.com/org/repo", "cloneTok4455"),
    ("mysql --password=cliPw4455 -h db", "cliPw4455"),
    ("deploy --token cliTok99887766 --yes", "cliTok99887766"),
    ("wget --user=bot --password hunterWget12 https://x", "hunterWget12"),
    # assignments, YAML and JSON fields
    ("MYSQL_PWD=mysqlPw8888", "mysqlPw8888"),
    ("SMTP_PASS=smtpPass2211 sendmail", "smtpPass2211"),
    ("export API_KEY='quotedKey3344'", "quotedKey3344"),
    ("password: yamlPw123", "yamlPw123"),
    ("  client_secret: yamlSecretXyz", "yamlSecretXyz"),
    ('"api_token": "jsonTok123456"', "jsonTok123456"),
    ('{"secret": "jsonSecretAbcdef", "mode": "live"}', "jsonSecretAbcdef"),
    ("{'password': 'reprPw1234'}", "reprPw1234"),
    ('payload {\\"password\\": \\"escPw2222\\"}', "escPw2222"),
    ("X-Auth-Token: xat11223344", "xat11223344"),
    ("accessToken=camelTok5566", "camelTok5566"),
    ("AUTH_TOKEN: authTok998877", "authTok998877"),
]

# Ordinary evidence that must come through unchanged.
KEEP: list[str] = [
    "799b25f19bad433e161960e575bacc514d3ccd6f",
    "running 799b25f19b, HEAD 8bfa743814",
    "verification 01JD6Q8ZB0K2X3Y4Z5A6B7C8D9 failed",
    "request 123e4567-e89b-12d3-a456-426614174000",
    "image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "tokens_used_total=512",
    "api_key_id=AK123",
    "KeyError: 'batch_size'",
    "exit code 137 (OOMKilled)",
    "password_length: 12",
    "pass: 3 fail: 1",
    "verdict: pass",
    "src/app/models/user.py:42",
    "image: registry.local/shop/api:1.4.2",
    "GET http://localhost:8080/health returned 200",
    "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
    "started 2026-11-22T00:43:00Z",
    "pod api-7d4b9c8f6d-x2x9z CrashLoopBackOff",
    "x-request-id: 8f14e45f",
]
