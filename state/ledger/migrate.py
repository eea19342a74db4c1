"""Bring records from an old in-tree ``.deploystate/`` into the ledger in the git common directory.

Before the ledger moved out of the work tree it lived in ``.deploystate/`` (often
committed, union-merged on pull). Those records are merged in, never dropped:
each one the ledger lacks is appended as it was sealed. The old folder's size and
last hash are remembered in the anchor, so an unchanged folder costs one ``stat``
per read, and lines a ``git pull`` brings into it later are merged in too.
Standard library only.
"""

from __future__ import annotations

from pathlib import Path

from deploystate.state.tamper import anchor
from .ledger import Ledger
from .reading import hash_ending_at
from .merge import missing_records


def _fingerprint(old: Ledger) -> dict:
    out = {}
    for what, path in (("live", old.path), ("archive", old.archive_path)):
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        out[what] = [size, hash_ending_at(path, size) if size else None]
    return out


def import_legacy(ledger: Ledger, legacy_dir: Path) -> int:
    """Merge records of ``legacy_dir`` the ledger lacks; returns how many were added."""
    old = Ledger(legacy_dir)
    if not (old.path.exists() or old.archive_path.exists()):
        return 0
    print_ = _fingerprint(old)
    seen = anchor.read(ledger).get("legacy")
    if isinstance(seen, dict) and seen.get("dir") == str(legacy_dir) and seen.get("files") == print_:
        return 0
    incoming = old.read(include_archive=True).records
    have = ledger.read(include_archive=True).records if (ledger.path.exists() or ledger.archive_path.exists()) else []
    new, problems = missing_records(have, incoming)
    if new:
        ledger.append_sealed(new, reseal=False)
    anchor.update(ledger, "legacy", {"dir": str(legacy_dir), "files": print_, "imported": len(new),
                                     "differing": len(problems)})
    return len(new)
