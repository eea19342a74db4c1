"""Find the project (repository root, deploystate.toml, state directory) with the standard library only.

The hook path uses this directly; the CLI and server validate the same file
with the full schema in ``config.py`` first. Paths are kept as ``str`` (``rootdir``, ``state_dirname``,
``anchor_dirname``: ``deploystate.ospath``) and offered as ``Path`` (``root``, ``state_dir``, ``anchor_dir``)
to callers that ask: importing pathlib would cost a hook process more than the interpreter's own start.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from deploystate.state.ledger.ledger import Ledger

from deploystate.ospath import as_path, exists, is_dir, is_file, join, norm, parents, read_text, relative_parts, resolve
from deploystate.tomlsubset import loads as toml_loads  # tomllib's answer, tomllib only outside its subset
from deploystate.state.ledger import location
from deploystate.state.errors import ConfigError, DeploystateError, StateMissing

CONFIG_NAME = "deploystate.toml"
STATE_FILE = "DEPLOYMENT_STATE.md"
DEFAULT_STATE_DIR = ".deploystate"  # only outside git; in a repository the ledger lives in its common dir
DEFAULT_KEY = "(git common dir)"


def _path(text: str) -> Path:
    return as_path(text)  # made once per str: these properties are read on every MCP call


def find_root_dir(start: str | os.PathLike[str] | None = None) -> str:
    """``find_root`` as a str."""
    env = os.environ.get("DEPLOYSTATE_ROOT")
    here = resolve(env or start or os.getcwd())
    if (env or start) and not is_dir(here):  # an explicit root that is not there is a typo, not a search
        raise StateMissing(f"{here} is not a directory (given as {'DEPLOYSTATE_ROOT' if env else '--root'})",
                           "pass the repository root that holds deploystate.toml")
    for d in (here, *parents(here)):
        if is_file(join(d, CONFIG_NAME)):
            return d
    for d in (here, *parents(here)):
        if exists(join(d, ".git")):
            return d
    raise StateMissing(f"no {CONFIG_NAME} in {here} or any parent directory",
                       "run `deploystate init` at the root of your repository")


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest directory upward holding deploystate.toml (or, failing that, .git)."""
    return _path(find_root_dir(start))


def read_raw(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        text = read_text(os.fspath(path))
    except FileNotFoundError as exc:
        raise StateMissing(f"{path} does not exist", "run `deploystate init` to write a starter config") from exc
    try:
        return toml_loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at the line named above",
                          file=str(path)) from exc


