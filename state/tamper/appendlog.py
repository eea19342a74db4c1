"""Which growths of the ledger file were deploystate's own appends.

The chain mark's fast path (``chainmark.check``) verifies only the records after the prefix it verified
before, trusting that prefix while the file merely grew. An edit inside the prefix followed by any append
also looks like growth, so on its own that path would pass a ledger whose middle was rewritten. Each append
therefore logs the file's stat just before its write (under the ledger lock) and just after it, beside the
chain mark (out of the work tree); the fast path is taken only when a run of logged appends leads from the
stat the mark verified to the stat seen now. An edit between two appends breaks the run (its ctime moves),
and the check re-hashes the verified bytes instead (``chainmark._by_content``). A missing, short or
garbled log only costs that slower check: it is never believed beyond the run it proves.
"""

from __future__ import annotations

import os

LOG = "appends.log"
MAX_BYTES = 1 << 15  # a few hundred appends; older ones are only needed by a mark that far behind
MAX_STEPS = 4096


def _fp(st: os.stat_result) -> str:
    return f"{st.st_size},{st.st_mtime_ns},{st.st_ino},{st.st_ctime_ns}"


def record(folder: str, before: os.stat_result | None, after: os.stat_result | None) -> None:
    """Log one append's before/after stat (called with the ledger lock held). A log that cannot be written
    is left as it is: a reader then finds no run and verifies the slow way."""
    if before is None or after is None or not os.path.isdir(folder):
        return
    path = os.path.join(folder, LOG)
    line = f"{_fp(before)} {_fp(after)}\n".encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size > MAX_BYTES:
                os.ftruncate(fd, 0)  # start again: under the lock nobody else is writing it
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        pass


def explains(folder: str, verified: list[int], now: list[int]) -> bool:
    """Does a run of logged appends lead from the ``verified`` stat to the stat ``now``?"""
    try:
        with open(os.path.join(folder, LOG), "rb") as fh:
            data = fh.read(MAX_BYTES * 2)
    except OSError:
        return False
    steps: dict[str, str] = {}
    for raw in data.decode("ascii", "replace").splitlines():
        parts = raw.split(" ")
        if len(parts) == 2:
            steps.setdefault(parts[0], parts[1])  # the first append from a stat is the one that happened
    at, goal = ",".join(map(str, verified)), ",".join(map(str, now))
    for _ in range(MAX_STEPS):
        if at == goal:
            return True
        nxt = steps.get(at)
        if nxt is None:
            return False
        at = nxt
    return False
