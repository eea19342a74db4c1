"""The SDK glue of confirmation: a ``Resolve`` resolver that asks the user through MCP elicitation.

The resolver runs before the tool body on every call of a tool registered with
``ctx.tool(..., confirm=planner)``. When the call needs confirmation (the
planner returns a ``confirm.Pending``) and the client can be asked, it returns
``Elicit(message, Confirm)``; the SDK then asks (``elicitation/create`` on
handshake-era connections, an ``InputRequiredResult`` round trip on 2026-07-28)
and hands the answer to the body. Otherwise it returns None and the body falls
back to the confirm-token path. Any error here also means "not asked": the
body then refuses without a token (fail closed) or reports the real error.
"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated, Any, Callable

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel

from deploystate.state.ledger.redact import redact

from .confirm import Confirm, Confirmations, Pending

CONFIRM_PARAM = "deploystate_confirmation"
INPUT_REQUIRED_VERSION = "2026-07-28"
MESSAGE_MAX = 3000


def can_elicit(context: Any) -> bool:
    """Whether this client declared form elicitation and this connection can carry the question."""
    caps = getattr(context, "client_capabilities", None)
    el = getattr(caps, "elicitation", None)
    if el is None or (el.form is None and el.url is not None):  # url-only cannot ask a yes/no
        return False
    from mcp_types.version import is_version_at_least

    version = context.protocol_version
    if version and is_version_at_least(version, INPUT_REQUIRED_VERSION):
        return True  # asked through InputRequiredResult: no back channel needed
    return bool(context.session.can_send_request)


def message(tool: str, pending: Pending) -> str:
    text = (f"deploystate {tool}: {pending.summary}\n\nConfirm to run exactly this plan; "
            "decline to change nothing.")
    return redact(text)[:MESSAGE_MAX]


def resolver(confs: Confirmations, tool: str, input_model: type[BaseModel],
             planner: Callable[[Any], Pending | None]) -> Callable[..., Any]:
    """A resolver taking the tool's arguments by name plus the Context (the SDK's by-name rule)."""
    def confirm_resolver(**kwargs: Any) -> Elicit[Confirm] | None:
        context = kwargs.pop("context")
        try:
            if not can_elicit(context):
                return None
            pending = planner(input_model.model_validate(kwargs))
            if pending is None:
                return None
            confs.asked(context.request_id, pending.digest)
            return Elicit(message(tool, pending), Confirm)
        except Exception as exc:  # not asked: the body refuses without a token, or reports the error itself
            print(f"deploystate serve: could not ask to confirm {tool}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return None

    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in input_model.model_fields]
    params.append(inspect.Parameter("context", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    confirm_resolver.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    confirm_resolver.__annotations__ = {"context": Context, "return": Elicit[Confirm] | None}
    # The SDK keys answers by module:qualname across rounds: stable and per tool.
    confirm_resolver.__qualname__ = confirm_resolver.__name__ = f"confirm_{tool}"
    return confirm_resolver


def parameter(confs: Confirmations, tool: str, input_model: type[BaseModel],
              planner: Callable[[Any], Pending | None]) -> tuple[inspect.Parameter, Any]:
    """The extra tool-function parameter that receives the elicitation outcome."""
    annotation = Annotated[ElicitationResult[Confirm], Resolve(resolver(confs, tool, input_model, planner))]
    return inspect.Parameter(CONFIRM_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=annotation), annotation
