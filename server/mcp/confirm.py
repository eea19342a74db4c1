"""Confirmation of destructive MCP calls (restart without dry_run, rollback, any ``force``).

Why: the model fills ``force`` and ``reason`` itself, so an argument is no
confirmation. Two ways to get a real one:

1. **Elicitation**, where the client declared it: before the tool body runs, a
   resolver (the SDK's ``Resolve``; it speaks both the handshake-era
   ``elicitation/create`` request and the 2026-07-28 ``InputRequiredResult``
   round trip) computes the plan and asks the user to confirm THAT plan. The
   body recomputes the plan and refuses when it is not the one confirmed.
2. **A confirm token**, for clients without elicitation: a dry run returns a
   token bound (HMAC with a per-process secret) to the digest of the plan it
   showed and to an expiry; the real call must pass it and is refused when the
   plan it would now run is a different one (a new commit, another service, a
   changed target), when it expired, or when it was made by another server.

A declined, cancelled, expired or mismatched confirmation raises ``Refused``
before anything runs, and the message says nothing was done.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, Field

from deploystate.state.errors import Refused

TOKEN_TTL = 600.0      # seconds a dry run's token stays good: long enough to show the plan and ask
MAX_ASKED = 1000


class Confirm(BaseModel):
    """What the elicitation asks the user (a flat, primitive schema as the spec requires)."""

    confirm: bool = Field(title="Do it", description="Yes: run exactly the plan shown. No: change nothing.")


def digest(plan: Any) -> str:
    """A stable digest of a plan (any JSON-able value): what a confirmation is bound to."""
    blob = json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Pending:
    """A destructive call about to run: the plan's digest and the words a user must agree to."""

    digest: str
    summary: str


@dataclass
class Confirmations:
    """One per server process: the token secret, and which plan each elicitation asked about."""

    ttl: float = TOKEN_TTL
    clock: Callable[[], float] = time.time
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _asked: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- tokens (clients without elicitation) -----------------------------------------------------
    def issue(self, tool: str, plan_digest: str) -> tuple[str, float]:
        expires = int(self.clock() + self.ttl)
        return f"{expires}.{self._mac(tool, plan_digest, expires)}", float(expires)

    def check(self, tool: str, plan_digest: str, token: str | None) -> str | None:
        """Why ``token`` does not confirm this plan now (None: it does)."""
        if not token:
            return "no confirmation: this call needs the confirm token of a dry run of the same plan"
        head, _, mac = token.partition(".")
        if not head.isdigit() or not mac:
            return "the confirm token is malformed"
        if self.clock() > int(head):
            return "the confirm token expired"
        if not hmac.compare_digest(mac, self._mac(tool, plan_digest, int(head))):
            return ("the confirm token does not match this plan: the plan changed since the dry run that "
                    "issued it (or the token is from another server)")
        return None

    def _mac(self, tool: str, plan_digest: str, expires: int) -> str:
        msg = f"{tool}|{plan_digest}|{expires}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32]

    # -- elicitation ------------------------------------------------------------------------------
    def asked(self, request_id: str, plan_digest: str) -> None:
        with self._lock:
            if len(self._asked) >= MAX_ASKED:
                self._asked.pop(next(iter(self._asked)))
            self._asked[request_id] = plan_digest

    def asked_about(self, request_id: str | None) -> str | None:
        with self._lock:
            return self._asked.pop(request_id, None) if request_id else None


def require(confs: Confirmations, tool: str, pending: Pending, outcome: Any, request_id: str | None,
            token: str | None, undone: str) -> str:
    """Raise Refused unless ``pending`` is confirmed; return how ("elicitation" or "token").

    ``outcome`` is what the elicitation resolver produced (None or accepted-without-data when the
    client could not be asked); ``undone`` says what did not happen ("nothing was restarted")."""
    action = getattr(outcome, "action", None)
    data = getattr(outcome, "data", None)
    asked = confs.asked_about(request_id)
    if action in ("decline", "cancel"):
        raise Refused(f"the user {action}d the confirmation of {tool}: {undone}",
                      "ask the user what to do instead; do not retry the same call unasked")
    if action == "accept" and isinstance(data, Confirm):
        if not data.confirm:
            raise Refused(f"the user answered no to {tool}: {undone}", "ask the user what to do instead")
        if asked != pending.digest:
            raise Refused(f"the plan changed while the user was confirming it: {undone}",
                          f"call {tool} again; the user will be asked about the new plan")
        return "elicitation"
    problem = confs.check(tool, pending.digest, token)
    if problem:
        raise Refused(f"{problem}: {undone}",
                      f"call {tool} with dry_run=true, show its plan to the user, and when they agree call it "
                      "again with the same arguments plus confirm=<the confirm_token it returned>")
    return "token"
