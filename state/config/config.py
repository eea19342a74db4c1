"""The schema of deploystate.toml and a loader whose errors name file, line, key and choices.

The models are ``fields`` models (standard library: validating a config imports no pydantic), defined in
``models.py`` and ``checks.py`` and re-exported here, where the rest of the code imports them from.
"""

from __future__ import annotations

import os

from deploystate.tomlsubset import loads as toml_loads  # tomllib's answer; tomllib only outside its subset

from .checks import CHECK_TYPES
from deploystate.state.errors import ConfigError, StateMissing
from .fields import Invalid, Model
from .models import (PLATFORMS, SERVICE_MODELS, SERVICE_NAME, STRATEGIES, WORKLOAD_KINDS, AllServicesRule,  # noqa: F401
                     CommandService, ComposeService, Config, DockerService, EcsService, HooksSettings,
                     KubernetesService, ProjectSettings, Revision, ServiceBase, service_name_ok)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # a path is a str or os.PathLike (os.fspath): pathlib costs a process ~17M to import
    from typing import Any


def _table_model(parent: list[str], data: Any) -> type[Model] | None:
    """The model that validates the table at ``parent`` in the raw TOML data (to list its valid keys)."""
    node: Any = data
    for part in parent:
        node = (node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node)
                else node.get(part) if isinstance(node, dict) else None)
    kind = node.get("type") if isinstance(node, dict) else None
    if not parent:
        return Config
    if parent[0] == "project":
        return HooksSettings if parent[1:2] == ["hooks"] else ProjectSettings
    if parent[0] == "all_services":
        return AllServicesRule
    if parent[0] == "preflight":
        return CHECK_TYPES.get(kind) if isinstance(kind, str) else None
    if parent[0] == "services" and len(parent) >= 2:
        body = (data.get("services") or {}).get(parent[1]) if isinstance(data, dict) else None
        platform = body.get("platform") if isinstance(body, dict) else None
        if len(parent) == 2:
            return SERVICE_MODELS.get(platform) if isinstance(platform, str) else None
        if parent[2] == "revision":
            return Revision
        if parent[2] == "checks":
            return CHECK_TYPES.get(kind) if isinstance(kind, str) else None
    return None


def _explain(err: dict[str, Any], text: str, path: str | Path, data: Any = None) -> ConfigError:
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "tagged-union"))]
    key = ".".join(loc)
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
        model = _table_model(loc[:-1], data)
        if model is not None:
            msg += "; valid keys: " + ", ".join(sorted(model.model_fields))
    elif err.get("type") == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    elif str(err.get("type", "")).endswith(("_type", "_parsing")) and "input" in err:
        msg = f"{msg} (got {err['input']!r:.80})"
    from .tomllines import line_of  # an error's line only: a valid config never needs it

    line = line_of(text, loc)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {key or '(top level)'}: {msg}",
                       "fix that key in deploystate.toml (see the README's configuration reference)",
                       file=str(path), line=line, key=key)


def load_config(path: str | Path) -> Config:
    """Read and validate deploystate.toml; raise ConfigError naming the line and key."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError as exc:
        raise StateMissing(f"{path} does not exist", "run `deploystate init` to write a starter config") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}", "save deploystate.toml as UTF-8", file=str(path)) from exc
    return load_text(text, path)


def load_text(text: str, path: str | Path) -> Config:
    """Validate the text of deploystate.toml read from ``path`` (named in errors)."""
    path = os.fspath(path)
    try:
        data = toml_loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError: only tomllib raises (the subset reader hands over)
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at the line named above",
                          file=str(path)) from exc
    return validate_config(data, text, path)


def _service_error(name: str, msg: str, text: str, path: str | Path, *loc: str) -> ConfigError:
    return _explain({"loc": ("services", name, *loc), "msg": msg}, text, path)


def validate_config(data: dict[str, Any], text: str = "", path: str | Path = "deploystate.toml") -> Config:
    """Validate parsed TOML; services one by one so an error keeps its full key path."""
    raw = data
    services = data.get("services", {})
    parsed: dict[str, ServiceBase] = {}
    if isinstance(services, dict):
        for name, body in services.items():
            if not service_name_ok(name):
                raise _service_error(name, f"service name {name!r} must match [a-z0-9][a-z0-9_-]* "
                                           "(lower case letters, digits, '_' and '-')", text, path)
            platform = body.get("platform") if isinstance(body, dict) else None
            if not (isinstance(platform, str) and platform in SERVICE_MODELS):
                raise _service_error(name, f"unknown platform {platform!r}; valid platforms: "
                                           f"{', '.join(PLATFORMS)}", text, path, "platform")
            try:
                parsed[name] = SERVICE_MODELS[platform].model_validate(body)
            except Invalid as exc:
                err = exc.errors()[0]
                raise _explain({**err, "loc": ("services", name, *err.get("loc", ()))}, text, path, raw) from exc
        data = {**data, "services": parsed}
    try:
        return Config.model_validate(data)
    except Invalid as exc:
        raise _explain(exc.errors()[0], text, path, raw) from exc
