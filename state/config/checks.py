"""Check entries of deploystate.toml: one pydantic model per ``type``, in a registry.

The config loader validates ``checks`` through ``CHECK_TYPES`` by the ``type``
key, so a new check type is one model plus ``register_check`` here and its
runner in ``deploystate.verify``; the loader does not change.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny, WithJsonSchema, field_validator

from deploystate.state.ledger.ids import parse_duration


def _seconds(v: Any) -> float:
    try:
        return parse_duration(v)
    except ValueError as exc:
        raise ValueError(str(exc)) from exc


# In the JSON Schema a duration is seconds or a string such as "90s", "30m", "1h30m" (what _seconds reads).
DURATION_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0},
                             {"type": "string", "pattern": r"^\s*([0-9.]+(ms|s|m|h|d))+\s*$"}]}
Duration = Annotated[float, BeforeValidator(_seconds), WithJsonSchema(DURATION_SCHEMA)]


def _regex(v: str) -> str:
    """Compile when the config loads: a bad pattern is a config error, not a check that errors later."""
    try:
        re.compile(v)
    except re.error as exc:
        raise ValueError(f"invalid regex {v!r}: {exc}") from exc
    return v


Regex = Annotated[str, AfterValidator(_regex)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CheckBase(Strict):
    """Fields every check has: a name, a timeout, and Argo-style soak settings."""

    type: str
    name: str = ""
    timeout: Duration = 30.0
    interval: Duration = 0.0          # seconds between measurements when count > 1
    count: int = Field(1, ge=1, le=1000)
    failure_limit: int = Field(0, ge=0)  # failed measurements allowed before the check fails
    service: str | None = None        # [[preflight]] only: the service whose platform/restart a check reads

    def label(self) -> str:
        return self.name or self.type


class HttpCheck(CheckBase):
    type: Literal["http"] = "http"
    url: str
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: int = 200
    body_contains: str | None = None
    body_regex: Regex | None = None
    headers: dict[str, str] = Field(default_factory=dict)          # sent with the request
    expect_headers: dict[str, str] = Field(default_factory=dict)   # response header -> substring it must hold
    retries: int = Field(3, ge=0, le=100)                          # extra attempts while the answer is wrong
    retry_delay: Duration = 1.0


class LogsCheck(CheckBase):
    type: Literal["logs"] = "logs"
    must_match: list[Regex] = Field(default_factory=list)
    must_not_match: list[Regex] = Field(default_factory=lambda: [r"(?i)\btraceback\b", r"(?i)\berror\b"])
    window: Duration = 300.0          # how far back from now, never before the restart
    previous: bool = False            # also read the previous container instance (after a crash)


class RevisionCheck(CheckBase):
    type: Literal["revision"] = "revision"


class RolloutCheck(CheckBase):
    type: Literal["rollout"] = "rollout"
    max_restarts: int = Field(0, ge=0)


class EventBridgeRulesCheck(CheckBase):
    type: Literal["eventbridge_rules"] = "eventbridge_rules"
    names: list[str] = Field(default_factory=list)
    prefix: str | None = None
    event_bus: str = "default"
    region: str | None = None
    endpoint_url: str | None = None
    ecs_cluster: str | None = None     # when set, ECS targets must use the service's current task definition
    ecs_service: str | None = None


class SageMakerEndpointCheck(CheckBase):
    type: Literal["sagemaker_endpoint"] = "sagemaker_endpoint"
    endpoint: str
    endpoint_config: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


class CloudWatchLogsCheck(CheckBase):
    type: Literal["cloudwatch_logs"] = "cloudwatch_logs"
    log_group: str
    filter_pattern: str = ""
    mode: Literal["must_match", "must_not_match"] = "must_not_match"
    window: Duration = 300.0
    region: str | None = None
    endpoint_url: str | None = None


class ConfigRefsCheck(CheckBase):
    type: Literal["config_refs"] = "config_refs"
    configmap: str | None = None
    env_file: str | None = None
    namespace: str | None = None
    ignore: list[str] = Field(default_factory=list)


class CommandCheck(CheckBase):
    type: Literal["command"] = "command"
    argv: list[str] = Field(min_length=1)
    expect_exit: int = 0
    stdout_regex: Regex | None = None

    @field_validator("argv")
    @classmethod
    def _strings(cls, v: list[str]) -> list[str]:
        if not all(isinstance(a, str) and a for a in v):
            raise ValueError("argv must be a list of non-empty strings")
        return v


CHECK_TYPES: dict[str, type[CheckBase]] = {}


def register_check(model: type[CheckBase]) -> type[CheckBase]:
    CHECK_TYPES[model.model_fields["type"].default] = model
    return model


for _model in (HttpCheck, LogsCheck, RevisionCheck, RolloutCheck, EventBridgeRulesCheck, SageMakerEndpointCheck,
               CloudWatchLogsCheck, ConfigRefsCheck, CommandCheck):
    register_check(_model)


def parse_check(value: Any) -> CheckBase:
    """Validate one check table by its ``type``; the error lists the valid types."""
    if isinstance(value, CheckBase):
        return value
    if not isinstance(value, dict):
        raise ValueError("a check must be a table with a 'type' key")
    kind = value.get("type")
    model = CHECK_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ValueError(f"unknown check type {kind!r}; valid types: {', '.join(sorted(CHECK_TYPES))}")
    return model.model_validate(value)


Check = Annotated[SerializeAsAny[CheckBase], BeforeValidator(parse_check)]
