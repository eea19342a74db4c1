"""The JSON Schema of deploystate.toml, from pydantic models built out of the loader's own ``fields`` specs.

The loader (``state/config``) validates with standard-library models; this module alone turns each spec
into a pydantic model (``pydantic_models``: same fields, defaults, bounds and validators) and asks pydantic
for the JSON Schema, so the spec stays the one source of truth. Editors (Taplo / Even Better TOML, tombi,
JetBrains) read it to complete and check deploystate.toml; ``deploystate config schema`` prints it and the
package ships the same file (``deploystate/state/config.schema.json``). Services are a table of tables
chosen by their ``platform`` key, which pydantic cannot express by itself, so that part is assembled here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

SCHEMA_ID = "https://github.com/deploystate/deploystate/blob/main/state/config.schema.json"
SHIPPED = Path(__file__).resolve().parent.parent / "state" / "config.schema.json"
# In the JSON Schema a duration is seconds or a string such as "90s", "30m", "1h30m" (what parse_duration reads).
DURATION_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0},
                             {"type": "string", "pattern": r"^\s*([0-9.]+(ms|s|m|h|d))+\s*$"}]}


class _Mirror:
    """pydantic models for the ``fields`` models, built on demand (one per spec class, bases first)."""

    def __init__(self) -> None:
        self.models: dict[type, Any] = {}

    def model(self, spec: type) -> Any:
        from pydantic import ConfigDict, Field, create_model, field_validator, model_validator

        from deploystate.state.config.fields import Model
        if spec in self.models:
            return self.models[spec]
        parent = spec.__mro__[1]
        base = self.model(parent) if parent is not Model and issubclass(parent, Model) else None
        inherited = parent.model_fields if base is not None else {}
        fields, validators = {}, {}
        for name, f in spec.model_fields.items():
            if inherited.get(name) is f:
                continue
            bounds = {k: getattr(f, k) for k in ("ge", "le", "gt", "min_length") if getattr(f, k) is not None}
            default = {"default_factory": f.factory} if f.factory is not None else (
                {} if f.required else {"default": f.default})
            fields[name] = (self.annotation(f.kind), Field(**default, **bounds))
            for i, fn in enumerate(f.validators):
                validators[f"_v_{name}_{i}"] = field_validator(name)(classmethod(lambda cls, v, fn=fn: fn(v)))
        for check in vars(spec).values():
            if getattr(check, "__model_check__", False):
                validators[check.__name__] = model_validator(mode="after")(lambda self, fn=check: (fn(self), self)[1])
        kw: dict[str, Any] = {"__base__": base} if base is not None else {
            "__config__": ConfigDict(extra="forbid", frozen=True, defer_build=True)}
        made = create_model(spec.__name__, __doc__=spec.__doc__, __validators__=validators, **kw, **fields)
        self.models[spec] = made
        return made

    def annotation(self, kind: Any) -> Any:
        from pydantic import AfterValidator, BeforeValidator, SerializeAsAny, WithJsonSchema

        from deploystate.state.config import kinds as k
        if isinstance(kind, k.Scalar):
            return {"string": str, "int": int, "bool": bool}[kind.name]
        if isinstance(kind, k.ListOf):
            return list[self.annotation(kind.item)]  # type: ignore[misc]
        if isinstance(kind, k.DictOf):
            return dict[str, self.annotation(kind.value)]  # type: ignore[misc]
        if isinstance(kind, k.Choice):
            return Literal[kind.choices]
        if isinstance(kind, k.Opt):
            return Optional[self.annotation(kind.inner)]
        if isinstance(kind, k.Nested):
            return self.model(kind.model)
        if kind is k.ANY:
            return Any
        if kind is k.DURATION:
            from deploystate.state.ledger.ids import parse_duration
            return Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(DURATION_SCHEMA)]
        if kind is k.REGEX:
            return Annotated[str, AfterValidator(_regex)]
        if isinstance(kind, k.Tagged):
            return Annotated[SerializeAsAny[self.model(kind.base)], BeforeValidator(lambda v: self.tagged(kind, v))]
        raise TypeError(f"no pydantic annotation for {kind!r}")

    def tagged(self, kind: Any, value: Any) -> Any:
        """The pydantic twin of ``kinds.Tagged.validate``: the model chosen by the tag key, or a ValueError."""
        if isinstance(value, self.model(kind.base)):
            return value
        if not isinstance(value, dict):
            raise ValueError(kind.not_table)
        tag = value.get(kind.key)
        spec = kind.registry.get(tag) if isinstance(tag, str) else None
        if spec is None:
            raise ValueError(kind.unknown(tag))
        return self.model(spec).model_validate(value)


def _regex(v: str) -> str:
    """Compile when the config loads (the pydantic twin of ``kinds.REGEX``, written apart so the two can differ)."""
    try:
        re.compile(v)
    except re.error as exc:
        raise ValueError(f"invalid regex {v!r}: {exc}") from exc
    return v


def pydantic_models() -> _Mirror:
    """A fresh set of pydantic models for the config's specs (``.model(Config)`` and so on)."""
    return _Mirror()


def build() -> dict[str, Any]:
    """The schema as a dict (deterministic: same specs, same output)."""
    from deploystate.state.config.checks import CHECK_TYPES, CheckBase
    from deploystate.state.config.config import SERVICE_MODELS, SERVICE_NAME, Config, ServiceBase

    mirror = pydantic_models()
    schema = mirror.model(Config).model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    # a check is chosen by its type key, like a service by its platform
    checks = _variants({k: mirror.model(v) for k, v in CHECK_TYPES.items()}, "type", defs)
    variants = _variants({k: mirror.model(v) for k, v in SERVICE_MODELS.items()}, "platform", defs)
    _replace_ref(schema, f"#/$defs/{CheckBase.__name__}", {"oneOf": checks})
    defs.pop(CheckBase.__name__, None)
    defs.pop(ServiceBase.__name__, None)  # services are assembled below, each by its platform
    schema["properties"]["services"] = {
        "type": "object", "description": "One table per service: [services.<name>], chosen by its platform key.",
        "propertyNames": {"pattern": SERVICE_NAME.pattern},
        "additionalProperties": {"oneOf": variants}, "default": {}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "deploystate.toml", **schema}
def _variants(models: dict[str, Any], key: str, defs: dict[str, Any]) -> list[dict[str, str]]:
    """Each model's schema into ``defs`` (``key`` required), and the $refs of a oneOf over them."""
    refs = []
    for name in sorted(models):
        model = models[name]
        part = model.model_json_schema(mode="validation")
        defs.update(part.pop("$defs", {}))
        part["required"] = sorted(set(part.get("required", [])) | {key})
        defs[model.__name__] = part
        refs.append({"$ref": f"#/$defs/{model.__name__}"})
    return refs


def _replace_ref(node: Any, ref: str, by: dict[str, Any]) -> None:
    """Swap every ``{"$ref": ref}`` inside ``node`` for ``by`` (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get("$ref") == ref and len(value) == 1:
                node[key] = by
            else:
                _replace_ref(value, ref, by)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict) and value.get("$ref") == ref and len(value) == 1:
                node[i] = by
            else:
                _replace_ref(value, ref, by)


def text() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"
