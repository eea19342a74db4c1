"""Share the ledger through a dedicated ref on the project's own git remote (standard library only).

The ledger travels as a commit on ``refs/deploystate/ledger`` whose tree holds
``ledger.jsonl``. That ref lives outside every application branch, so a
``git reset``, a checkout of an old commit or a ``git clean`` cannot rewind or
wipe it: the local copy of the ref restores what the work tree lost.
Sync = fetch, union-merge by record id, commit, push (fast-forward only),
retrying when the remote moved in between. The commit also carries ``anchor.json``
(``remote_anchor.summary``); a copy whose records diverge from the remote's is
TAMPERED and is never pushed, so an edit here cannot overwrite the team's copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deploystate.state.view import cache
from deploystate.state.tamper import remote_anchor
from deploystate.state.ledger.chain import canonical
from deploystate.state.errors import GitError
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.ledger.ledger import Ledger
from deploystate.state.ledger.merge import missing_records
from .proc import option_safe, run

REF = "refs/deploystate/ledger"
REMOTE_TRACKING = "refs/deploystate/remotes/{remote}/ledger"
STATUS_FILE = "sync.json"


@dataclass
class SyncResult:
    remote: str
    fetched: int = 0          # records brought in from the remote
    restored: int = 0         # records brought back from the local ref (after a reset or clean)
    pushed: bool = False
    offline: bool = False
    diverged: list[str] = field(default_factory=list)  # ids this copy holds with other content than the remote
    attempts: int = 0
    problems: list[str] = field(default_factory=list)
    message: str = ""
    at: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _git(root: Path, *args: str, timeout: float, input: str | None = None) -> str:
    res = run(["git", *args], cwd=root, timeout=timeout, input=input)
    if not res.ok:
        raise GitError(f"git {args[0]} failed: {res.stderr.strip()[:300]}",
                       "check the remote name and that you can reach it (git fetch)")
    return res.stdout


def _records_at(root: Path, ref: str, timeout: float) -> list[dict] | None:
    # the blob is the data: no output cap (a 100k-record ledger is ~60 MB)
    res = run(["git", "cat-file", "-p", f"{ref}:ledger.jsonl"], cwd=root, timeout=timeout, max_output=None)
    if not res.ok:
        return None
    out = []
    for line in res.stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out.append(rec)
    return out


def remote_anchor_at(root: Path, ref: str, timeout: float) -> dict | None:
    """The ``anchor.json`` of a ledger commit (None for a commit made before anchors existed)."""
    res = run(["git", "cat-file", "-p", f"{ref}:anchor.json"], cwd=root, timeout=timeout)
    try:
        data = json.loads(res.stdout) if res.ok else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _rev(root: Path, ref: str, timeout: float) -> str | None:
    res = run(["git", "rev-parse", "--verify", "-q", ref], cwd=root, timeout=timeout)
    return res.stdout.strip() or None if res.ok else None


def _merge_into(ledger: Ledger, incoming: list[dict] | None, result: SyncResult) -> int:
    if not incoming:
        return 0
    new, problems = missing_records(ledger.read(include_archive=True).records, incoming)  # archived = present
    result.problems += [str(p) for p in problems]
    # the same comparison names the records this copy holds with other content (one canonical pass)
    result.diverged = sorted({*result.diverged, *(p.record_id for p in problems if "differs between" in p.message)})
    if new:
        ledger.append_sealed(new, reseal=False)
    return len(new)


def _commit_ledger(root: Path, ledger: Ledger, parents: list[str], timeout: float) -> str:
    """A commit whose tree holds the whole ledger, made without touching the index or work tree."""
    # the archive too (deploystate compact moved old records there): the ref keeps the whole history, once
    records = {r["id"]: r for r in ledger.read(include_archive=True).records}
    text = "".join(canonical(r) + "\n" for r in sorted(records.values(), key=lambda r: r["id"]))
    blob = _git(root, "hash-object", "-w", "--stdin", timeout=timeout, input=text).strip()
    mark = json.dumps(remote_anchor.summary(records.values()), sort_keys=True) + "\n"
    anchored = _git(root, "hash-object", "-w", "--stdin", timeout=timeout, input=mark).strip()
    tree = _git(root, "mktree", timeout=timeout,
                input=f"100644 blob {anchored}\tanchor.json\n100644 blob {blob}\tledger.jsonl\n").strip()
    args = ["commit-tree", tree, "-m", "deploystate ledger"]
    for p in dict.fromkeys(parents):
        args += ["-p", p]
    env_user = {"GIT_AUTHOR_NAME": "deploystate", "GIT_AUTHOR_EMAIL": "deploystate@localhost",
                "GIT_COMMITTER_NAME": "deploystate", "GIT_COMMITTER_EMAIL": "deploystate@localhost"}
    res = run(["git", *args], cwd=root, timeout=timeout, env=env_user)
    if not res.ok:
        raise GitError(f"git commit-tree failed: {res.stderr.strip()[:300]}", "check the repository")
    return res.stdout.strip()


def restore(root: Path, ledger: Ledger, timeout: float = 10.0) -> int:
    """Bring back records the work tree lost (reset, clean) from the local ref; returns how many."""
    result = SyncResult(remote="(local)")
    return _merge_into(ledger, _records_at(root, REF, timeout), result)


def check_remote(root: Path, ledger: Ledger, remote: str = "origin", *, timeout: float = 10.0) -> SyncResult:
    """Fetch the remote's ledger and compare this copy with it, changing nothing but the finding
    (doctor): records that differ are TAMPERED; records this clone had synced (its own ledger ref)
    and no longer holds make it shorter than the remote anchor (``deploystate sync`` restores them)."""
    option_safe(remote, "remote")
    result = SyncResult(remote=remote, at=iso(utc_now()))
    tracking = REMOTE_TRACKING.format(remote=remote)
    fetch = run(["git", "fetch", "-q", "--no-tags", remote, f"+{REF}:{tracking}"], cwd=root, timeout=timeout)
    if not fetch.ok:
        result.offline = "couldn't find remote ref" not in fetch.stderr.lower()
        result.message = ("offline: " if result.offline else "no team ledger on the remote yet: ") \
            + fetch.stderr.strip()[:200]
        return result
    incoming = _records_at(root, tracking, timeout) or []
    local = ledger.read(include_archive=True).records
    result.diverged = remote_anchor.diverging(local, incoming)
    have = {r["id"] for r in local}
    synced = _records_at(root, REF, timeout) or []
    lost = sorted(r["id"] for r in synced if r["id"] not in have)
    found = remote_anchor.findings(remote, result.diverged, [])
    if lost:
        found.append(f"TAMPERED: this ledger is shorter than the remote anchor on {remote}: {len(lost)} records "
                     f"it had synced are gone ({', '.join(lost[:3])}{'…' if len(lost) > 3 else ''}): "
                     f"{remote_anchor.NEXT}")
    result.problems = found
    ahead = sum(1 for r in incoming if r["id"] not in have)
    result.message = (f"{remote} holds {len(incoming)} records"
                      + (f", {ahead} not here yet (run `deploystate sync`)" if ahead else ", all here"))
    remote_anchor.remember(ledger, remote, remote_anchor.summary(incoming), found, result.at)
    return result


def sync(root: Path, ledger: Ledger, remote: str = "origin", *, timeout: float = 20.0,
         retries: int = 5) -> SyncResult:
    """Fetch, merge, push; retry when the remote moved. Offline is reported, not raised."""
    option_safe(remote, "remote")
    result = SyncResult(remote=remote)
    tracking = REMOTE_TRACKING.format(remote=remote)
    result.restored = restore(root, ledger, timeout)
    remote_view: dict = {}
    for attempt in range(1, retries + 1):
        result.attempts = attempt
        fetch = run(["git", "fetch", "-q", "--no-tags", remote, f"+{REF}:{tracking}"], cwd=root, timeout=timeout)
        if not fetch.ok and "couldn't find remote ref" not in fetch.stderr.lower():
            result.offline = True
            result.message = f"offline: using local state from {_last_sync(ledger) or 'never synced'} " \
                             f"({fetch.stderr.strip()[:200]})"
            break
        remote_head = _rev(root, tracking, timeout) if fetch.ok else None
        incoming = _records_at(root, tracking, timeout) if remote_head else None
        remote_view = remote_anchor.summary(incoming or [])
        result.fetched += _merge_into(ledger, incoming, result)  # the team's other records still come in
        if result.diverged:  # pushing would replace the team's records with the edited ones
            result.problems += remote_anchor.findings(remote, result.diverged, [])
            result.message = f"not pushed: this ledger diverges from the remote anchor on {remote}"
            break
        local_head = _rev(root, REF, timeout)
        commit = _commit_ledger(root, ledger, [c for c in (remote_head, local_head) if c], timeout)
        _git(root, "update-ref", REF, commit, timeout=timeout)
        push = run(["git", "push", "-q", "--no-verify", remote, f"{commit}:{REF}"], cwd=root, timeout=timeout)
        if push.ok:
            result.pushed = True
            result.message = f"synced with {remote}: {result.fetched} records in, ledger pushed"
            break
        result.message = f"push refused (the remote moved): {push.stderr.strip()[:200]}"
    result.at = iso(utc_now())
    if result.fetched or result.restored:
        cache.load(ledger)
    if not result.offline:  # a contact: its finding replaces the last one (a clean one clears it)
        remote_anchor.remember(ledger, remote, remote_view, [p for p in result.problems if "TAMPERED" in p],
                               result.at)
    _save_status(ledger, result)
    return result


def _save_status(ledger: Ledger, result: SyncResult) -> None:
    path = ledger.dir / STATUS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        data = {}
    entry = result.to_dict()
    if result.offline:
        entry["last_ok"] = (data.get(result.remote) or {}).get("last_ok")
    else:
        entry["last_ok"] = result.at
    data[result.remote] = entry
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _last_sync(ledger: Ledger) -> str | None:
    try:
        data = json.loads((ledger.dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    times = [v.get("last_ok") for v in data.values() if isinstance(v, dict) and v.get("last_ok")]
    return max(times) if times else None


def status(ledger: Ledger) -> dict:
    """What the last syncs did, per remote (for doctor)."""
    try:
        return json.loads((ledger.dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
