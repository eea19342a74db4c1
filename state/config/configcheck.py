"""A cheap, standard-library check of deploystate.toml for the hooks (which must not import pydantic).

The CLI and the MCP server validate with the full schema (``config.py``, whose models are heavier to import). A hook only needs to know
that the file is one the schema would accept in the parts that steer a decision, and to refuse
(fail closed) naming file, line and key when it is not: the wrong type for ``deploy_branches`` must
never quietly become the default ``["main"]``. Unknown keys are found from the key tables below;
``tests/state/test_configcheck.py`` keeps them equal to the schema's models.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


PLATFORMS = ("compose", "docker", "kubernetes", "ecs", "command")
# A service name matches ^[a-z0-9][a-z0-9_-]*$ (config.py's SERVICE_NAME), tested here without re: every
# decision checks every name, and re costs a hook process ~27M instructions to import.
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NAME_REST = _NAME_FIRST | {"_", "-"}
# A string with none of these compiles as a literal, so it needs no re.compile to be known valid.
_REGEX_SPECIAL = frozenset("\\.^$*+?{}[]|()")

TOP_KEYS = frozenset({"project", "services", "all_services", "preflight"})
PROJECT_KEYS = frozenset({"name", "deploy_branches", "state_dir", "state_file", "state_file_budget", "recheck_after",
                          "doom_loop_after", "backend", "alert_webhook", "verify_deadline", "hooks",
                          "deployed_by", "observe_deadline"})
HOOKS_KEYS = frozenset({"commit_msg_patterns", "deployed_tag_pattern", "sync_before", "sync_timeout"})
SERVICE_KEYS = frozenset({"platform", "paths", "restart", "checks", "revision", "restart_timeout", "revision_waiver",
                          "deployed_by"})
PLATFORM_KEYS: dict[str, frozenset[str]] = {
    "compose": frozenset({"service", "compose_files", "project_name", "build", "pull", "env_files"}),
    "docker": frozenset({"container", "label"}),
    "kubernetes": frozenset({"deployment", "statefulset", "daemonset", "namespace", "context", "kubeconfig", "host",
                             "containers"}),
    "ecs": frozenset({"cluster", "service", "region", "endpoint_url"}),
    "command": frozenset({"restart_cmd", "observe_cmd", "logs_cmd", "log_file", "rollback_cmd", "cwd"}),
}
CHECK_KEYS = frozenset({"type", "name", "timeout", "interval", "count", "failure_limit", "service"})
# Regex-valued fields of checks (the schema compiles them; so does this check).
CHECK_REGEXES = ("must_match", "must_not_match", "body_regex", "stdout_regex")

_STR, _LIST = "a string", "a list of strings"


class Problem(Exception):
    def __init__(self, loc: tuple[str, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc, self.msg = loc, msg


def _service_name(name: str) -> bool:
    """``re.match(r"^[a-z0-9][a-z0-9_-]*$", name)``: ``$`` also matches before one final newline."""
    body = name[:-1] if name.endswith("\n") else name
    return bool(body) and body[0] in _NAME_FIRST and _NAME_REST.issuperset(body)


def _type(value: Any, want: str, loc: tuple[str, ...]) -> None:
    ok = {_STR: isinstance(value, str),
          _LIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
          "a boolean": isinstance(value, bool),
          "an integer": isinstance(value, int) and not isinstance(value, bool),
          "a table": isinstance(value, dict)}[want]
    if not ok:
        raise Problem(loc, f"must be {want} (got {value!r:.80})")


def _keys(table: dict, allowed: frozenset[str], loc: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            raise Problem((*loc, key), f"unknown key {key!r}; valid keys: {', '.join(sorted(allowed))}")


def _duration(value: Any, loc: tuple[str, ...]) -> None:
    from deploystate.state.ledger.ids import parse_duration  # only a config that sets a duration loads ids

    try:
        parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise Problem(loc, str(exc)) from exc


def _regexes(values: Any, loc: tuple[str, ...]) -> None:
    for v in values if isinstance(values, list) else [values]:
        if not isinstance(v, str):
            raise Problem(loc, f"must be a regex string (got {v!r:.80})")
        if _REGEX_SPECIAL.isdisjoint(v):
            continue  # a literal: valid
        import re

        try:
            re.compile(v)
        except re.error as exc:
            raise Problem(loc, f"invalid regex {v!r}: {exc}") from exc


def _plain_glob(pattern: str) -> bool:
    """``globs.check_glob``'s own first test: a non-blank pattern without ``[``, ``]`` or a leading ``!`` is a
    valid glob, known here without importing globs (most configs' paths are such: ``api/**``)."""
    return bool(pattern.strip()) and "[" not in pattern and "]" not in pattern and not pattern.startswith("!")


def _globs(values: Any, loc: tuple[str, ...]) -> None:
    _type(values, _LIST, loc)
    for g in values:
        if _plain_glob(g):
            continue
        from .globs import GlobError, check_glob

        try:
            if g.startswith("!"):
                raise GlobError("'!' negation is not supported in paths")
            check_glob(g)
        except GlobError as exc:
            raise Problem(loc, f"bad glob {g!r}: {exc}") from exc


def _project(p: Any) -> None:
    loc = ("project",)
    _type(p, "a table", loc)
    _keys(p, PROJECT_KEYS, loc)
    for key in ("name", "state_dir", "state_file", "backend", "alert_webhook"):
        if key in p:
            _type(p[key], _STR, (*loc, key))
    if "deploy_branches" in p:
        _type(p["deploy_branches"], _LIST, (*loc, "deploy_branches"))
    for key, lo, hi in (("state_file_budget", 2_000, 1_000_000), ("doom_loop_after", 1, 100)):
        if key in p:
            _type(p[key], "an integer", (*loc, key))
            if not lo <= p[key] <= hi:
                raise Problem((*loc, key), f"must be between {lo} and {hi} (got {p[key]})")
    for key in ("recheck_after", "verify_deadline"):
        if key in p:
            _duration(p[key], (*loc, key))
    hooks = p.get("hooks", {})
    _type(hooks, "a table", (*loc, "hooks"))
    _keys(hooks, HOOKS_KEYS, (*loc, "hooks"))
    if "commit_msg_patterns" in hooks:
        _type(hooks["commit_msg_patterns"], _LIST, (*loc, "hooks", "commit_msg_patterns"))
        _regexes(hooks["commit_msg_patterns"], (*loc, "hooks", "commit_msg_patterns"))
    if "deployed_tag_pattern" in hooks:
        _type(hooks["deployed_tag_pattern"], _STR, (*loc, "hooks", "deployed_tag_pattern"))
    if "sync_before" in hooks:
        _type(hooks["sync_before"], "a boolean", (*loc, "hooks", "sync_before"))
    if "sync_timeout" in hooks:
        _duration(hooks["sync_timeout"], (*loc, "hooks", "sync_timeout"))


def _checks(checks: Any, loc: tuple[str, ...]) -> None:
    if not isinstance(checks, list):
        raise Problem(loc, "must be a list of check tables ([[...checks]])")
    for i, check in enumerate(checks):
        here = (*loc, str(i))
        _type(check, "a table", here)
        if not isinstance(check.get("type"), str):
            raise Problem((*here, "type"), "a check needs a 'type'")
        for key in CHECK_REGEXES:
            if key in check and check[key] is not None:
                _regexes(check[key], (*here, key))


def _services(services: Any) -> None:
    _type(services, "a table", ("services",))
    for name, body in services.items():
        loc = ("services", name)
        if not _service_name(name):
            raise Problem(loc, f"service name {name!r} must match [a-z0-9][a-z0-9_-]*")
        _type(body, "a table", loc)
        platform = body.get("platform")
        if platform not in PLATFORMS:
            raise Problem((*loc, "platform"), f"unknown platform {platform!r}; valid platforms: {', '.join(PLATFORMS)}")
        _keys(body, SERVICE_KEYS | PLATFORM_KEYS[platform], loc)
        if "paths" in body:
            _globs(body["paths"], (*loc, "paths"))
        if "checks" in body:
            _checks(body["checks"], (*loc, "checks"))
        revision = body.get("revision", {})
        _type(revision, "a table", (*loc, "revision"))
        if "pattern" in revision:
            _regexes(revision["pattern"], (*loc, "revision", "pattern"))
        if "mounted" in revision:
            _globs(revision["mounted"], (*loc, "revision", "mounted"))


def _check(raw: dict[str, Any]) -> None:
    _keys(raw, TOP_KEYS, ())
    if "project" in raw:
        _project(raw["project"])
    if "services" in raw:
        _services(raw["services"])
    rules = raw.get("all_services", [])
    if not isinstance(rules, list):
        raise Problem(("all_services",), "must be a list of [[all_services]] tables")
    for i, rule in enumerate(rules):
        _type(rule, "a table", ("all_services", str(i)))
        _keys(rule, frozenset({"paths", "reason"}), ("all_services", str(i)))
        _globs(rule.get("paths"), ("all_services", str(i), "paths"))
    if "preflight" in raw:
        _checks(raw["preflight"], ("preflight",))


def problem(raw: dict[str, Any], text: str, path: str | Path) -> str | None:
    """None when the config passes, else one line ``file:line: key: what is wrong``."""
    try:
        _check(raw)
    except Problem as exc:
        from .tomllines import line_of  # a failing config only: its patterns cost a hook ~1.5M instructions

        line = line_of(text, list(exc.loc))
        where = f"{path}:{line}" if line else str(path)
        return f"{where}: {'.'.join(exc.loc) or '(top level)'}: {exc.msg}"
    return None
