"""``deploystate doctor``: is the config valid, the ledger intact, the cache right, the state file current?"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from deploystate.state.view import cache, projection
from deploystate.state.errors import DeploystateError
from deploystate.state.config.project import Project, find_root

from ._common import arg, command, emit

MAX_LISTED = 20


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "doctor", run, json=True,
            help="check config, ledger chain, cache and state file",
            description="Check deploystate's own health: the config validates; the state directory "
                        "exists; the ledger's hash chain verifies (a changed, deleted or reordered record "
                        "is named by file:line); no lines are quarantined; the projection cache equals a "
                        "full rebuild; DEPLOYMENT_STATE.md is current. Exit 0 healthy, 1 problems found.",
            epilog="examples:\n  deploystate doctor\n  deploystate doctor --fix   (rebuild the cache and "
                   "re-render the state file; never touches the ledger)",
            arguments=(
                arg("--fix", action="store_true",
                    help="rebuild the projection cache and re-render DEPLOYMENT_STATE.md (derived files only)"),
                arg("--full", action="store_true",
                    help="also replay the whole ledger and compare it with the projection cache (linear in records)"),
                arg("--accept-config", action="store_true",
                    help="record a changed state_dir or deploy_branches in the ledger and acknowledge it "
                         "(until then every decision refuses)"),
            ))


def _item(name: str, problems: list[str], ok_text: str, hint: str = "", **info: Any) -> dict[str, Any]:
    return {"check": name, "ok": not problems, "problems": problems[:MAX_LISTED],
            "more": max(0, len(problems) - MAX_LISTED), "summary": ok_text if not problems else problems[0],
            "hint": hint if problems else "", **info}


def check_config(project: Project) -> dict[str, Any]:
    from deploystate.state.config.config import load_config

    if not project.config_path.is_file():
        return _item("config", [f"no deploystate.toml in {project.root}"], "",
                     "run `deploystate init` to write a starter config")
    try:
        cfg = load_config(project.config_path)
    except DeploystateError as exc:
        return _item("config", [exc.message], "", exc.hint)
    return _item("config", [], f"{project.config_path.name} is valid ({len(cfg.services)} services)")


def check_chain(project: Project) -> dict[str, Any]:
    from deploystate.state.tamper import chainmark

    # deep: the verified bytes are re-hashed (never a stat alone), then only the records after them are
    # verified: bounded by hashing, and it survives a `cp -a` of the repository
    report = chainmark.check(project.ledger, deep=True)
    info = f"{report.records} records verify" + (f" ({report.forks} merged forks)" if report.forks else "")
    return _item("ledger chain", list(report.problems), info,
                 "a record was changed, deleted or reordered after it was written: restore the ledger from a copy "
                 "(`deploystate sync`, or `git show refs/deploystate/ledger:ledger.jsonl`) and record corrections "
                 "as new records", records=report.records, forks=report.forks, duplicates=report.duplicates)


def check_anchor(project: Project) -> dict[str, Any]:
    """The anchor in the git common dir: a cut, emptied, re-hashed or moved ledger; a config escape."""
    from deploystate.state.tamper import anchor, integrity

    problems = anchor.problems(project.ledger) + integrity._config_problems(project, anchor.read(project.ledger))
    head = anchor.read(project.ledger).get("chain") or {}
    sealed = (head.get("segments") or {}).get("count", 0)
    where = (f"anchored at {head.get('live_lines', 0)} live + {head.get('archive_lines', 0)} archived lines "
             + (f"+ {sealed} closed segments " if sealed else "") + f"in {project.anchor_dir}") if head \
        else f"no anchor yet (written by the next record) in {project.anchor_dir}"
    if project.state_dir_in_work_tree:
        where += "; state_dir is inside the work tree: git clean/reset can erase it (the anchor then says so)"
    notes = integrity.warnings(project)
    return _item("anchor", problems, where + "".join(f"; WARNING: {w}" for w in notes),
                 "the ledger no longer holds what the anchor recorded: restore it from a copy (`deploystate sync` "
                 "brings back what the team remote or refs/deploystate/ledger holds); for a deliberate change of "
                 "state_dir or deploy_branches run `deploystate doctor --accept-config`", warnings=notes)


def check_quarantine(project: Project) -> dict[str, Any]:
    path = project.ledger.quarantine_path
    entries = []
    if path.is_file():
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                e = json.loads(raw)
                entries.append(f"{e.get('from', '?')} line {e.get('line', '?')}: {e.get('why', 'quarantined')}")
            except ValueError:
                entries.append(f"unparsable entry: {raw[:80]}")
    problems = [f"{len(entries)} quarantined lines in {path}"] + entries if entries else []
    return _item("quarantine", problems, "no quarantined lines",
                 f"read {path.name}: re-record anything real with the CLI, then move the file aside "
                 "(quarantined lines are kept for review and never replayed)", quarantined=len(entries))


def _normal(state: Any) -> str:
    return json.dumps(state, sort_keys=True, default=str)


def check_projection(project: Project, fix: bool, full: bool = False) -> dict[str, Any]:
    """The cache is the one deploystate wrote (its digest is in the anchor) for this very ledger (its size and
    last hash); ``full`` also replays the whole ledger and compares (linear: seconds at 100k records)."""
    ledger = project.ledger
    cache_path = ledger.dir / cache.CACHE
    if fix:
        cache_path.unlink(missing_ok=True)
        loaded = cache.load(ledger)
        return _item("projection cache", [], f"rebuilt from {loaded.state['records']} records")
    edited: list = []
    if cache.read_cache(ledger, edited) is None:
        if edited:
            return _item("projection cache", [str(p) for p in edited], "",
                         "nothing decides from it: hooks and mark-deployed rebuild from the ledger; "
                         "`deploystate doctor --fix` rewrites it now")
        return _item("projection cache", [], "no usable cache: it is rebuilt on the next read")
    loaded = cache.load(ledger, write=False)
    if not full:
        how = "brought up to date on the next read" if loaded.rebuilt or loaded.applied else "current"
        return _item("projection cache", [], f"written by deploystate for this ledger, {how} "
                                             f"({loaded.state['records']} records; --full replays the ledger)")
    rebuilt = projection.build(ledger.read(include_archive=True).records)
    if _normal(loaded.state) != _normal(rebuilt):
        return _item("projection cache", [f"{cache_path} differs from a full rebuild of the ledger"], "",
                     "run `deploystate doctor --fix` (the cache is derived; the ledger is untouched)")
    return _item("projection cache", [], f"matches a full rebuild ({rebuilt['records']} records)")


def _body(text: str) -> str:
    """The state file without its "Regenerate with" banner: any render invocation may have written it."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("<!-- Regenerate with:"))


