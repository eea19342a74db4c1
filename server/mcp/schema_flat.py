"""Simplify a tool's published JSON schema without changing what it accepts (pure).

Why: clients validate every structured result against the tool's output
schema, and the Python reference validator spends most of a call resolving
``$ref`` and trying ``anyOf`` branches. Inlining the (non-recursive) pydantic
``$defs`` and writing ``anyOf: [{type: X}, {type: null}]`` as ``type: [X, null]``
halves that cost; the set of valid documents is the same.
"""

from __future__ import annotations

from typing import Any

_DEFS = "#/$defs/"


def _inline(node: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(v, defs, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS) and ref[len(_DEFS):] in defs:
        name = ref[len(_DEFS):]
        if name in seen:
            raise ValueError(f"recursive schema through {name}")
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline(defs[name], defs, seen + (name,)), **_inline(siblings, defs, seen)}
    out = {k: _inline(v, defs, seen) for k, v in node.items() if k != "$defs"}
    return _merge_nullable(out)


def _merge_nullable(node: dict[str, Any]) -> dict[str, Any]:
    branches = node.get("anyOf")
    if not isinstance(branches, list) or not all(isinstance(b, dict) for b in branches):
        return node
    if not all(set(b) == {"type"} and isinstance(b["type"], str) for b in branches):
        return node
    types = [b["type"] for b in branches]
    if len(set(types)) != len(types):
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    merged["type"] = types
    return merged


def flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with local ``$defs`` inlined and simple nullable unions merged; unchanged if recursive."""
    try:
        return _inline(schema, schema.get("$defs") or {}, ())
    except ValueError:
        return schema
