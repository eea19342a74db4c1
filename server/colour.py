"""When text output is coloured: ``--color=auto|always|never`` and the NO_COLOR convention (no-color.org).

auto colours a terminal unless NO_COLOR is set to anything non-empty or TERM is "dumb"; an explicit
``--color=always`` wins over NO_COLOR, as the convention allows a command-line flag to.
"""

from __future__ import annotations

import os
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import IO

COLOR_MODES = ("auto", "always", "never")
_mode = "auto"


def set_mode(mode: str | None) -> None:
    global _mode
    _mode = mode if mode in COLOR_MODES else "auto"


def enabled(stream: IO[str] | None, mode: str | None = None, env: dict[str, str] | None = None) -> bool:
    """True when output to ``stream`` should carry ANSI colour (pure given its arguments)."""
    mode = mode or _mode
    if mode == "always":
        return True
    if mode == "never" or stream is None:
        return False
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def paint(text: str, code: str, stream: IO[str] | None) -> str:
    return f"\033[{code}m{text}\033[0m" if enabled(stream) else text
