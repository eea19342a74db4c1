"""``deploystate init``: write a commented starter deploystate.toml from what is in the repository."""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from deploystate.state.git import gitinfo
from deploystate.state.errors import ConfigError, GitError, InputError, StateMissing
from deploystate.state.config.project import CONFIG_NAME, Project, find_root

from ._common import arg, command, emit


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "init", run, json=True,
            help="write a starter deploystate.toml from what is found here",
            description="Scan the repository for docker compose files, Kubernetes workloads (Deployments, "
                        "StatefulSets, DaemonSets in manifests, kustomize, Helm templates, release "
                        "bundles) and ECS task definitions; link each image to the folder it is built "
                        "from (skaffold.yaml, compose build, cloudbuild.yaml, GitHub Actions, Dockerfiles);"
                        " write a commented deploystate.toml describing them, with the revision source "
                        "of each service; create the state directory (the ledger) and "
                        "DEPLOYMENT_STATE.md. Review the result: paths and checks are starting points.",
            epilog="examples:\n  deploystate init\n  deploystate init --dry-run    (print the config and "
                   "where each field came from; write nothing)\n  deploystate init --only 'payments-*' "
                   "--only 'k8s/*'   (only these services or files)\n  deploystate init --force      "
                   "(overwrite an existing config; the ledger is kept)\n  deploystate init --validate   "
                   "(only check an existing config: exit 0 ok, 2 with the error)",
            arguments=(
                arg("--force", action="store_true", help="overwrite an existing deploystate.toml (the ledger is kept)"),
                arg("--validate", action="store_true", help="write nothing; validate the existing deploystate.toml"),
                arg("--dry-run", action="store_true",
                    help="write nothing; print the config and, per service, where each field came from"),
                arg("--only", action="append", default=[], metavar="GLOB",
                    help="keep only services whose name or source file matches GLOB (repeatable)"),
            ))


def init_root(args: argparse.Namespace) -> Path:
    """--root as given; else the nearest folder up holding deploystate.toml or .git; else here."""
    if getattr(args, "root", None) or os.environ.get("DEPLOYSTATE_ROOT"):
        root = Path(os.environ.get("DEPLOYSTATE_ROOT") or args.root).resolve()
        if not root.is_dir():
            raise InputError(f"{root} is not a directory", "pass --root an existing folder")
        return root
    try:
        return find_root()
    except StateMissing:
        return Path.cwd().resolve()


def _branch(root: Path) -> str:
    try:
        return gitinfo.git(root, "symbolic-ref", "--short", "-q", "HEAD").strip() or "main"
    except GitError:
        return "main"


def validate(args: argparse.Namespace, path: Path) -> int:
    from deploystate.state.config.config import load_config

    cfg = load_config(path)
    names = ", ".join(f"{n} ({s.platform})" for n, s in cfg.services.items()) or "none"
    emit(args, {"ok": True, "config": str(path), "services": {n: s.platform for n, s in cfg.services.items()}},
         f"{path} is valid: services: {names}")
    return 0


CANDIDATE_LIMIT = 20      # more than this many workloads is a monorepo: ask rather than write them all


def _choose(args: argparse.Namespace, root: Path) -> Any:
    """Discovery, narrowed by --only; with many candidates and no --only: ask on a tty, else refuse."""
    from deploystate.state.discovery.discover import discover

    found = discover(root, args.only or None)
    if args.only or args.dry_run or found.candidates <= CANDIDATE_LIMIT:
        if args.only and not found.services:
            raise InputError(f"--only {' '.join(args.only)} matches none of the {found.candidates} services found",
                             "run `deploystate init --dry-run` to see their names and files")
        return found
    names = ", ".join(f.name for f in found.services[:30]) + (", ..." if found.candidates > 30 else "")
    if not (sys.stdin.isatty() and sys.stdout.isatty()) or getattr(args, "json", False):
        raise InputError(f"found {found.candidates} candidate workloads in {root} ({names}); nothing was written",
                         "pick the ones you deploy: deploystate init --only 'GLOB' (repeatable; matches a service "
                         "name or its file, e.g. --only 'payments-*' --only 'k8s/prod/*'), or --only '*' for all; "
                         "see them first with --dry-run")
    print(f"found {found.candidates} candidate workloads: {names}")
    answer = input("globs of the services to configure (space-separated, '*' for all, empty to stop): ").split()
    if not answer:
        raise InputError("nothing chosen; nothing was written", "pass --only GLOB, or --dry-run to see them")
    args.only = answer
    return _choose(args, root)


