"""``deploystate demo``: the whole point of deploystate in one command, on a tiny local app.

``story`` plays the seven steps, ``steps_fix``/``steps_pushed``/``steps_loop`` hold them, ``scene`` the library
calls they narrate, ``workspace`` the git repository, ``processes`` the clean stop,
``app_files``/``config_text`` the application and its deploystate.toml, ``report`` the output.
"""

from __future__ import annotations

from .story import Options, play

__all__ = ["Options", "play"]
