"""An exclusive ``flock`` on a lock file, as a plain context manager.

Not ``contextlib.contextmanager``: importing contextlib costs every hook's start ~3M instructions (~8% of
``python -c pass``), and the ledger, the anchor and the projection cache all take these locks.
"""

from __future__ import annotations

import fcntl
import os


class Flock:
    """``with Flock(path):`` holds LOCK_EX on ``path`` (created, with its directory) for the block;
    ``Flock(None)`` holds nothing (a reader with no state directory to lock). One use per object."""

    __slots__ = ("path", "_fh")

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path, self._fh = path, None

    def __enter__(self) -> None:
        if self.path is None:
            return
        os.makedirs(os.path.dirname(os.fspath(self.path)) or ".", exist_ok=True)
        fh = open(self.path, "a+b")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except BaseException:
            fh.close()
            raise
        self._fh = fh

    def __exit__(self, *exc: object) -> bool:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                fh.close()
        return False