def _service_data(f: Any) -> dict[str, Any]:
    from deploystate.state.discovery.starter import provenance

    rev = f.revision
    return {"platform": f.platform, "source": f.source, "paths": f.paths, "restart": f.restart,
            "target": f.target, "warnings": f.warnings, "origins": provenance(f),
            "revision": {**(rev.table if rev else {}), "why": rev.why if rev else None,
                         "todo": rev.todo if rev else None}}


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import validate_config
    from deploystate.state.view.render import write_atomic
    from deploystate.state.discovery.starter import provenance, starter_toml
    from deploystate.state.ledger.store import write_state_file

    root = init_root(args)
    path = root / CONFIG_NAME
    if args.validate:
        return validate(args, path)
    if path.exists() and not args.force and not args.dry_run:
        raise InputError(f"{path} already exists; nothing was written",
                         "pass --force to overwrite it (the ledger is kept), or --validate to check it")
    found = _choose(args, root)
    text = starter_toml(found, root.name, [_branch(root)])
    try:
        validate_config(tomllib.loads(text), text, path)
    except (ConfigError, tomllib.TOMLDecodeError) as exc:  # a bug in discovery/starter: never write a bad file
        raise ConfigError(f"the starter config for {root} does not validate: {exc}",
                          "please report this; write deploystate.toml by hand (see docs/config.md)") from exc
    data: dict[str, Any] = {
        "config": str(path), "dry_run": bool(args.dry_run), "candidates": found.candidates,
        "services": {f.name: _service_data(f) for f in found.services},
        "all_services": [{"paths": p, "reason": r} for p, r in found.all_services], "skipped": found.skipped}
    todo = [f"  {f.name}: add: {f.revision.todo}" for f in found.services if f.revision and f.revision.todo]
    warnings = [f"WARNING {f.name}: {w}" for f in found.services for w in f.warnings]
    if args.dry_run:
        lines = [text.rstrip(), "", f"# where each field came from (--dry-run: nothing was written to {path}):"]
        for f in found.services:
            lines += [f"# {f.name}:"] + [f"#   {k}: {v}" for k, v in provenance(f).items()]
        data["toml"] = text
        emit(args, data, "\n".join(lines + warnings + (["so verify can read which commit runs:"] + todo
                                                       if todo else [])))
        return 0
    write_atomic(path, text)
    project = Project(root, tomllib.loads(text))
    project.ledger.ensure()
    write_state_file(project)
    data.update(state_dir=str(project.state_dir), state_file=str(project.state_file))
    lines = [f"wrote {path} ({len(found.services)} services"
             + (f" of {found.candidates} found" if len(found.services) != found.candidates else "") + ")"]
    lines += [f"  {f.name:<16} {f.platform:<10} from {f.source}  paths: {', '.join(f.paths) or '(none: add some)'}"
              for f in found.services]
    lines += [f"  all services   {', '.join(p)}  ({r})" for p, r in found.all_services]
    lines += [f"  skipped {s}" for s in found.skipped]
    lines += warnings
    if todo:
        lines += ["so verify can read which commit runs (it is part of every verification), add:"] + todo
    where = ("inside the work tree: git clean/reset can erase it" if project.state_dir_in_work_tree
             else "out of the work tree's reach; share it with `deploystate sync`")
    lines += [f"state directory {project.state_dir} ({where})",
              f"state file {project.state_file}",
              "next: review paths, restart and checks in deploystate.toml, then `deploystate state` and "
              "`deploystate affected`"]
    emit(args, data, "\n".join(lines))
    return 0
