"""The explicit registry of platforms. Adapters load lazily so cloud SDKs are imported only when used."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterator

    from .base import Platform

from deploystate.state.errors import ConfigError
from deploystate.state.config.extras import require_platform

# name -> "module:Class"; the class is constructed with keyword options (transports, endpoints).
PLATFORMS: dict[str, str] = {
    "compose": "deploystate.platforms.compose.compose:ComposePlatform",
    "docker": "deploystate.platforms.docker.docker:DockerPlatform",
    "kubernetes": "deploystate.platforms.kubernetes.kubernetes:KubernetesPlatform",
    "ecs": "deploystate.platforms.ecs.ecs:EcsPlatform",
    "command": "deploystate.platforms.command.command:CommandPlatform",
}

_overrides: dict[str, Platform] = {}
_instances: dict[str, Platform] = {}


def get_platform(name: str, **options: Any) -> Platform:
    """The adapter for ``name`` (an override installed by ``use`` wins; instances are reused)."""
    if name in _overrides:
        return _overrides[name]
    if name not in PLATFORMS:
        raise ConfigError(f"unknown platform {name!r}", f"valid platforms: {', '.join(PLATFORMS)}")
    require_platform(name)  # a missing SDK is exit 2 with the install line, not an ImportError later
    if options:
        return _load(name)(**options)
    if name not in _instances:
        _instances[name] = _load(name)()
    return _instances[name]


def _load(name: str) -> type:
    module, _, cls = PLATFORMS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


@contextmanager
def use(name: str, platform: Platform) -> Iterator[Platform]:
    """Install ``platform`` for ``name`` for the duration (tests, the demo's fake runtime)."""
    previous = _overrides.get(name)
    _overrides[name] = platform
    try:
        yield platform
    finally:
        if previous is None:
            _overrides.pop(name, None)
        else:
            _overrides[name] = previous


def reset() -> None:
    _overrides.clear()
    _instances.clear()
