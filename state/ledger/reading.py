"""What a read of the ledger returns, and the hash of the record that ends at a byte offset.

Apart from ``ledger.py`` because the anchor, the chain mark and the MCP server's trust key check a tail
by its bytes without needing the writer (``anchor`` is imported by ``ledger``, so it could only reach
``hash_ending_at`` there through a late import).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    import os

from deploystate.jsonlite import loads
from . import chain


# A plain class, not a dataclass: importing dataclasses (and inspect) costs every hook process ~8 ms.
class ReadResult:
    def __init__(self, records: list[dict] | None = None, problems: list[chain.Problem] | None = None,
                 lines: list[tuple[str, int, dict]] | None = None, size: int = 0, line_count: int = 0) -> None:
        self.records: list[dict] = [] if records is None else records
        self.problems: list[chain.Problem] = [] if problems is None else problems
        self.lines: list[tuple[str, int, dict]] = [] if lines is None else lines  # (file, line, record) to verify
        self.size = size
        self.line_count = line_count  # lines of the live file up to ``size``

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReadResult) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ReadResult({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


def parse_lines(data: bytes, file: str, line_no: int, result: ReadResult) -> int:
    """Add the records of ``data`` (whole lines, the first being line ``line_no + 1`` of ``file``) to
    ``result``; a line that is not a record is reported, never dropped silently. Returns the last line."""
    for raw in data.split(b"\n")[:-1] if data else []:
        line_no += 1
        if not raw.strip():
            continue
        try:
            rec = loads(raw)
            if not isinstance(rec, dict) or "id" not in rec:
                raise ValueError("not a record")
        except ValueError:
            result.problems.append(chain.Problem(file, line_no, "", "line is not a JSON ledger record"))
            continue
        result.records.append(rec)
        result.lines.append((file, line_no, rec))
    return line_no


def hash_ending_at(path: str | os.PathLike[str], end: int) -> str | None:
    """The ``hash`` of the record whose line ends at byte ``end``: how caches check that the bytes they
    were built from are still there. None at 0, when ``end`` is no longer a line end, or unreadable."""
    if end <= 0:
        return None
    window = 4096
    try:
        with open(path, "rb") as fh:
            while True:
                start = max(0, end - window)
                fh.seek(start)
                chunk = fh.read(end - start)
                if not chunk.endswith(b"\n"):
                    return None
                cut = chunk[:-1].rfind(b"\n")
                if cut >= 0 or start == 0:
                    return loads(chunk[cut + 1:-1]).get(chain.HASH_FIELD)
                window *= 8
    except (OSError, ValueError, AttributeError):
        return None
