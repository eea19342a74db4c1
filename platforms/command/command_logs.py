"""Reading a command service's log file: the tail since its last restart, or the lines before it.

The restart recorded where the file stood (``log_offset``, ``log_inode``, ``log_started_at``). Lines
after that offset belong to the new process whatever they look like; stamped lines are also filtered
by time, and a file truncated or replaced since the restart is newer than it in full.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
TYPE_CHECKING = False  # not typing's: importing typing costs a process ~15M instructions (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterator

from deploystate.state.errors import PlatformError
from deploystate.state.ledger.ids import parse_iso

from .command_parse import filter_since

MAX_LOG_BYTES = 4 * 1024 * 1024       # read at most this much of a log file's tail


def read_log_file(path: Path, position: dict[str, Any], since: datetime | None, previous: bool) -> Iterator[str]:
    """Lines of ``path`` since ``since`` (``previous``: the lines before the restart)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return iter(())
    except OSError as exc:
        raise PlatformError(f"cannot read log file {path}: {exc}", "check the path and permissions") from exc
    offset = position.get("log_offset")
    if offset is not None and (st.st_size < offset or position.get("log_inode") not in (None, st.st_ino)):
        offset = 0          # rotated or truncated since the restart: all of it is newer
    stamp = position.get("log_started_at")
    restarted = parse_iso(stamp) if stamp else None
    # The restart's offset applies when asking for logs since that restart (with a second of slack).
    after_restart = (offset is not None and restarted is not None and since is not None
                     and since >= restarted - timedelta(seconds=1))
    if previous:
        if offset is None:
            return iter(())
        start, end, keep_leading, since = max(0, offset - MAX_LOG_BYTES), offset, True, None
    else:
        start = max(offset if after_restart else 0, st.st_size - MAX_LOG_BYTES)
        end, keep_leading = st.st_size, after_restart
    lines = _read_lines(path, start, end, drop_partial=start > 0 and start != offset)
    return filter_since(lines, since, keep_leading=keep_leading)


def _read_lines(path: Path, start: int, end: int, *, drop_partial: bool) -> list[str]:
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(max(0, end - start))
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[1:] if drop_partial and lines else lines
