"""Union-merge ledger records from another copy (pure): dedupe by id, order parents first."""

from __future__ import annotations

from typing import Iterable

from .chain import Problem, canonical, record_hash


def missing_records(local: Iterable[dict], incoming: Iterable[dict]) -> tuple[list[dict], list[Problem]]:
    """Records of ``incoming`` that ``local`` lacks, in id order (a parent's id sorts before its child's).

    A record whose id exists locally with a different hash is not merged: it is
    reported, because one of the two copies was edited."""
    # compare whole records: an edit that kept the stored hash field is still an edit
    have = {r["id"]: canonical(r) for r in local}
    new: dict[str, dict] = {}
    problems: list[Problem] = []
    for rec in incoming:
        rid = rec.get("id")
        if not isinstance(rid, str):
            continue
        if rid in have:
            if have[rid] != canonical(rec):
                problems.append(Problem("remote", 0, rid, f"record {rid} differs between this clone and the "
                                                          "remote: one copy was edited"))
            continue
        if rec.get("hash") != record_hash(rec):
            problems.append(Problem("remote", 0, rid, f"remote record {rid} was changed after it was written"))
            continue
        new[rid] = rec
    return [new[k] for k in sorted(new)], problems
