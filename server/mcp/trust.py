"""Every MCP tool asks first whether the ledger can be trusted (``state.integrity``, as the hooks do).

A tool that decides or writes on the ledger (``read_only=False``: verify_deploy, mark_deployed,
restart_affected, rollback, preflight, record_attempt, start_session, end_session) refuses with
a tool error naming what changed and what to run, and writes nothing: a verdict, an attempt or a
restart recorded on a ledger that was edited, cut or moved would sit on history nobody can vouch
for. A read-only tool still answers (reading is how the agent learns what is wrong) but says so
first, in its text and in ``_meta["deploystate/integrity"]``; its structured content is untouched,
so it stays valid against the tool's output schema.
"""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult, TextContent

from deploystate.ospath import is_dir
from deploystate.state.errors import DeploystateError

from .tool_errors import error_result

META_KEY = "deploystate/integrity"
SHOWN = 3
NEXT = ("run `deploystate doctor`: it names each change and what restores it (`deploystate sync` brings back the "
        "team's copy; `deploystate doctor --accept-config` records a deliberate state_dir or deploy_branches "
        "change); nothing was written")


def problems(ctx: Any) -> list[str]:
    """The integrity problems of the server's project; [] when there is no project yet (the tool says so)."""
    try:
        project = ctx.project()
    except DeploystateError:
        return []  # the handler raises the same error, with its own next step
    if not is_dir(project.state_dirname):  # str paths here and in _key: this runs on every call
        return []
    from deploystate.state.tamper import integrity

    key = _key(project)
    known = _LAST.get(id(ctx))
    if key is not None and known is not None and known[0] == key:
        return list(known[1])
    if key is not None and known is not None and not known[1] and _own_append(project.ledger, known[0], key):
        _LAST[id(ctx)] = (key, [])  # verified before, and all that changed since is this process's append
        return []
    try:
        found = integrity.check(project)
    except OSError as exc:  # an integrity question that cannot be answered is not a yes
        return [f"the ledger's integrity could not be checked ({exc})"]
    if key is not None and key == _key(project):  # nothing moved while it was checked
        _LAST[id(ctx)] = (key, list(found))
    return found


# The last answer per server, reused while every file it was read from is unchanged: the stat of each
# (size, mtime, inode and ctime, which os.utime cannot put back, as chainmark's own key), where they are,
# and the ledger's last record as read now (an edit of the tail within one clock tick changes it).
_LAST: dict[int, tuple[tuple, list[str]]] = {}


def _key(project: Any) -> tuple | None:
    import os

    from deploystate.state.tamper import anchor
    from deploystate.state.ledger.reading import hash_ending_at

    ledger = project.ledger
    out: list[Any] = [project.rootdir, ledger.dirname, ledger.anchor_dirname, ledger.key,
                      os.environ.get("DEPLOYSTATE_STATE_DIR"), os.environ.get("DEPLOYSTATE_ROOT")]
    for path in (ledger.file, ledger.archive_file, anchor.file_of(ledger), project.config_file):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            out.append(None)
            continue
        except OSError:
            return None
        out.append((st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    out.append(hash_ending_at(ledger.file, out[6][0]) if out[6] else None)  # the tail's own bytes, read each time
    return tuple(out)


def _fp(st: Any) -> tuple | None:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns) if st is not None else None


def _own_append(ledger: Any, old: tuple, new: tuple) -> bool:
    """Is ``new`` (a key) the ledger verified at ``old`` plus only this process's last append? Only when the
    ledger and anchor were as verified just before it was written (stat under the lock), are as it left them
    (stat after, the anchor it put in place), the appended bytes read back now are those written, each of its
    records hashes to itself and they chain from the verified tail to the tail read now; the archive, the
    config and where everything lives unchanged. Anything else: the full check (``integrity.check``)."""
    from deploystate.jsonlite import loads
    from deploystate.state.ledger import chain
    from deploystate.state.ledger.ledger import APPENDED

    got = APPENDED.get(ledger.file)
    if got is None or new[:6] != old[:6] or new[7] != old[7] or new[9] != old[9]:
        return False
    before, anchor_before, after, anchor_after, data = got
    if (_fp(before), _fp(anchor_before), _fp(after), _fp(anchor_after)) != (old[6], old[8], new[6], new[8]):
        return False
    try:
        with open(ledger.file, "rb") as fh:
            fh.seek(before.st_size)
            if fh.read(len(data) + 1) != data:  # and nothing after them
                return False
        tail = old[10]
        for line in data.splitlines():
            rec = loads(line)
            if rec.get("prev") != tail or chain.record_hash(rec) != rec.get(chain.HASH_FIELD):
                return False
            tail = rec[chain.HASH_FIELD]
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return False
    return tail == new[10]


def _listed(found: list[str]) -> str:
    more = len(found) - SHOWN
    return "; ".join(found[:SHOWN]) + (f" (and {more} more)" if more > 0 else "")


def refusal(tool: str, found: list[str]) -> CallToolResult:
    return error_result(f"refusing {tool}: the ledger cannot be trusted: {_listed(found)}", NEXT, "LedgerTampered")


def warned(result: CallToolResult, found: list[str]) -> CallToolResult:
    """``result`` with the integrity problems said first (text) and in ``_meta``."""
    from deploystate.state.ledger.redact import redact

    note = TextContent(type="text", text=redact(f"WARNING: the ledger cannot be trusted: {_listed(found)}\n"
                                                f"next: {NEXT.replace('; nothing was written', '')}"))
    meta = {**(result.meta or {}), META_KEY: {"problems": [redact(p) for p in found], "hint": NEXT}}
    return result.model_copy(update={"content": [note, *result.content], "meta": meta})
