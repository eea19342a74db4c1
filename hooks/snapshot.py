"""Read what the hooks decide from: the project, its projection (cached) and the chain's verdict.

Only the hooks' slow path imports this (a push to a deploy branch, a message
that claims deployment, an agent hook): the projection cache makes it cheap
at 100k records, and ``chainmark`` keeps the chain check cheap too.
"""

from __future__ import annotations

import os
import sys

from deploystate.jsonlite import loads
from deploystate.state.errors import DeploystateError
from deploystate.state.config.project import Project

from deploystate.state.tamper import anchor, chainmark
from deploystate.state.ledger.chain import sha256_hex
from deploystate.state.ledger.reading import hash_ending_at
from deploystate.ospath import exists, is_file, join, read_text

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Iterator

    from deploystate.state.ledger.ledger import Ledger


class Snapshot:
    """The state the hooks judge, or ``error`` saying why it could not be read."""

    def __init__(self, project: Project | None, state: dict | None, chain: chainmark.ChainStatus | None,
                 error: str | None = None) -> None:
        self.project, self.state, self.chain, self.error = project, state, chain, error

    @property
    def threshold(self) -> int:
        return self.project.doom_loop_after if self.project else 3

    @property
    def chain_ok(self) -> bool:
        return bool(self.chain and self.chain.ok)

    @property
    def chain_problems(self) -> list[str]:
        return list(self.chain.problems) if self.chain else []


def _config_problem(project: Project) -> str | None:
    from deploystate.state.config.configcheck import problem

    if not is_file(project.config_file):
        return None
    return problem(project.raw, read_text(project.config_file), project.config_file)


# headcode.RUNS_HEAD (tests/hooks/test_hook_work.py keeps them equal, and this answer equal to the rule's)
RUNS_HEAD = "runs_head"


def verified_code(project: Project, state: dict) -> dict[str, dict]:
    """service -> the one rule's verdict (``state.headcode``, as a dict) for the commit its latest passing
    verification vouched for, judged against HEAD now: a pass still covers HEAD only while none of the
    service's files changed since. Git trouble leaves a service out (the gate then refuses it).

    A verified commit that is HEAD's own full id runs HEAD by the rule's first comparison (``headcode.decide``:
    the same id, nothing to diff): that answer is written here, so a push at the verified commit imports
    neither the rule's module nor its records (~1.9M instructions); any other commit goes to ``Judge``."""
    passing = {name: (svc.get("verification") or {}).get("commit")
               for name, svc in sorted((state.get("services") or {}).items())
               if (svc.get("verification") or {}).get("verdict") == "pass"}
    if not passing:
        return {}
    from deploystate.state.git import gitinfo

    try:
        head = gitinfo.head(project.rootdir)
    except (DeploystateError, OSError):  # (no git at all): Judge meets it again, and leaves the services out
        head = None
    judge, out = None, {}
    for name, commit in passing.items():
        if head and isinstance(commit, str) and commit.strip().lower() == head.lower():
            out[name] = {"status": RUNS_HEAD, "service": name, "running": head, "head": head,
                         "reason": f"{name} runs {head[:12]} = HEAD", "files": []}
            continue
        try:
            if judge is None:
                from deploystate.state.drift.headcode import Judge

                judge = Judge.for_project(project, head)
            out[name] = judge.judge(name, commit).as_dict()
        except (DeploystateError, OSError):
            continue
    return out


# state.view.cache's names, here so that a push whose part of the cache is current never imports the cache
# module (tests/hooks/test_cache_part.py keeps them equal); its VERSION is projection's, which gates imports
CACHE, PART = "projection.json", "projection.hooks.json"
# state.drift.observations' stored file, relative to the state dir: the module is imported only when it is there
OBSERVED = ("observed", "last.json")
OBSERVATIONS = "deploystate.state.drift.observations"


def load_part(ledger: Ledger) -> dict | None:
    """``read_part``'s state, or None."""
    return read_part(ledger)[0]


