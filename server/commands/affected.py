"""``deploystate affected``: which services a change affects, and which file matched which rule."""

from __future__ import annotations

import argparse
from typing import Any

from deploystate.state.drift.affect import compute
from deploystate.state.view.render import short

from ._common import arg, command, emit, project_from


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "affected", run, json=True,
            help="list the services a change affects, and why",
            description="Map the files changed between a base and HEAD to services (their `paths` globs "
                        "and the [[all_services]] rules). Without --base each service is compared from "
                        "its last verified deploy, else from the commit its runtime reports, else from "
                        "HEAD~1 with a warning (the same base as the restart plan). Renames count for "
                        "both names; deletions count.",
            epilog="examples:\n  deploystate affected\n  deploystate affected --base origin/main\n"
                   "  deploystate affected --base v1.4.0 --head HEAD --json",
            arguments=(
                arg("--base", help="compare every service from this revision (default: last verified deploy, "
                                   "else what its runtime reports, else HEAD~1)"),
                arg("--head", help="compare up to this revision (default: HEAD)"),
            ))


def _reason(m: dict[str, Any]) -> str:
    rule = "paths" if m["rule"] == "paths" else f"all services: {m['rule']}"
    moved = f" (renamed from {m['renamed_from']})" if m.get("renamed_from") else ""
    status = {"D": "deleted", "A": "added", "R": "renamed", "C": "copied", "M": "modified", "T": "type changed"}
    return f"{m['file']}{moved} [{status.get(m['status'], m['status'])}] matches {m['pattern']!r} ({rule})"


def text(result: dict[str, Any]) -> str:
    lines = [f"HEAD {short(result['head'])}: "
             + (f"affected: {', '.join(result['affected'])}" if result["affected"] else "no service is affected")]
    for name, s in sorted(result["services"].items()):
        state = "AFFECTED" if s["affected"] else "not affected"
        lines.append(f"{name}: {state} (base {short(s['base'])}: {s['base_reason']}; "
                     f"{s['changed_files']} files changed since)")
        lines += [f"  {_reason(m)}" for m in s["matches"][:50]]
        if len(s["matches"]) > 50:
            lines.append(f"  … and {len(s['matches']) - 50} more (--json lists all)")
    if not result["services"]:
        lines.append("no services configured: add [services.<name>] with paths to deploystate.toml")
    if result["unmatched"]:
        lines.append(f"unmatched (changed, but no service's paths or [[all_services]] rule covers them): "
                     f"{', '.join(result['unmatched'][:30])}" + (" …" if len(result["unmatched"]) > 30 else ""))
    lines += [w if w.startswith("WARNING") else f"WARNING: {w}" for w in result.get("warnings", [])]
    if result["affected"]:
        lines.append("next: deploystate restart --affected, then deploystate verify")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from deploystate.state.config.config import load_config

    from deploystate.platforms.gather import reported_revisions

    project = project_from(args)
    config = load_config(project.config_path)  # the paths below are only trusted once the schema accepts them
    result = compute(project, args.head, args.base, lambda names: reported_revisions(project, config, names))
    emit(args, result, text(result))
    return 0
