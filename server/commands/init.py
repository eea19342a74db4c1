"""``deploystate init``: write a commented starter deploystate.toml from what is in the repository."""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

from deploystate.state import gitinfo
from deploystate.state.errors import ConfigError, GitError, InputError, StateMissing
from deploystate.state.project import CONFIG_NAME, Project, find_root

from ._common import RAW, add_json, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", formatter_class=RAW, help="write a starter deploystate.toml from what is found here",
                       description="Scan the repository for docker compose files, Kubernetes Deployments and ECS "
                                   "task definitions; write a commented deploystate.toml describing them; create the "
                                   "state directory (the ledger) and DEPLOYMENT_STATE.md. Review the result: paths "
                                   "and checks are starting points.",
                       epilog="examples:\n  deploystate init\n  deploystate init --force      (overwrite an existing "
                              "config; the ledger is kept)\n  deploystate init --validate   (only check an existing "
                              "config: exit 0 ok, 2 with the error)")
    p.add_argument("--force", action="store_true", help="overwrite an existing deploystate.toml (the ledger is kept)")
    p.add_argument("--validate", action="store_true", help="write nothing; validate the existing deploystate.toml")
    add_json(p)
    p.set_defaults(func=run)


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
    from deploystate.state.config import load_config

    cfg = load_config(path)
    names = ", ".join(f"{n} ({s.platform})" for n, s in cfg.services.items()) or "none"
    emit(args, {"ok": True, "config": str(path), "services": {n: s.platform for n, s in cfg.services.items()}},
         f"{path} is valid: services: {names}")
    return 0


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config import validate_config
    from deploystate.state.discover import discover
    from deploystate.state.render import write_atomic
    from deploystate.state.starter import starter_toml
    from deploystate.state.store import write_state_file

    root = init_root(args)
    path = root / CONFIG_NAME
    if args.validate:
        return validate(args, path)
    if path.exists() and not args.force:
        raise InputError(f"{path} already exists; nothing was written",
                         "pass --force to overwrite it (the ledger is kept), or --validate to check it")
    found = discover(root)
    text = starter_toml(found, root.name, [_branch(root)])
    try:
        validate_config(tomllib.loads(text), text, path)
    except (ConfigError, tomllib.TOMLDecodeError) as exc:  # a bug in discovery/starter: never write a bad file
        raise ConfigError(f"the starter config for {root} does not validate: {exc}",
                          "please report this; write deploystate.toml by hand (see docs/config.md)") from exc
    write_atomic(path, text)
    project = Project(root, tomllib.loads(text))
    project.ledger.ensure()
    write_state_file(project)
    data = {"config": str(path), "state_dir": str(project.state_dir), "state_file": str(project.state_file),
            "services": {f.name: {"platform": f.platform, "source": f.source, "paths": f.paths, "restart": f.restart}
                         for f in found.services},
            "all_services": [{"paths": p, "reason": r} for p, r in found.all_services], "skipped": found.skipped}
    lines = [f"wrote {path} ({len(found.services)} services)"]
    lines += [f"  {f.name:<16} {f.platform:<10} from {f.source}  paths: {', '.join(f.paths) or '(none: add some)'}"
              for f in found.services]
    lines += [f"  all services   {', '.join(p)}  ({r})" for p, r in found.all_services]
    lines += [f"  skipped {s}" for s in found.skipped]
    lines += [f"state directory {project.state_dir} (commit it: the ledger is the history)",
              f"state file {project.state_file}",
              "next: review paths, restart and checks in deploystate.toml, then `deploystate state` and "
              "`deploystate affected`"]
    emit(args, data, "\n".join(lines))
    return 0
