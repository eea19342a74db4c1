"""What every MCP tool family gets: ``ctx`` (project discovery, services, author, audit, read-only) and
``ctx.tool(...)``, which turns a typed handler into an MCP tool.

A family module (``server/tools/<family>.py``) writes::

    def register(server, ctx):
        @ctx.tool(RestartInput, RestartOutput, read_only=False, destructive=True, idempotent=False,
                  open_world=True)
        def restart_affected(args: RestartInput, call: Call) -> RestartOutput:
            \"\"\"The description the agent reads.\"\"\"
            project = ctx.require_state()
            ...

``ctx.tool`` publishes the input model's fields as the tool's arguments (limits
and descriptions included), validates them with the model, returns the output
model as structured content (its ``render_text()`` as the text an agent reads),
turns a ``DeploystateError`` into a readable tool error (message + next step).
Every tool is registered whatever the mode: ``mcp_app.DeploystateServer``
lists only what the mode allows and refuses the rest when called
(``deploystate.server.mcp.modes``). Auditing, unknown arguments and SDK-level
validation errors are handled for every tool there too.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, TypeVar

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from deploystate.ospath import is_dir
from deploystate.state.view import cache
from deploystate.state.git.author import current_author
from deploystate.state.errors import DeploystateError, InputError, StateMissing
from deploystate.state.config.project import CONFIG_NAME, Project

from . import derived, elicit, trust, warm
from .audit import AuditLog
from .confirm import Confirmations, Pending, require
from .progress import LogLevels, Reporter
from .tool_errors import error_result, validation_message
from .models import ToolOutput
from .viewcache import ViewCache

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=ToolOutput)
Handler = Callable[[Any, "Call"], ToolOutput]
CONTEXT_PARAM = "mcp_context"


@dataclass
class Call:
    """One tool call as a handler sees it: which tool, which client, and who to record as the author."""

    tool: str
    ctx: "ToolContext"
    client: str | None = None
    progress: Reporter = field(default_factory=Reporter)  # progress/log notifications (quiet without a client)
    confirmation: Any = None      # the elicitation outcome (tools registered with confirm=...)
    request_id: str | None = None

    def author(self) -> dict[str, Any]:
        return self.ctx.author(self.client)

    def confirm(self, pending: Pending, token: str | None, undone: str) -> str:
        """Raise Refused unless the user confirmed ``pending`` (elicitation, or a dry run's token)."""
        return require(self.ctx.confirmations, self.tool, pending, self.confirmation, self.request_id, token,
                       undone)

    def confirm_token(self, pending: Pending) -> tuple[str, float]:
        """The token a dry run returns: it confirms exactly ``pending`` until it expires."""
        return self.ctx.confirmations.issue(self.tool, pending.digest)


def client_name(context: Any) -> str | None:
    """The MCP client's self-reported name (``clientInfo.name``), when the transport carried one."""
    try:
        params = context.request_context.session.client_params
        return params.client_info.name if params and params.client_info else None
    except (AttributeError, ValueError, LookupError):
        return None


@dataclass
class ToolContext:
    """Shared by every tool family: one per server process."""

    root: str | None = None
    mode: str = "full"  # deploystate.server.mcp.modes: read-only | verify | full
    transport: str = "stdio"
    server: Any = None
    session_id: str | None = None  # set by start_session over stdio (one client per process): records carry it
    views: ViewCache = field(default_factory=ViewCache)
    log_levels: LogLevels = field(default_factory=LogLevels)  # logging/setLevel per connection
    confirmations: Confirmations = field(default_factory=Confirmations)  # destructive calls (server.confirm)
    _project: tuple[Any, Project] | None = None
    _author: dict[str, Any] | None = None
    _config: tuple[Any, Any] | None = None

    # -- the project ------------------------------------------------------------------------------
    def project(self) -> Project:
        """The project (re-read when deploystate.toml changes); StateMissing says how to create one."""
        if self._project is not None:
            key, known = self._project
            if key == self._config_key(known.config_file):
                return known  # one stat per call instead of a directory walk and a TOML parse
        try:
            found = Project.discover(self.root)
        except StateMissing as exc:
            raise StateMissing(f"no deploystate project here: {exc.message}",
                               "run `deploystate init` at the root of the repository, or start the server with "
                               "`deploystate serve --root DIR`") from exc
        key = self._config_key(found.config_file)
        if key is not None:  # a config the schema rejects fails every tool (file, line, key), writing nothing
            self.config(found)
        if key is None:
            raise StateMissing(f"no {CONFIG_NAME} in {found.root}",
                               "run `deploystate init` there (it writes a starter config and the state directory), "
                               "or start the server with `deploystate serve --root DIR`")
        self._project = (key, found)
        return found

    @staticmethod
    def _config_key(config: str) -> tuple | None:
        try:
            st = os.stat(config)  # str paths on every call: a Path costs more than the stat
        except OSError:
            return None
        return (str(config), st.st_mtime_ns, st.st_size, os.environ.get("DEPLOYSTATE_STATE_DIR"),
                os.environ.get("DEPLOYSTATE_ROOT"))

    def config(self, project: Project) -> Any:
        """The validated config (``load_config``), parsed again only when deploystate.toml changes."""
        key = self._config_key(project.config_file)
        if self._config is None or key is None or self._config[0] != key:
            from deploystate.state.config.config import load_config
            self._config = (key, load_config(project.config_path))
        return self._config[1]

    def require_state(self) -> Project:
        """The project, which must have its state directory (``deploystate init`` makes it)."""
        project = self.project()
        if not is_dir(project.state_dirname):
            raise StateMissing(f"no state directory at {project.state_dir}",
                               "run `deploystate init` in the repository root to create it")
        return project

    def view(self, project: Project, observed: dict[str, Any] | None = None) -> dict[str, Any]:
        """The state view (``deploystate.state.view.view.build_view``), its ledger part cached while nothing it
        depends on changed; ``observed``: what the runtimes just said (default: the stored observation)."""
        return self.views.get(project, observed)

    def known_services(self, project: Project) -> list[str]:
        """Services named in deploystate.toml, plus any the ledger still knows about."""
        names = set(project.service_paths())
        try:
            names |= set(cache.load(project.ledger, write=False).state["services"])
        except (OSError, DeploystateError):
            pass
        return sorted(names)

    def check_services(self, project: Project, services: list[str]) -> list[str]:
        """Return ``services`` when every name is known; otherwise an InputError listing the known ones."""
        if not services or set(services) <= set(project.service_paths()):
            return services  # all configured: the ledger's list need not be read
        known = self.known_services(project)
        unknown = [s for s in services if s not in known]
        if unknown:
            listing = ", ".join(known) if known else "none (add [services.<name>] tables to deploystate.toml)"
            raise InputError(f"unknown service{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                             f"use one of the known services: {listing}")
        return services

    def author(self, client: str | None = None) -> dict[str, Any]:
        """Who a record is from: computed once per process (git config is a subprocess), then stamped."""
        if self._author is None:
            self._author = current_author(kind="agent")
        return {**self._author, "kind": "agent", "client": client or self._author.get("client") or "mcp",
                "session": self.session_id or self._author.get("session")}

    def audit(self) -> AuditLog | None:
        """The audit log of the current project, or None when there is no project to hold one."""
        try:
            return AuditLog(self.project().state_dirname)
        except DeploystateError:
            return None

    # -- registration -----------------------------------------------------------------------------
    def tool(self, input_model: type[In], output_model: type[Out], *, read_only: bool, destructive: bool = False,
             idempotent: bool = False, open_world: bool = False, title: str | None = None,
             name: str | None = None, confirm: Callable[[Any], Pending | None] | None = None
             ) -> Callable[[Handler], Handler]:
        """Register ``handler(args, call) -> output`` as an MCP tool; its docstring is the description.

        The hints are published as the tool's annotations: say honestly whether
        the tool changes anything (read_only), can undo or replace state
        (destructive), is safe to repeat (idempotent) and talks to systems
        outside the repository and state directory (open_world). ``confirm(args)`` returns the plan a
        call would run when it needs the user's confirmation (``deploystate.server.mcp.confirm``), else None;
        the handler then calls ``call.confirm(...)`` before acting."""
        def decorator(handler: Handler) -> Handler:
            tool_name = name or handler.__name__
            if not (handler.__doc__ or "").strip():
                raise TypeError(f"tool {tool_name} needs a docstring: it is the description agents read")
            annotations = ToolAnnotations(title=title, read_only_hint=read_only,
                                          destructive_hint=destructive if not read_only else False,
                                          idempotent_hint=idempotent or read_only, open_world_hint=open_world)
            self.server.add_tool(_as_mcp_function(self, tool_name, handler, input_model, output_model, confirm,
                                                  read_only),
                                 name=tool_name, title=title, description=inspect.cleandoc(handler.__doc__),
                                 annotations=annotations, structured_output=True)
            return handler
        return decorator


def _signature(input_model: type[BaseModel], output_model: type[BaseModel],
               extra: tuple[inspect.Parameter, Any] | None = None) -> tuple[inspect.Signature, dict]:
    """A keyword-only signature with one parameter per input field, carrying its limits and description."""
    params, annotations = [], {}
    for field_name, info in input_model.model_fields.items():
        published = copy.copy(info)
        default: Any = inspect.Parameter.empty
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
        # The default travels as the parameter default; pydantic refuses one inside Annotated.
        published.default, published.default_factory = PydanticUndefined, None
        annotation = Annotated[info.annotation, published]
        params.append(inspect.Parameter(field_name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=annotation))
        annotations[field_name] = annotation
    params.append(inspect.Parameter(CONTEXT_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    annotations[CONTEXT_PARAM] = Context
    if extra is not None:
        params.append(extra[0])
        annotations[extra[0].name] = extra[1]
    returns = Annotated[CallToolResult, output_model]
    annotations["return"] = returns
    return inspect.Signature(params, return_annotation=returns), annotations


def _as_mcp_function(ctx: ToolContext, tool_name: str, handler: Handler, input_model: type[BaseModel],
                     output_model: type[BaseModel], confirm: Callable[[Any], Pending | None] | None = None,
                     read_only: bool = False) -> Callable[..., CallToolResult]:
    """The function the SDK registers: validate, call, and turn the result or error into a CallToolResult.

    It is synchronous on purpose: the SDK runs it on a worker thread, so git
    and file I/O never block the event loop that serves other requests."""
    def tool_function(**kwargs: Any) -> CallToolResult:
        context = kwargs.pop(CONTEXT_PARAM, None)
        call = Call(tool=tool_name, ctx=ctx, client=client_name(context),
                    progress=Reporter(context, ctx.log_levels, tool_name) if context is not None else Reporter(),
                    confirmation=kwargs.pop(elicit.CONFIRM_PARAM, None), request_id=_request_id(context))
        try:
            args = input_model.model_validate(kwargs)
            warm.wait()  # the start-up check of the ledger, not a second one beside it
            distrust = trust.problems(ctx)  # the hooks' question, asked first by every tool
            if distrust and not read_only:
                return trust.refusal(tool_name, distrust)
            with derived.writing(not read_only):  # the derived files' background run waits for its appends
                out = handler(args, call)
        except ValidationError as exc:
            return error_result(validation_message(exc), "fix the arguments named above; the tool's input schema "
                                "lists every limit", "InputError")
        except DeploystateError as exc:
            return error_result(exc.message, exc.hint, type(exc).__name__)
        except Exception as exc:  # a bug must not take the server down, and the agent must hear about it
            traceback.print_exc(file=sys.stderr)
            return error_result(f"internal error in {tool_name}: {type(exc).__name__}: {exc}",
                                "this is a deploystate bug (the traceback is on the server's stderr); retry once, "
                                "then use the CLI and report it", "InternalError")
        structured = output_model.model_validate(out).structured()
        result = CallToolResult(content=[TextContent(type="text", text=out.render_text())],
                                structured_content=structured)
        return trust.warned(result, distrust) if distrust else result

    extra = elicit.parameter(ctx.confirmations, tool_name, input_model, confirm) if confirm else None
    signature, annotations = _signature(input_model, output_model, extra)
    tool_function.__signature__ = signature  # type: ignore[attr-defined]
    tool_function.__annotations__ = annotations
    tool_function.__name__ = tool_name
    tool_function.__qualname__ = tool_name
    tool_function.__doc__ = handler.__doc__
    return tool_function


def _request_id(context: Any) -> str | None:
    try:
        return context.request_id if context is not None else None
    except (AttributeError, ValueError):
        return None
