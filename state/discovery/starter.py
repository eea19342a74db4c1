"""The commented starter deploystate.toml that ``deploystate init`` writes (pure: discovery in, text out)."""

from __future__ import annotations

import json
from typing import Any

from .found import Discovery, Found

HEADER = """\
# deploystate.toml: written by `deploystate init` from what it found in this repository.
# Check every service below: paths decide which services a change affects (`deploystate affected`),
# restart decides how they are restarted, checks decide whether a deploy counts as working.
# Reference: docs/config.md. Validate after editing: deploystate init --validate
"""

PROJECT = """\
[project]
name = {name}
deploy_branches = {branches}   # pushes to these branches are deploys (the git hooks watch them)
# state_dir = ".deploystate"   # the ledger (append-only; commit it, JSONL files union-merge)
recheck_after = "30m"          # verify again this long after a pass: some failures take a while
doom_loop_after = 3            # this many failed verifications in a row raise DOOM LOOP
"""

EMPTY = """\
# Nothing deployable was found (no compose file, Kubernetes workload or ECS task definition).
# Describe each service by hand, for example:
#
# [services.api]
# platform = "compose"               # compose | docker | kubernetes | ecs | command
# compose_files = ["docker-compose.yml"]
# paths = ["api/**"]                 # files whose change means api must be restarted
# restart = "recreate"
# build = true
#
# [services.worker]
# platform = "command"
# restart_cmd = ["systemctl", "restart", "worker"]
# paths = ["worker/**"]
#
# [[all_services]]                    # files whose change affects every service
# paths = [".env"]
"""


def toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, int, float or list of them (JSON strings are valid TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {type(value).__name__}")


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() and name.isascii() else toml_value(name)


def _comment(text: str) -> list[str]:
    words, lines, line = text.split(), [], "#"
    for w in words:
        if len(line) + len(w) > 100:
            lines.append(line)
            line = "#"
        line += " " + w
    return lines + [line]


def _table(value: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"


def service_block(f: Found) -> list[str]:
    out = _comment(f"found in {f.source}") + [f"[services.{_key(f.name)}]", f'platform = "{f.platform}"']
    skip = {"build", "pull"} | ({"service"} if f.target.get("service") == f.name else set())
    out += [f"{k} = {toml_value(v)}" for k, v in f.target.items() if k not in skip]
    out.append(f"paths = {toml_value(f.paths)}" + ("" if f.paths else "   # add the globs of this service's files"))
    for p in f.paths:
        if p in f.origins:
            out += _comment(f"  {p}: {f.origins[p]}")
    out.append(f'restart = "{f.restart}"')
    if "build" in f.target:
        out.append("build = true                   # rebuild the image on recreate")
    if "pull" in f.target:
        out.append("pull = false                   # true: pull a newer image before recreating")
    if f.revision is not None:
        out.append(f"revision = {_table(f.revision.table)}")
        out += _comment(f"the running commit: {f.revision.why}")
        if f.revision.todo:
            out += _comment(f"TO DO so verify can read it: {f.revision.todo}")
    for warning in f.warnings:
        out += _comment(f"WARNING: {warning}")
    for note in f.notes:
        out += _comment(note)
    out += ["", f"[[services.{_key(f.name)}.checks]]",
            'type = "rollout"               # running, not restarting, not OOM-killed since the restart']
    url = f"http://127.0.0.1:{f.http_port}/" if f.http_port else "http://127.0.0.1:8080/health"
    out += [
        "# The revision check (the running commit has HEAD's code for these paths) is always part of verify.",
        "# Add evidence that the new code works (see docs/config.md), for example:",
        f"# [[services.{_key(f.name)}.checks]]",
        '# type = "http"',
        f"# url = {toml_value(url)}",
        f"# [[services.{_key(f.name)}.checks]]",
        '# type = "logs"',
        '# must_match = ["started"]                           # a line only the new code path prints',
        '# must_not_match = ["(?i)traceback", "(?i)using fallback"]',
    ]
    return out + [""]


def provenance(f: Found) -> dict[str, str]:
    """Field -> where its value came from, in the order the service's fields are written (for --dry-run)."""
    out = {"platform": f"found in {f.source}"}
    for key, value in f.target.items():
        out[key] = f.origins.get(key, f"from {f.source}")
    for p in f.paths:
        out[f"paths {p}"] = f.origins.get(p, "shared file it depends on")
    if not f.paths:
        out["paths"] = "none found: add the globs of this service's files"
    out["restart"] = f.origins.get("restart", f"the {f.platform} default")
    if f.revision is not None:
        out["revision"] = f.revision.why + (f"; to do: {f.revision.todo}" if f.revision.todo else "")
    return out


def starter_toml(found: Discovery, project_name: str, branches: list[str]) -> str:
    lines = [HEADER, PROJECT.format(name=toml_value(project_name), branches=toml_value(branches))]
    if found.skipped:
        lines += ["# Skipped while scanning:"] + [f"#   {s}" for s in found.skipped] + [""]
    if not found.services:
        lines.append(EMPTY)
    for f in found.services:
        lines.append("\n".join(service_block(f)))
    for paths, reason in found.all_services:
        lines.append("\n".join(["[[all_services]]                 # a change here affects every service",
                                f"paths = {toml_value(paths)}", f"reason = {toml_value(reason)}", ""]))
    return "\n".join(lines).rstrip("\n") + "\n"
