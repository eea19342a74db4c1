"""``--platform compose``: the gate that says clearly, before anything is built, what is missing (a Docker
engine that answers, compose v2, a static busybox)."""

from __future__ import annotations

from deploystate.state.errors import DeploystateError, PlatformUnreachable

HINT = ("start Docker (or set DOCKER_HOST to a running engine), or run `deploystate demo` without --platform: "
        "it runs the app as local processes and needs no engine")


def require_engine(timeout: float = 3.0) -> str:
    """The engine's address; PlatformUnreachable unless a Docker engine answers a ping."""
    from deploystate.platforms.docker.dockerutil import Engine

    engine = Engine(api_timeout=timeout)
    try:
        with engine.errors("ping"):
            engine.client(timeout).ping()
    except DeploystateError as exc:
        raise PlatformUnreachable(f"--platform compose needs a Docker engine, and none answers at "
                                  f"{engine.endpoint}: {exc.message}", HINT) from exc
    finally:
        engine.close()
    return engine.endpoint


def require_parts() -> None:
    """Raise a DeploystateError naming the first missing part (engine, compose v2, static busybox)."""
    from deploystate.platforms.compose.compose_cli import find_compose

    from .variants import static_busybox

    require_engine()
    find_compose()
    static_busybox()
