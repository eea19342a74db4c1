"""The MCP audit log: one JSON line per tool call in ``<state_dir>/audit.jsonl`` (standard library only).

Why a separate file from the ledger: the audit log records what agents *asked*
(including refused and failed calls) and is local to one machine, so it is
gitignored and never hash-chained; the ledger records what *happened*.
Arguments are redacted and long strings cut, so the log stays small and never
holds a secret an agent pasted into a summary.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.redact import redact_obj

AUDIT = "audit.jsonl"
MAX_STRING = 500        # characters kept of each argument string
MAX_ITEMS = 50          # items kept of each argument list
MAX_BYTES = 10 * 1024 * 1024  # rotate to audit.1.jsonl past this size (one old generation kept)


def _shorten(value: Any) -> Any:
    """Bound every string and list in ``value`` so one call never writes a huge line."""
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + f"… [{len(value)} chars]"
    if isinstance(value, dict):
        return {str(k)[:100]: _shorten(v) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, (list, tuple)):
        out = [_shorten(v) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            out.append(f"… [{len(value)} items]")
        return out
    return value


def entry(tool: str, arguments: dict[str, Any] | None, outcome: str, duration_ms: float, *,
          error: str | None = None, client: str | None = None, transport: str | None = None) -> dict[str, Any]:
    """One audit line (pure): redacted, bounded arguments and the call's outcome."""
    line: dict[str, Any] = {"ts": iso(utc_now()), "tool": tool, "arguments": _shorten(redact_obj(arguments or {})),
                            "outcome": outcome, "duration_ms": round(duration_ms, 2)}
    if error:
        line["error"] = _shorten(redact_obj(error))
    if client:
        line["client"] = client[:100]
    if transport:
        line["transport"] = transport
    line["pid"] = os.getpid()
    return line


class AuditLog:
    """Append audit lines to ``state_dir/audit.jsonl``; never raises into a tool call."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.file = os.path.join(os.fspath(state_dir), AUDIT)  # a str: this runs on every tool call

    @property
    def path(self) -> Path:
        return Path(self.file)

    def write(self, line: dict[str, Any]) -> bool:
        """Append one line; False (and a note on stderr) when it could not be written.

        The state directory is never created here (``O_CREAT`` makes the file, never its folder): a
        project without one gets a tool error telling the agent to run ``deploystate init``, and an
        audit log alone must not make it look initialised."""
        data = (json.dumps(line, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        try:
            # O_APPEND with one write per line: concurrent servers do not interleave lines.
            fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except (FileNotFoundError, NotADirectoryError):
            return False  # no state directory
        except OSError as exc:
            print(f"deploystate serve: could not write the audit log {self.file}: {exc}", file=sys.stderr)
            return False
        try:
            os.write(fd, data)
            big = os.fstat(fd).st_size > MAX_BYTES
        except OSError as exc:
            print(f"deploystate serve: could not write the audit log {self.file}: {exc}", file=sys.stderr)
            return False
        finally:
            os.close(fd)
        if big:  # past the size, this generation becomes audit.1.jsonl (one old generation kept)
            try:
                os.replace(self.file, os.path.join(os.path.dirname(self.file), "audit.1.jsonl"))
            except OSError:
                pass
        return True

    def read(self) -> list[dict[str, Any]]:
        """Every line of the current file (for tests and ``deploystate doctor``)."""
        try:
            with open(self.file, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
