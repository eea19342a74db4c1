"""The few settings a git hook needs, read without importing ``deploystate.state``.

Why not ``Project.discover``: importing the state package pulls in dataclasses,
hashlib and typing (~20 ms), and the commit-msg hook runs on every commit. Most
runs only need "is this message a claim?" and "is this a deploy branch?", so this
module finds deploystate.toml the same way ``state.project.find_root`` does and
parses it (``deploystate.tomlsubset``: tomllib's answer, mostly without loading tomllib) only when the
keys it needs are actually in the file.
The slow path (state checks) uses ``Project`` itself. Paths are ``str`` here (``deploystate.ospath``):
pathlib and what it imports would cost every hook process more than the interpreter's own start.
"""

from __future__ import annotations

import os

from deploystate.ospath import exists, is_dir, is_file, join, norm, parents, read_text, relative_parts, resolve

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path

CONFIG_NAME = "deploystate.toml"  # same as state.project.CONFIG_NAME (a test keeps them equal)

# Same defaults as state.config.HooksSettings / ProjectSettings (a test keeps them equal).
DEFAULT_CLAIM_PATTERNS = (
    r"(?i)\bdeployed\b", r"(?i)\bis (now )?live\b", r"(?i)\bverified (working|in prod)",
    r"(?i)\bworking in prod(uction)?\b", r"(?i)\blive in prod(uction)?\b",
)
DEFAULT_TAG_PATTERN = "deployed/*"
DEFAULT_DEPLOY_BRANCHES = ("main",)


# Key tables, equal to state.config's models and state.configcheck's (a test keeps them equal).
TOP_KEYS = frozenset({"project", "services", "all_services", "preflight"})
PROJECT_KEYS = frozenset({"name", "deploy_branches", "state_dir", "state_file", "state_file_budget", "recheck_after",
                          "doom_loop_after", "backend", "alert_webhook", "verify_deadline", "hooks",
                          "deployed_by", "observe_deadline"})
HOOKS_KEYS = frozenset({"commit_msg_patterns", "deployed_tag_pattern", "sync_before", "sync_timeout"})


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _routing_problem(raw: dict) -> tuple[tuple[str, ...], str] | None:
    """(key path, what is wrong) for the keys that decide which pushes and messages a hook judges."""
    for table, allowed, loc in ((raw, TOP_KEYS, ()), (raw.get("project"), PROJECT_KEYS, ("project",)),
                                ((raw.get("project") or {}).get("hooks") if isinstance(raw.get("project"), dict)
                                 else None, HOOKS_KEYS, ("project", "hooks"))):
        if table is None:
            continue
        if not isinstance(table, dict):
            return loc, "must be a table"
        for key in table:
            if key not in allowed:
                return (*loc, key), f"unknown key {key!r}; valid keys: {', '.join(sorted(allowed))}"
    project = raw.get("project") or {}
    hooks = project.get("hooks") or {}
    for loc, value, ok, want in (
            (("project", "deploy_branches"), project.get("deploy_branches", []), _strings, "a list of strings"),
            (("project", "hooks", "commit_msg_patterns"), hooks.get("commit_msg_patterns", []), _strings,
             "a list of strings"),
            (("project", "hooks", "deployed_tag_pattern"), hooks.get("deployed_tag_pattern", ""),
             lambda v: isinstance(v, str), "a string"),
            (("project", "hooks", "sync_before"), hooks.get("sync_before", False),
             lambda v: isinstance(v, bool), "a boolean")):
        if not ok(value):
            return loc, f"must be {want} (got {value!r:.80})"
    if not isinstance(raw.get("services", {}), dict):
        return ("services",), "must be a table of [services.NAME] tables"
    return None


