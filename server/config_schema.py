"""The JSON Schema of deploystate.toml, generated from the pydantic models the loader validates with.

Editors (Taplo / Even Better TOML, tombi, JetBrains) read it to complete and check deploystate.toml;
``deploystate config schema`` prints it and the package ships the same file
(``deploystate/state/config.schema.json``). Services are a table of tables chosen by their
``platform`` key, which pydantic cannot express by itself, so that part is assembled here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_ID = "https://github.com/deploystate/deploystate/blob/main/state/config.schema.json"
SHIPPED = Path(__file__).resolve().parent.parent / "state" / "config.schema.json"


def build() -> dict[str, Any]:
    """The schema as a dict (deterministic: same models, same output)."""
    from deploystate.state.config.checks import CHECK_TYPES
    from deploystate.state.config.config import SERVICE_MODELS, SERVICE_NAME, Config

    schema = Config.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    # a check is chosen by its type key, like a service by its platform
    checks = _variants(CHECK_TYPES, "type", defs)
    variants = _variants(SERVICE_MODELS, "platform", defs)
    _replace_ref(schema, "#/$defs/CheckBase", {"oneOf": checks})
    defs.pop("CheckBase", None)
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