def read_part(ledger: Ledger) -> tuple[dict | None, dict | None]:
    """The hooks' part of the projection cache (``cache.PART_KEYS``: what the hooks read of the state) when it
    is exactly current, else None (``take`` then loads the whole cache, which catches up, rebuilds and reports
    an edit). Current: its bytes are the ones deploystate wrote (their digest is in the anchor, out of the work
    tree, as the cache's is), the cache it was cut from is still in place (a removed cache takes its part with
    it), and the ledger still ends where both were written (its size, and the hash of the record ending
    there): what ``cache.load`` asks of the whole cache before it uses it without reading a record. No lock: a
    writer between its renames leaves a digest that does not match, and the whole load judges under its lock.

    Also the anchor it read (when it got that far), for the integrity check that follows when nothing was
    written since: anchor.json is then read once per decision."""
    from deploystate.state.view.projection import VERSION

    try:
        with open(join(ledger.anchor_dirname, PART), "rb") as fh:
            raw = fh.read()
        size = os.stat(ledger.file).st_size if exists(ledger.file) else 0
        cache_size = os.stat(join(ledger.dirname, CACHE)).st_size
    except OSError:
        return None, None
    held = anchor.read(ledger)
    section = held.get("cache")
    if not isinstance(section, dict) or section.get("part") != sha256_hex(raw):
        return None, held
    try:
        data = loads(raw)
    except ValueError:
        return None, held
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("state"), dict) \
            or data.get("cache_size") != cache_size:
        return None, held
    if data.get("ledger_size") != size or hash_ending_at(ledger.file, size) != data.get("last_hash"):
        return None, held
    return data["state"], held


def _state(ledger: Ledger) -> tuple[dict, dict | None]:
    """(the state, the anchor as read for it when its hooks part was current, else None: the whole load may
    have written the anchor since, and the integrity check reads it again)."""
    part, held = read_part(ledger)
    if part is not None:
        return part, held
    from deploystate.state.view import cache

    return cache.load(ledger).state, None


def _findings(project: Project, state: dict) -> dict[str, str]:
    """``observations.findings``; {} without importing it when nothing was ever observed here."""
    if OBSERVATIONS not in sys.modules and not exists(join(project.state_dirname, *OBSERVED)):
        return {}
    from deploystate.state.drift import observations

    return observations.findings(project, state)


def take(root: str | Path | None = None, raw: dict | None = None) -> Snapshot:
    """Load the projection (rebuilding the cache if stale), the chain's verdict, and what the last stored
    runtime observation says is not deployed (``state["runtime"]``: service -> why; no runtime is asked) and
    whether each passing verification still covers HEAD's code (``state["headcode"]``).

    ``raw``: deploystate.toml at ``root`` as the caller already parsed it (the hook's settings read that very
    file): it is not read and parsed a second time."""
    try:
        project = Project(root, raw) if raw is not None and root is not None else Project.discover(root)
        bad = _config_problem(project)
        if bad:  # nothing is decided (or written) from a config the schema would reject
            return Snapshot(None, None, None, f"deploystate.toml is invalid: {bad}")
        # the hooks' part of the cache when it is current (what the hooks read of the state: services and the
        # doom loop), else the whole cache brought up to date
        loaded, held = _state(project.ledger)
        state = {**loaded, "runtime": _findings(project, loaded), "headcode": verified_code(project, loaded)}
        from deploystate.state.tamper import integrity  # anchor + chain + config escapes, as everywhere

        # (findings and verified_code write nothing: the anchor read with the part is still the one on disk)
        return Snapshot(project, state, integrity.status(project, held))
    except (DeploystateError, OSError, ValueError, KeyError) as exc:
        return Snapshot(None, None, None, " ".join(str(exc).split())[:300])


def scan_commit_verdict(project: Project, commit: str) -> str | None:
    """The verdict for ``commit`` from the ledger itself, for a commit the projection no longer
    remembers (verified long ago). Lines are filtered as bytes before any JSON is parsed."""
    import json

    from .gates import same_commit

    needle = commit[:7].encode()
    latest: dict[str, tuple[str, str]] = {}  # service -> (record id, verdict)
    for raw in _history_lines(project.ledger):
        if needle not in raw or b'"verification"' not in raw:
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        p = rec.get("payload") or {}
        if rec.get("kind") != "verification" or not same_commit(p.get("commit") or rec.get("commit"), commit):
            continue
        svc = str(p.get("service"))
        if svc not in latest or rec.get("id", "") > latest[svc][0]:
            latest[svc] = (rec.get("id", ""), str(p.get("verdict", "inconclusive")))
    verdicts = [v for _, v in latest.values()]
    for worst in ("fail", "inconclusive"):
        if worst in verdicts:
            return worst
    return "pass" if verdicts else None


def _history_lines(ledger: Ledger) -> Iterator[bytes]:
    """Every line of the ledger's history as bytes: closed segments (a segment that does not match its
    sidecar is left out, and the chain check refuses the ledger), the archive, the live file."""
    from deploystate.state.ledger import segments

    if segments.present(ledger):
        for data in segments.texts(ledger):
            yield from data.splitlines()
    for path in (ledger.archive_path, ledger.path):
        try:
            fh = open(path, "rb")
        except OSError:
            continue
        with fh:
            yield from fh