_RENDERED_AT = re.compile(r"· HEAD ([0-9a-f]{7,40}) ·")


def _rendered_head(project: Project, text: str) -> str | None:
    """The commit the state file was rendered at (its "HEAD abc1234567" line), if git knows it."""
    from deploystate.state.git import gitinfo

    m = _RENDERED_AT.search(text)
    if not m:
        return None
    try:
        return gitinfo.resolve(project.root, m.group(1))
    except DeploystateError:
        return None


def check_state_file(project: Project, fix: bool) -> dict[str, Any]:
    """The file must say what the ledger says. It is compared with a render at the HEAD it names,
    not at today's HEAD: every ordinary commit moves HEAD, and that alone is not staleness (the
    next record or `deploystate render` refreshes the drift column)."""
    from deploystate.state.git import gitinfo
    from deploystate.state.ledger.store import state_file_text, write_state_file

    target = project.state_file
    if fix:
        write_state_file(project)
        return _item("state file", [], f"re-rendered {target.name}")
    if not target.is_file():
        return _item("state file", [f"{target} does not exist"], "", "run `deploystate render`")
    on_disk = target.read_text(encoding="utf-8")
    at = _rendered_head(project, on_disk)
    if _body(on_disk) != _body(state_file_text(project, head=at)):
        return _item("state file", [f"{target} is stale (it differs from a fresh render of the ledger)"], "",
                     "run `deploystate render` (or `deploystate doctor --fix`)")
    head = gitinfo.head(project.root)
    if at and head and at != head:
        return _item("state file", [], f"{target.name} matches the ledger (rendered at HEAD {at[:10]}; HEAD is "
                     f"now {head[:10]}: the next record or `deploystate render` refreshes it)", rendered_at=at)
    return _item("state file", [], f"{target.name} is up to date")


