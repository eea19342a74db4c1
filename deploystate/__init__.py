"""deploystate: committed is not running; "deployment successful" is not "system working".

The rooms live in sub-packages (``deploystate.state``, ``.platforms``, ``.verify``, ``.server``,
``.hooks``); this module only carries the version, so importing it costs nothing.
"""

__version__ = "0.2.0"
