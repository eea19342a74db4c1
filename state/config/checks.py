"""Check entries of deploystate.toml: one model per ``type`` (``fields``: standard library), in a registry.

The config loader validates ``checks`` through ``CHECK_TYPES`` by the ``type``
key, so a new check type is one model plus ``register_check`` here and its
runner in ``deploystate.verify``; the loader does not change.
"""

from __future__ import annotations

from .fields import BOOL, DURATION, INT, REGEX, STR, Choice, DictOf, Field, ListOf, Model, Opt, Tagged

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OPT_STR = Opt(STR)


class Strict(Model):
    """Frozen, extra keys refused (every model of the config)."""


class CheckBase(Strict):
    """Fields every check has: a name, a timeout, and Argo-style soak settings."""

    type = Field(STR)
    name = Field(STR, "")
    timeout = Field(DURATION, 30.0)
    interval = Field(DURATION, 0.0)          # seconds between measurements when count > 1
    count = Field(INT, 1, ge=1, le=1000)
    failure_limit = Field(INT, 0, ge=0)      # failed measurements allowed before the check fails
    service = Field(OPT_STR, None)           # [[preflight]] only: the service whose platform/restart a check reads

    def label(self) -> str:
        return self.name or self.type


class HttpCheck(CheckBase):
    type = Field(Choice("http"), "http")
    url = Field(STR)
    method = Field(Choice("GET", "HEAD", "POST"), "GET")
    expect_status = Field(INT, 200)
    body_contains = Field(OPT_STR, None)
    body_regex = Field(Opt(REGEX), None)
    headers = Field(DictOf(STR), factory=dict)          # sent with the request
    expect_headers = Field(DictOf(STR), factory=dict)   # response header -> substring it must hold
    retries = Field(INT, 3, ge=0, le=100)               # extra attempts while the answer is wrong
    retry_delay = Field(DURATION, 1.0)


class LogsCheck(CheckBase):
    type = Field(Choice("logs"), "logs")
    must_match = Field(ListOf(REGEX), factory=list)
    must_not_match = Field(ListOf(REGEX), factory=lambda: [r"(?i)\btraceback\b", r"(?i)\berror\b"])
    window = Field(DURATION, 300.0)          # how far back from now, never before the restart
    previous = Field(BOOL, False)            # also read the previous container instance (after a crash)


class RevisionCheck(CheckBase):
    type = Field(Choice("revision"), "revision")


class RolloutCheck(CheckBase):
    type = Field(Choice("rollout"), "rollout")
    max_restarts = Field(INT, 0, ge=0)


class EventBridgeRulesCheck(CheckBase):
    type = Field(Choice("eventbridge_rules"), "eventbridge_rules")
    names = Field(ListOf(STR), factory=list)
    prefix = Field(OPT_STR, None)
    event_bus = Field(STR, "default")
    region = Field(OPT_STR, None)
    endpoint_url = Field(OPT_STR, None)
    ecs_cluster = Field(OPT_STR, None)       # when set, ECS targets must use the service's current task definition
    ecs_service = Field(OPT_STR, None)


class SageMakerEndpointCheck(CheckBase):
    type = Field(Choice("sagemaker_endpoint"), "sagemaker_endpoint")
    endpoint = Field(STR)
    endpoint_config = Field(OPT_STR, None)
    region = Field(OPT_STR, None)
    endpoint_url = Field(OPT_STR, None)


class CloudWatchLogsCheck(CheckBase):
    type = Field(Choice("cloudwatch_logs"), "cloudwatch_logs")
    log_group = Field(STR)
    filter_pattern = Field(STR, "")
    mode = Field(Choice("must_match", "must_not_match"), "must_not_match")
    window = Field(DURATION, 300.0)
    region = Field(OPT_STR, None)
    endpoint_url = Field(OPT_STR, None)


class ConfigRefsCheck(CheckBase):
    type = Field(Choice("config_refs"), "config_refs")
    configmap = Field(OPT_STR, None)
    env_file = Field(OPT_STR, None)
    namespace = Field(OPT_STR, None)
    ignore = Field(ListOf(STR), factory=list)


def _argv_strings(v: list[str]) -> list[str]:
    if not all(isinstance(a, str) and a for a in v):
        raise ValueError("argv must be a list of non-empty strings")
    return v


class CommandCheck(CheckBase):
    type = Field(Choice("command"), "command")
    argv = Field(ListOf(STR), min_length=1, validators=(_argv_strings,))
    expect_exit = Field(INT, 0)
    stdout_regex = Field(Opt(REGEX), None)


CHECK_TYPES: dict[str, type[CheckBase]] = {}


def register_check(model: type[CheckBase]) -> type[CheckBase]:
    CHECK_TYPES[model.model_fields["type"].default] = model
    return model


for _model in (HttpCheck, LogsCheck, RevisionCheck, RolloutCheck, EventBridgeRulesCheck, SageMakerEndpointCheck,
               CloudWatchLogsCheck, ConfigRefsCheck, CommandCheck):
    register_check(_model)


def _unknown_check(kind: Any) -> str:
    return f"unknown check type {kind!r}; valid types: {', '.join(sorted(CHECK_TYPES))}"


# A check table, chosen by its ``type`` key; the error lists the valid types.
CHECK = Tagged(CHECK_TYPES, "type", CheckBase, "a check must be a table with a 'type' key", _unknown_check)


def parse_check(value: Any) -> CheckBase:
    """Validate one check table by its ``type`` (raises ``fields.Invalid``)."""
    return CHECK.validate(value, ())
