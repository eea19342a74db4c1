"""The standard-library config models accept and refuse what pydantic models built from the same specs do.

``server/config_schema.py`` builds pydantic models from the ``fields`` specs (for the JSON Schema). Every
config written in tests/ and examples/, and a few hundred fuzzed variants of them, go through both: the
same accept/refuse, the same dumped values (in the same order), the same key path in a refusal. The one
documented difference (docs/INTERNALS.md, "Config models"): the plain models refuse a value pydantic's lax
mode would convert to another type ("200" or 3.0 or true for an int, 1 or "yes" for a bool, ...) and a
duration that is not finite.
"""

from __future__ import annotations

import ast
import json
import math
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from deploystate.server.config_schema import pydantic_models
from deploystate.state.config import config as plain
from deploystate.state.config import kinds
from deploystate.state.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TOP = {"project", "services", "all_services", "preflight"}
POOL: list[Any] = ["200", 3.0, 3.5, True, False, 0, 1, -1, 2, 5000, 10**7, "", "x", "30m", "soon", "-5s", [], ["a"],
                   [1], ["api/**"], ["!api/**"], ["(", "x"], {}, {"a": "b"}, {"a": 1}, "(", "[x", "GET", "ci", "http",
                   "label", "rollout", "yes", "true", math.nan, math.inf, "ab" * 8, "  short ", 1.5, 0.0, 120.0,
                   121, "0.5s", ["x", ""]]