def check_backend(project: Project, chain_item: dict[str, Any]) -> dict[str, Any]:
    """Per backend: records, forks merged, missing parents, last sync (offline: what the last sync said)."""
    import json

    backend = project.settings.get("backend")
    missing = sum(1 for p in chain_item["problems"] if "nowhere in the ledger" in p)
    info = {"records": chain_item.get("records", 0), "forks_merged": chain_item.get("forks", 0),
            "missing_parents": missing}
    if isinstance(backend, str) and backend.startswith("s3://"):
        try:
            status = json.loads((project.state_dir / "s3.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            status = {}
        last = status.get("last_sync")
        text = (f"{backend}: {info['records']} records, {info['forks_merged']} forks merged, {missing} missing "
                f"parents; last sync {last or 'never'}"
                + (f" (head: {status['head'].get('count')} records)" if status.get("head") else ""))
        return _item("backend", [] if last else [f"{backend}: never synced"], text,
                     "run `deploystate sync` (credentials from the standard AWS chain)", backend=backend,
                     last_sync=last, **info)
    from deploystate.state.git.sync_git import status as git_status

    remotes = git_status(project.ledger)
    synced = ", ".join(f"{name} {v.get('last_ok') or 'never'}" + (" (offline last time)" if v.get("offline") else "")
                       for name, v in sorted(remotes.items())) or "never synced (local only)"
    text = (f"git: {info['records']} records, {info['forks_merged']} forks merged, {missing} missing parents; "
            f"last sync: {synced}")
    return _item("backend", [], text, backend="git", remotes=remotes, **info)


def check_remote_anchor(project: Project, contact: bool) -> dict[str, Any]:
    """The team ledger, asked now: does this copy still hold, unchanged, what the remote holds?
    Without a team ledger (or with a bad config) only the last contact's finding is shown."""
    from deploystate.server.backends import check_remote
    from deploystate.state.tamper import anchor, remote_anchor

    said = check_remote(project) if contact else "no team ledger configured (local only)"
    return _item("remote anchor", remote_anchor.problems(anchor.read(project.ledger)), said, remote_anchor.NEXT)


def diagnose(project: Project, fix: bool = False, full: bool = False) -> list[dict[str, Any]]:
    from deploystate.state.tamper import integrity

    items = [check_config(project)]
    if not project.state_dir.is_dir():
        items.append(_item("state directory", [f"no state directory at {project.state_dir}"], "",
                           "run `deploystate init` in the repository root (it creates the ledger directory and "
                           "DEPLOYMENT_STATE.md); with a custom state_dir, check that the path is right"))
        if (project.anchor_dir / "anchor.json").is_file():
            items.append(check_anchor(project))  # a ledger was anchored for this project: say where it went
        return items
    items.append(_item("state directory", [], str(project.state_dir)))
    chain_item = check_chain(project)
    items += [chain_item, check_anchor(project), check_backend(project, chain_item), check_quarantine(project)]
    items += [check_remote_anchor(project, contact=items[0]["ok"] and integrity.team_ledger(project))]
    if not items[0]["ok"] and project.config_path.is_file():
        # A config the schema rejects changes nothing: the derived files are neither rebuilt nor
        # rendered (they depend on the services it declares) until it is fixed.
        skipped = "skipped until deploystate.toml validates (nothing was written)"
        return items + [_item("projection cache", [], skipped), _item("state file", [], skipped)]
    return items + [check_projection(project, fix, full), check_state_file(project, fix)]


def _discover(args: argparse.Namespace) -> tuple[Project | None, list[dict[str, Any]]]:
    try:
        return Project.discover(getattr(args, "root", None)), []
    except DeploystateError as exc:  # unreadable TOML or no project: still report, as a problem
        try:
            root = find_root(getattr(args, "root", None))
        except DeploystateError:
            return None, [_item("config", [exc.message], "", exc.hint)]
        return Project(root, {}), [_item("config", [exc.message], "", exc.hint)]


def _text(root: Path | None, items: list[dict[str, Any]], problems: int) -> str:
    lines = [f"deploystate doctor: {root or 'no project found'}"]
    for it in items:
        shown = [p.replace(f"{root}/", "") if root else p for p in (it["problems"] or [it["summary"]])]
        lines.append(f"  {'ok  ' if it['ok'] else 'FAIL'}  {it['check']:<17} {shown[0]}")
        lines += [f"  {'':4}  {'':<17} {p}" for p in shown[1:]]
        if it["more"]:
            lines.append(f"  {'':4}  {'':<17} … and {it['more']} more (--json)")
        if it["hint"]:
            lines.append(f"  {'':4}  {'':<17} next: {it['hint']}")
    lines.append("healthy" if not problems else f"{problems} problem{'s' if problems > 1 else ''} found")
    return "\n".join(lines)


def _accept(project: Project) -> None:
    from deploystate.state.tamper import integrity

    changes = integrity.accept_config(project)
    print("deploystate: " + ("recorded the config change: " + "; ".join(
        f"{k} {a!r} -> {b!r}" for k, (a, b) in changes.items()) if changes else "no config change to record"),
        file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    project, items = _discover(args)
    if project is not None and not items and getattr(args, "accept_config", False):
        if check_config(project)["ok"]:  # a config the schema rejects changes nothing
            _accept(project)
    if project is not None:
        if items:  # the TOML did not parse: the other checks still run with default settings
            items += diagnose(project, args.fix, getattr(args, 'full', False))[1:]
        else:
            items = diagnose(project, args.fix, getattr(args, 'full', False))
    problems = sum(1 for it in items if not it["ok"])
    emit(args, {"root": str(project.root) if project else None, "healthy": problems == 0, "problems": problems,
                "checks": items}, _text(project.root if project else None, items, problems))
    bad_config = project is not None and project.config_path.is_file() and not items[0]["ok"]
    return 2 if bad_config else 0 if problems == 0 else 1  # 2: bad config, like every other command