# A plain class, not a dataclass: importing dataclasses (and inspect) costs every hook process ~8 ms.
class Project:
    """A repository under deploystate: where things are, and its raw (unvalidated) config."""

    def __init__(self, root: str | os.PathLike[str], raw: dict[str, Any]) -> None:
        self.rootdir = norm(root)
        self.raw = raw
        self._state_dirname: str | None = None
        self._anchor_dirname: str | None = None
        self._home: list[str | None] = []  # location.anchor_home_dir, once (a hook asked it ~5 times per push)
        self._ledger: Ledger | None = None

    @property
    def root(self) -> Path:
        return _path(self.rootdir)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and (self.rootdir, self.raw) == (other.rootdir, other.raw)

    __hash__ = None  # type: ignore[assignment]  (as a dataclass with eq: mutable, unhashable)

    def __repr__(self) -> str:
        return f"Project(root={self.root!r}, raw={self.raw!r})"

    @classmethod
    def discover(cls, start: str | os.PathLike[str] | None = None) -> "Project":
        root = find_root_dir(start)
        cfg = join(root, CONFIG_NAME)
        return cls(root, read_raw(cfg) if is_file(cfg) else {})

    @property
    def config_file(self) -> str:
        return join(self.rootdir, CONFIG_NAME)

    @property
    def config_path(self) -> Path:
        return _path(self.config_file)

    @property
    def settings(self) -> dict[str, Any]:
        return self.raw.get("project") or {}

    @property
    def anchor_dirname(self) -> str:
        """Where the anchor lives: the git common directory, out of the work tree's reach."""
        if self._anchor_dirname is None:
            self._anchor_dirname = self._anchor_home() or self.state_dirname
        return self._anchor_dirname

    def _anchor_home(self) -> str | None:
        """The git common dir's folder for this project (``location.anchor_home_dir``), found once per Project:
        the state dir, the anchor dir and the state dir's key all start from it."""
        if not self._home:
            self._home.append(location.anchor_home_dir(self.rootdir))
        return self._home[0]

    @property
    def anchor_dir(self) -> Path:
        return _path(self.anchor_dirname)

    @property
    def state_dirname(self) -> str:
        if self._state_dirname is None:
            self._state_dirname = self._find_state_dir()
        return self._state_dirname

    @property
    def state_dir(self) -> Path:
        return _path(self.state_dirname)

    def _find_state_dir(self) -> str:
        chosen = os.environ.get("DEPLOYSTATE_STATE_DIR") or self.settings.get("state_dir")
        if not chosen:
            home = self._anchor_home()
            if home is None:
                return join(self.rootdir, DEFAULT_STATE_DIR)
            if is_dir(join(self.rootdir, location.LEGACY_STATE_DIR)) and not is_dir(home):
                try:  # an old in-tree ledger: its records move in on first use (``ledger``), so the state exists
                    os.makedirs(home, exist_ok=True)
                except OSError:
                    pass
            return home
        d = norm(os.path.expanduser(norm(chosen)))
        return d if d.startswith("/") else join(self.rootdir, d)

    @property
    def state_dir_key(self) -> str:
        """How the state dir is named in the anchor: relative to the root when inside it, so a
        ``cp -a`` of the repository is not a move; a changed ``state_dir`` is."""
        if not (os.environ.get("DEPLOYSTATE_STATE_DIR") or self.settings.get("state_dir")) \
                and self._anchor_home():
            return DEFAULT_KEY
        where, top = resolve(self.state_dirname), resolve(self.rootdir)
        try:
            return "/".join(relative_parts(where, top)) or "."
        except ValueError:
            return where

    @property
    def state_dir_in_work_tree(self) -> bool:
        return location.inside(self.state_dir, self.root)

    @property
    def state_file(self) -> Path:
        return _path(self.state_filename)

    @property
    def state_filename(self) -> str:
        """``str(state_file)`` without pathlib (the state and render commands' path)."""
        d = norm(os.fspath(self.settings.get("state_file") or STATE_FILE))
        return d if d.startswith("/") else join(self.rootdir, d)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = self._open_ledger()
        return self._ledger

    def _open_ledger(self) -> Ledger:
        from deploystate.state.ledger.ledger import Ledger  # here: post-commit reads the config, not the ledger

        ledger = Ledger(self.state_dirname, anchor_dir=self.anchor_dirname, key=self.state_dir_key)
        legacy = join(self.rootdir, location.LEGACY_STATE_DIR)
        if self.state_dir_key == DEFAULT_KEY and is_dir(legacy):
            from deploystate.state.ledger.migrate import import_legacy
            try:
                import_legacy(ledger, _path(legacy))
            except (OSError, DeploystateError):
                pass  # read-only, full or TAMPERED: the old records stay where they are (integrity says why)
        return ledger

    @property
    def doom_loop_after(self) -> int:
        value = self.settings.get("doom_loop_after", 3)
        return value if isinstance(value, int) and value > 0 else 3

    @property
    def deploy_branches(self) -> list[str]:
        value = self.settings.get("deploy_branches", ["main"])
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else ["main"]

    def service_paths(self) -> dict[str, list[str]]:
        services = self.raw.get("services") or {}
        return {name: list(body.get("paths") or []) for name, body in services.items() if isinstance(body, dict)}

    def revision_waivers(self) -> dict[str, str]:
        """service -> reason for each ``revision_waiver`` (raw: hooks and the state file show it)."""
        services = self.raw.get("services") or {}
        return {name: str(body["revision_waiver"]).strip() for name, body in sorted(services.items())
                if isinstance(body, dict) and str(body.get("revision_waiver") or "").strip()}

    def deployed_by_ci(self) -> list[str]:
        """Services CI rolls out after a push (``deployed_by = "ci"`` on the service or in [project])."""
        default = self.settings.get("deployed_by") or "deploystate"
        services = self.raw.get("services") or {}
        return sorted(name for name, body in services.items()
                      if isinstance(body, dict) and (body.get("deployed_by") or default) == "ci")

    def all_services_rules(self) -> list[tuple[list[str], str]]:
        rules = self.raw.get("all_services") or []
        return [(list(r.get("paths") or []), str(r.get("reason") or "affects every service"))
                for r in rules if isinstance(r, dict)]

    def require_state(self) -> None:
        if not is_dir(self.state_dirname):
            raise StateMissing(f"no state directory at {self.state_dir}",
                               "run `deploystate init` (or create it with any recording command)")
