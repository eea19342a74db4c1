"""Optional installs ("extras"): which SDK a platform or check needs, and a clear refusal when it is absent.

The core install (MCP SDK, pydantic, PyYAML) runs state, hooks, the command platform and the demo. A
compose-only user should not carry the AWS and Kubernetes SDKs, so each heavy SDK is an extra, and
using a platform or check without it is a configuration problem (exit 2) that names the install line
before anything runs or is written. Standard library only: ``find_spec`` imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterable

from deploystate.state.errors import ConfigError

# extra -> the top-level modules it brings
MODULES: dict[str, tuple[str, ...]] = {
    "docker": ("docker",),
    "kubernetes": ("kubernetes",),
    "aws": ("boto3", "botocore"),
}
PLATFORM_EXTRA: dict[str, str] = {"compose": "docker", "docker": "docker", "kubernetes": "kubernetes", "ecs": "aws"}
CHECK_EXTRA: dict[str, str] = {"eventbridge_rules": "aws", "sagemaker_endpoint": "aws", "cloudwatch_logs": "aws"}


class MissingExtra(ConfigError):
    """A platform or check needs an optional install that is not there; nothing was run or written."""


def installed(extra: str) -> bool:
    """True when every module of ``extra`` can be imported (looked up, not imported)."""
    return all(_findable(m) for m in MODULES[extra])


def _findable(module: str) -> bool:
    from importlib.util import find_spec  # here: importlib.util costs a command-platform process ~1.7M instructions

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def install_line(extra: str) -> str:
    return f"pip install 'deploystate[{extra}]'"


def require(extra: str, what: str) -> None:
    """Raise MissingExtra naming ``what`` and the install line when ``extra`` is not installed."""
    if not installed(extra):
        raise MissingExtra(f"{what} needs the optional '{extra}' install ({', '.join(MODULES[extra])} "
                           f"is not importable)", f"{install_line(extra)} (or 'deploystate[all]'), then run "
                                                  "the command again; nothing was run or written")


def require_platform(platform: str, service: str = "") -> None:
    extra = PLATFORM_EXTRA.get(platform)
    if extra:
        require(extra, f"service {service!r} on platform {platform!r}" if service else f"platform {platform!r}")


def require_checks(checks: Iterable[Any], owner: str) -> None:
    for check in checks:
        extra = CHECK_EXTRA.get(getattr(check, "type", ""))
        if extra:
            require(extra, f"the {check.type} check of {owner}")


def require_services(config: Any, names: Iterable[str]) -> None:
    """Every extra the named services' platforms and checks need, checked before anything starts."""
    for name in names:
        cfg = config.services[name]
        require_platform(cfg.platform, name)
        require_checks(getattr(cfg, "checks", None) or [], f"service {name!r}")
