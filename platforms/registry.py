"""The explicit registry of platforms. Adapters load lazily so cloud SDKs are imported only when used."""

from __future__ import annotations

import sys
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any

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
    __import__(module)  # importlib.import_module's answer for an absolute name, without importing importlib
    return getattr(sys.modules[module], cls)


class use:  # noqa: N801 - a context manager used as a function: ``with use("compose", fake): ...``
    """Install ``platform`` for ``name`` for the duration (tests, the demo's fake runtime). A class, not
    contextlib's decorator: every `state` imports this module, and contextlib costs it ~2M instructions."""

    def __init__(self, name: str, platform: Platform) -> None:
        self.name, self.platform, self.previous = name, platform, None

    def __enter__(self) -> Platform:
        self.previous = _overrides.get(self.name)
        _overrides[self.name] = self.platform
        return self.platform

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            _overrides.pop(self.name, None)
        else:
            _overrides[self.name] = self.previous


def reset() -> None:
    _overrides.clear()
    _instances.clear()