def _strings(tree: ast.AST, names: dict[str, str]) -> list[str]:
    """Every string literal (and concatenation of literals and module constants) in a test module."""
    def value(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = value(node.left), value(node.right)
            return left + right if left is not None and right is not None else None
        return None
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = value(node.value)
            if v is not None:
                names[node.targets[0].id] = v
    return [v for node in ast.walk(tree) if (v := value(node)) is not None]


def corpus() -> list[dict[str, Any]]:
    """The parsed configs of tests/ and examples/: .toml files and TOML texts inside test modules."""
    texts = [p.read_text() for d in ("tests", "examples") for p in sorted((ROOT / d).rglob("*.toml"))]
    for p in sorted((ROOT / "tests").rglob("*.py")):
        texts += [s for s in _strings(ast.parse(p.read_text()), {}) if "[" in s and "=" in s]
    found, seen = [], set()
    for text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        key = json.dumps(data, sort_keys=True, default=str)
        if data and set(data) & TOP and key not in seen:
            seen.add(key)
            found.append(data)
    return found


MIRROR = pydantic_models()


def with_pydantic(data: dict[str, Any]) -> tuple[str, Any]:
    """``config.validate_config``'s steps with the pydantic models: ("ok", dump) or ("refused", key path)."""
    from pydantic import ValidationError

    services = data.get("services", {})
    parsed = {}
    try:
        if isinstance(services, dict):
            for name, body in services.items():
                platform = body.get("platform") if isinstance(body, dict) else None
                if not plain.SERVICE_NAME.match(name) or not (isinstance(platform, str) and platform in plain.SERVICE_MODELS):
                    return "refused", ("services", name) + (("platform",) if plain.SERVICE_NAME.match(name) else ())
                try:
                    parsed[name] = MIRROR.model(plain.SERVICE_MODELS[platform]).model_validate(body)
                except ValidationError as exc:
                    return "refused", ("services", name, *_loc(exc))
            data = {**data, "services": parsed}
        return "ok", MIRROR.model(plain.Config).model_validate(data).model_dump()
    except ValidationError as exc:
        return "refused", _loc(exc)


def _loc(exc: Any) -> tuple:
    return tuple(str(p) for p in exc.errors()[0]["loc"] if not str(p).startswith(("function-", "tagged-union")))


def with_plain(data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", plain.validate_config(data).model_dump()
    except ConfigError as exc:
        return "refused", tuple(exc.key.split(".")) if exc.key else ()


def _at(node: Any, loc: tuple) -> Any:
    for part in loc:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def coerced(data: dict[str, Any], loc: tuple, dump: Any) -> bool:
    """True when pydantic accepted the value at ``loc`` only by converting it to another type (or it is a
    duration that is not finite): the documented cases the plain models refuse."""
    try:
        raw, kept = _at(data, loc), _at(dump, loc)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    if isinstance(kept, float) and not math.isfinite(kept):
        return True
    return type(raw) is not type(kept) and not (type(raw) is int and type(kept) is float)


def agree(data: dict[str, Any]) -> str:
    """Compare both validators on ``data``; the outcome ("ok", "refused" or "stricter"), or an AssertionError."""
    mine, theirs = with_plain(data), with_pydantic(data)
    if mine[0] == theirs[0] == "ok":
        assert json.dumps(mine[1], default=str) == json.dumps(theirs[1], default=str), data
        return "ok"
    if mine[0] == theirs[0] == "refused":
        assert mine[1] == theirs[1], (data, mine, theirs)
        return "refused"
    assert mine[0] == "refused" and coerced(data, mine[1], theirs[1]), (data, mine, theirs)
    return "stricter"


def _paths(node: Any, loc: tuple = ()) -> list[tuple]:
    out = [loc] if loc else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out += _paths(v, (*loc, k))
    return out


def _near(kind: Any) -> list[Any]:
    """Values close to what a field of ``kind`` takes: right and wrong ones, by the kind's shape."""
    inner = getattr(kind, "inner", kind)
    if isinstance(inner, kinds.Choice):
        return [*inner.choices, "other", 1]
    if isinstance(inner, kinds.ListOf):
        return [[], "a", [1], ["a"], ["a", 2], *[[v] for v in _near(inner.item)]]
    if isinstance(inner, kinds.DictOf):
        return [{}, {"k": "v"}, {"k": 1}, "k=v", ["k"]]
    if isinstance(inner, kinds.Scalar):
        return {"int": [7, "7", 7.0, 7.5, True], "bool": [True, False, 1, "true"], "string": ["s", "", 1, ["s"]]}[inner.name]
    if inner is kinds.REGEX:
        return ["a+", "(", "[", 1]
    if inner is kinds.DURATION:
        return [5, 2.5, "5m", "1h30m", "5 parsecs", -1, math.inf, True]
    return [{}, {"type": "http"}, "x"]


def mutate(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One random change: a key of the table's model set from ``POOL``, a value replaced, a key dropped,
    renamed or added, a tag swapped."""
    data = json.loads(json.dumps(data, default=str))
    if rng.random() < 0.5:  # a key the table's model has (present or not): mostly typed values, few extras
        tables = [loc for loc in [(), *_paths(data)] if isinstance(_at(data, loc), dict)]
        loc = rng.choice(tables)
        model = plain._table_model([str(p) for p in loc], data)
        if model is not None:
            name = rng.choice(sorted(model.model_fields))
            spec = model.model_fields[name]
            near = [b + d for b in (spec.ge, spec.gt, spec.le) if b is not None for d in (-1, 0, 1)] + _near(spec.kind)
            _at(data, loc)[name] = rng.choice(near if rng.random() < 0.6 else POOL)
            return data
    loc = rng.choice(_paths(data))
    parent, key = _at(data, loc[:-1]), loc[-1]
    how = rng.randrange(6)
    if how <= 2:
        parent[key] = rng.choice(POOL)
    elif how == 3 and isinstance(parent, dict):
        del parent[key]
    elif how == 4 and isinstance(parent, dict):
        parent[f"{key}x"] = parent.pop(key)
    elif isinstance(parent, dict) and key in ("type", "platform"):
        parent[key] = rng.choice(sorted(plain.CHECK_TYPES if key == "type" else plain.SERVICE_MODELS))
    elif isinstance(parent, list):
        parent.append(rng.choice(POOL))
    else:
        (parent if isinstance(parent, dict) else data)[rng.choice(["extra", "url", "count", "paths"])] = rng.choice(POOL)
    return data


CORPUS = corpus()


def test_the_corpus_covers_every_platform_and_check_type():
    """The configs compared are many and name every platform and check type (else the comparison is thin)."""
    text = json.dumps(CORPUS)
    assert len(CORPUS) >= 40
    for name in [*plain.SERVICE_MODELS, *plain.CHECK_TYPES]:
        assert f'"{name}"' in text, name


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_every_config_in_tests_and_examples_gets_the_same_answer(index: int):
    """Each config found in tests/ and examples/ is accepted (same dump) or refused (same key) by both."""
    assert agree(CORPUS[index]) in ("ok", "refused", "stricter")


def test_fuzzed_variants_get_the_same_answer():
    """Hundreds of mutated configs: same answers, and both outcomes are well represented."""
    rng = random.Random(13)
    valid = [d for d in CORPUS if with_plain(d)[0] == "ok"]
    seen = {"ok": 0, "refused": 0, "stricter": 0}
    for _ in range(1000):
        seen[agree(mutate(rng.choice(valid), rng))] += 1
    assert seen["ok"] >= 60 and seen["refused"] >= 200 and seen["stricter"] >= 1, seen


@pytest.mark.parametrize("field, value", [(("project", "doom_loop_after"), "3"), (("project", "doom_loop_after"), 3.0),
                                          (("project", "doom_loop_after"), True),
                                          (("project", "hooks", "sync_before"), 1),
                                          (("project", "hooks", "sync_before"), "yes"),
                                          (("project", "recheck_after"), math.nan)])
def test_values_pydantic_would_convert_are_refused(field: tuple, value: Any):
    """A value lax pydantic converts (string or float or bool for an int, int or string for a bool, nan) is a
    refusal naming its key: the documented stricter cases, and pydantic did accept each."""
    data: dict[str, Any] = {}
    node = data
    for part in field[:-1]:
        node = node.setdefault(part, {})
    node[field[-1]] = value
    assert with_pydantic(data)[0] == "ok"
    assert with_plain(data) == ("refused", field)


def test_every_field_of_every_model_with_values_near_its_kind():
    """Each field of each table of every_kind.toml, set in turn to values right and wrong for its kind and
    bounds: same answers (a sweep, so no field escapes the comparison by chance)."""
    data = tomllib.loads((ROOT / "tests/state/configs/every_kind.toml").read_text())
    seen = {"ok": 0, "refused": 0, "stricter": 0}
    models = set()
    for loc in [(), *_paths(data)]:
        model = plain._table_model([str(p) for p in loc], data) if isinstance(_at(data, loc), dict) else None
        for name, spec in (model.model_fields.items() if model is not None else ()):
            models.add(model)
            near = [b + d for b in (spec.ge, spec.gt, spec.le) if b is not None for d in (-1, 0, 1)]
            for value in near + _near(spec.kind):
                changed = json.loads(json.dumps(data))
                _at(changed, loc)[name] = value
                seen[agree(changed)] += 1
    assert len(models) == 5 + len(plain.SERVICE_MODELS) + len(plain.CHECK_TYPES), models
    assert min(seen.values()) >= 30, seen
