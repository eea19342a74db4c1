"""Find the project (repository root, deploystate.toml, state directory) with the standard library only.

The hook path uses this directly; the CLI and server validate the same file
with the full schema in ``config.py`` first.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

TYPE_CHECKING = False  # not typing's: importing typing costs a hook ~2.5 ms (annotations only)
if TYPE_CHECKING:
    from typing import Any

    from deploystate.state.ledger.ledger import Ledger

from deploystate.tomlsubset import loads as toml_loads  # tomllib's answer, tomllib only outside its subset
from deploystate.state.ledger import location
from deploystate.state.errors import ConfigError, DeploystateError, StateMissing

CONFIG_NAME = "deploystate.toml"
STATE_FILE = "DEPLOYMENT_STATE.md"
DEFAULT_STATE_DIR = ".deploystate"  # only outside git; in a repository the ledger lives in its common dir
DEFAULT_KEY = "(git common dir)"


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest directory upward holding deploystate.toml (or, failing that, .git)."""
    env = os.environ.get("DEPLOYSTATE_ROOT")
    here = Path(env or start or os.getcwd()).resolve()
    if (env or start) and not here.is_dir():  # an explicit root that is not there is a typo, not a search
        raise StateMissing(f"{here} is not a directory (given as {'DEPLOYSTATE_ROOT' if env else '--root'})",
                           "pass the repository root that holds deploystate.toml")
    for d in (here, *here.parents):
        if (d / CONFIG_NAME).is_file():
            return d
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    raise StateMissing(f"no {CONFIG_NAME} in {here} or any parent directory",
                       "run `deploystate init` at the root of your repository")


def read_raw(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
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

    def __init__(self, root: Path, raw: dict[str, Any]) -> None:
        self.root = root
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and (self.root, self.raw) == (other.root, other.raw)

    __hash__ = None  # type: ignore[assignment]  (as a dataclass with eq: mutable, unhashable)

    def __repr__(self) -> str:
        return f"Project(root={self.root!r}, raw={self.raw!r})"

    @classmethod
    def discover(cls, start: str | os.PathLike[str] | None = None) -> "Project":
        root = find_root(start)
        cfg = root / CONFIG_NAME
        return cls(root, read_raw(cfg) if cfg.is_file() else {})

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def settings(self) -> dict[str, Any]:
        return self.raw.get("project") or {}

    @cached_property
    def anchor_dir(self) -> Path:
        """Where the anchor lives: the git common directory, out of the work tree's reach."""
        return location.anchor_home(self.root) or self.state_dir

    @cached_property
    def state_dir(self) -> Path:
        chosen = os.environ.get("DEPLOYSTATE_STATE_DIR") or self.settings.get("state_dir")
        if not chosen:
            home = location.anchor_home(self.root)
            if home is None:
                return self.root / DEFAULT_STATE_DIR
            if (self.root / location.LEGACY_STATE_DIR).is_dir() and not home.is_dir():
                try:  # an old in-tree ledger: its records move in on first use (``ledger``), so the state exists
                    home.mkdir(parents=True, exist_ok=True)
                except OSError:
                    pass
            return home
        d = Path(chosen).expanduser()
        return d if d.is_absolute() else self.root / d

    @property
    def state_dir_key(self) -> str:
        """How the state dir is named in the anchor: relative to the root when inside it, so a
        ``cp -a`` of the repository is not a move; a changed ``state_dir`` is."""
        if not (os.environ.get("DEPLOYSTATE_STATE_DIR") or self.settings.get("state_dir")) \
                and location.anchor_home(self.root):
            return DEFAULT_KEY
        try:
            return str(self.state_dir.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(self.state_dir.resolve())

    @property
    def state_dir_in_work_tree(self) -> bool:
        return location.inside(self.state_dir, self.root)

    @property
    def state_file(self) -> Path:
        d = Path(self.settings.get("state_file") or STATE_FILE)
        return d if d.is_absolute() else self.root / d

    @cached_property
    def ledger(self) -> Ledger:
        from deploystate.state.ledger.ledger import Ledger  # here: post-commit reads the config, not the ledger

        ledger = Ledger(self.state_dir, anchor_dir=self.anchor_dir, key=self.state_dir_key)
        legacy = self.root / location.LEGACY_STATE_DIR
        if self.state_dir_key == DEFAULT_KEY and legacy.is_dir():
            from deploystate.state.ledger.migrate import import_legacy
            try:
                import_legacy(ledger, legacy)
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
        if not self.state_dir.is_dir():
            raise StateMissing(f"no state directory at {self.state_dir}",
                               "run `deploystate init` (or create it with any recording command)")