class HookSettings:
    """Where the project is and what its [project] / [project.hooks] tables say."""

    def __init__(self, root: str | os.PathLike[str] | None, text: str) -> None:
        self.root_dir = None if root is None else norm(root)  # str: the hooks' path never builds a Path
        self.text = text
        self._raw: dict | None = None
        self.error: str | None = None

    @property
    def root(self) -> Path | None:
        """The project root as a Path (pathlib imported only by a caller that asks for one)."""
        from pathlib import Path

        return None if self.root_dir is None else Path(self.root_dir)

    @property
    def configured(self) -> bool:
        """True when a deploystate.toml or a state directory says this repository uses deploystate."""
        return self.root_dir is not None

    def raw(self) -> dict:
        if self._raw is None:
            self._raw = {}
            if self.text:
                from deploystate.tomlsubset import loads  # tomllib's answer; tomllib itself only when needed
                try:
                    self._raw = loads(self.text)
                except ValueError as exc:  # tomllib.TOMLDecodeError
                    self.error = f"{CONFIG_NAME} is not valid TOML: {exc}"
        return self._raw

    def config_problem(self) -> str | None:
        """Why the parts of deploystate.toml that route a hook (TOML syntax, the top level, [project]
        and [project.hooks] keys and types) are wrong, or None. Standard library only and cheap: it
        runs on every push. The full stdlib check (``state.configcheck``) runs where a hook decides
        (``snapshot.take``). A hook that cannot trust its routing refuses instead (fail closed)."""
        if not self.text or self.root_dir is None:
            return None
        raw = self.raw()
        if self.error:
            return f"{join(self.root_dir, CONFIG_NAME)}: {self.error.removeprefix(CONFIG_NAME + ' ')}"
        found = _routing_problem(raw)
        if found is None:
            return None
        loc, msg = found
        from deploystate.state.config.tomllines import line_of  # only on the refusal path
        line = line_of(self.text, list(loc))
        return f"{join(self.root_dir, CONFIG_NAME)}{f':{line}' if line else ''}: {'.'.join(loc) or '(top level)'}: {msg}"

    def _project(self) -> dict:
        value = self.raw().get("project")
        return value if isinstance(value, dict) else {}

    def _hooks(self) -> dict:
        value = self._project().get("hooks")
        return value if isinstance(value, dict) else {}

    # Each accessor skips the TOML parse when its key cannot be in the file: a cheap
    # substring test keeps the common "nothing configured" case free.
    def claim_patterns(self) -> list[str]:
        if "commit_msg_patterns" not in self.text:
            return list(DEFAULT_CLAIM_PATTERNS)
        value = self._hooks().get("commit_msg_patterns")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        return list(DEFAULT_CLAIM_PATTERNS)

    def tag_pattern(self) -> str:
        if "deployed_tag_pattern" not in self.text:
            return DEFAULT_TAG_PATTERN
        value = self._hooks().get("deployed_tag_pattern")
        return value if isinstance(value, str) and value else DEFAULT_TAG_PATTERN

    def deploy_branches(self) -> list[str]:
        if "deploy_branches" not in self.text:
            return list(DEFAULT_DEPLOY_BRANCHES)
        value = self._project().get("deploy_branches")
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return list(DEFAULT_DEPLOY_BRANCHES)

    def anchored_branches(self) -> list[str]:
        """deploy_branches as last acknowledged in the ledger's anchor (out of the work tree): a narrowed
        deploy_branches in deploystate.toml must not let a push skip every check. Same file as
        ``state.location.anchor_home`` finds (a test keeps them equal), read without importing state."""
        home = anchor_home_dir(self.root_dir) if self.root_dir is not None else None
        if home is None:
            return []
        from deploystate.jsonlite import loads  # json.loads without importing json
        try:
            value = loads(read_text(join(home, "anchor.json")))["config"]["deploy_branches"]
        except (OSError, ValueError, KeyError, TypeError):
            return []
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def sync_before(self) -> tuple[bool, float]:
        """([project.hooks] sync_before, sync_timeout seconds): sync the team ledger before judging."""
        if "sync_before" not in self.text:
            return False, 5.0
        hooks = self._hooks()
        timeout = hooks.get("sync_timeout", 5.0)
        try:
            from deploystate.state.ledger.ids import parse_duration
            seconds = parse_duration(timeout)
        except (ValueError, TypeError):
            seconds = 5.0
        return hooks.get("sync_before") is True, seconds

    def service_names(self) -> list[str]:
        if "services" not in self.text:
            return []
        services = self.raw().get("services")
        return sorted(services) if isinstance(services, dict) else []


def anchor_home(root: str | os.PathLike[str]) -> Path | None:
    """``anchor_home_dir`` as a Path (for callers off the decision path)."""
    from pathlib import Path

    home = anchor_home_dir(root)
    return None if home is None else Path(home)


def anchor_home_dir(root: str | os.PathLike[str]) -> str | None:
    """<git common dir>/deploystate[/projects/<rel>]: a copy of state.location.anchor_home for the fast path."""
    root = norm(root)
    for top in (root, *parents(root)):
        entry = join(top, ".git")
        if exists(entry):
            break
    else:
        return None
    common = entry
    if is_file(entry):
        try:
            text = read_text(entry).strip()
            gitdir = norm(text[len("gitdir:"):].strip()) if text.startswith("gitdir:") else None
        except OSError:
            return None
        if gitdir is None:
            return None
        gitdir = gitdir if gitdir.startswith("/") else join(os.path.dirname(entry), gitdir)
        try:
            rel = norm(read_text(join(gitdir, "commondir")).strip())
            common = rel if rel.startswith("/") else join(gitdir, rel)
        except OSError:
            common = gitdir
    common = resolve(common)
    parts = relative_parts(resolve(root), resolve(top))
    return join(common, "deploystate", "projects", "__".join(parts)) if parts else join(common, "deploystate")


def find(start: str | os.PathLike[str] | None = None) -> HookSettings:
    """The project around ``start`` (default: DEPLOYSTATE_ROOT, else the current directory)."""
    env = os.environ.get("DEPLOYSTATE_ROOT")
    here = resolve(env or start or os.getcwd())
    for d in (here, *parents(here)):
        cfg = join(d, CONFIG_NAME)
        if is_file(cfg):
            try:
                return HookSettings(d, read_text(cfg))
            except OSError:
                return HookSettings(d, "")
    # No config: like Project.discover, fall back to the repository top, but only call the
    # project configured when a state directory says someone records deploys here.
    for d in (here, *parents(here)):
        if exists(join(d, ".git")):
            state_dir = os.path.expanduser(norm(os.environ.get("DEPLOYSTATE_STATE_DIR") or ".deploystate"))
            if is_dir(state_dir if state_dir.startswith("/") else join(d, state_dir)):
                return HookSettings(d, "")
            home = anchor_home_dir(d)  # the default ledger, in the git common dir
            if home is not None and exists(join(home, "ledger.jsonl")):
                return HookSettings(d, "")
            break
    return HookSettings(None, "")


def framework_note() -> str:
    """A hint for refusals under the pre-commit framework, which stashes unstaged changes (new ledger
    records included) while hooks run."""
    if os.environ.get("PRE_COMMIT") != "1":
        return ""
    return ("Note: the pre-commit framework hides unstaged changes while hooks run, including ledger records "
            "not yet committed. If you recorded a verification since your last commit, commit the state "
            "directory and try again (or use `deploystate hooks install --git`, which does not stash).\n")
