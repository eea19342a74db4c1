"""Whether deploystate.toml is a file the pydantic schema accepted, answered without importing pydantic.

The schema (``config.py`` over ``checks.py``) stays the one authority on what a config may say. When it
accepts a file, a key for it is remembered in the state directory: the sha256 of the file's text together
with a fingerprint of everything that decides (the source of the deciding modules, the pydantic and
pydantic_core installs, the Python). A command that only needs "is this config valid?" (every command's
first step, ``state`` and ``render``) then reads one small file instead of importing pydantic and
building the models (about 80% of a ``deploystate state`` process). Only acceptances are remembered and
only under that key: a changed file, a changed schema, an unreadable or missing memo all mean the schema
is asked again, so no config is accepted that the schema would refuse, and a refusal always names
file, line and key as ``load_config`` does.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from deploystate.state.errors import StateMissing

MEMO = Path("cache") / "config-accepted"
KEEP = 16   # keys kept (worktrees sharing one state directory may hold different configs)
_HERE = Path(__file__).resolve().parent
# Every module of ours that ``config.py`` imports and whose code can change what it accepts;
# tests/state/test_config_accepted.py keeps this equal to what importing config.py loads.
SCHEMA_SOURCES = (_HERE / "config.py", _HERE / "checks.py", _HERE / "mapping.py", _HERE / "globs.py",
                  _HERE / "tomllines.py", _HERE.parent / "errors.py", _HERE.parent / "plain.py",
                  _HERE.parent / "ledger" / "ids.py")
_DISTRIBUTIONS = ("pydantic", "pydantic_core")
_fingerprint: str | None = None


def _install(name: str) -> bytes:
    """Where a distribution is installed and when its files were written (a reinstall changes it)."""
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(name)
    if spec is None or not spec.origin:
        return f"{name}: missing".encode()
    folder = Path(spec.origin).parent
    stats = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file():
            st = entry.stat()
            stats.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{name}:{folder}:{';'.join(stats)}".encode()


def fingerprint() -> str:
    """A digest of what decides acceptance: the schema's source, the pydantic installs, the Python."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(sys.version.encode())
        for path in SCHEMA_SOURCES:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for name in _DISTRIBUTIONS:
            h.update(_install(name) + b"\0")
        _fingerprint = h.hexdigest()
    return _fingerprint


def key(text: str) -> str:
    return hashlib.sha256(f"{fingerprint()}\0{text}".encode()).hexdigest()


def _memo(state_dir: Path) -> list[str]:
    try:
        return (state_dir / MEMO).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return []


def is_accepted(state_dir: Path, text: str) -> bool:
    """True only when the schema accepted exactly this text under this schema fingerprint."""
    try:
        return key(text) in _memo(state_dir)
    except OSError:  # a schema source unreadable: cannot tell, so the schema is asked
        return False


def remember(state_dir: Path, text: str) -> None:
    """Note that the schema accepted ``text`` (best effort: a memo that cannot be written costs only time)."""
    if not state_dir.is_dir():
        return  # never create the state directory as a side effect of reading the config
    try:
        k = key(text)
        keys = [x for x in _memo(state_dir) if x != k][-(KEEP - 1):] + [k]
        path = state_dir / MEMO
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text("\n".join(keys) + "\n", encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        pass


def ensure_valid(config_path: Path, state_dir: Path) -> bool:
    """Raise ConfigError (naming file, line and key) when the schema refuses the config; False when
    there is no config file, True when it is valid. pydantic is imported only for a text not yet accepted."""
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except UnicodeDecodeError:
        text = None
    if text is not None and is_accepted(state_dir, text):
        return True
    from .config import load_config, load_text

    if text is None:
        load_config(config_path)  # raises, naming the file
        return True
    load_text(text, config_path)
    remember(state_dir, text)
    return True


def require_valid(config_path: Path, state_dir: Path) -> None:
    """``ensure_valid`` for commands that need the file: a missing one is StateMissing, as ``load_config`` says."""
    if not ensure_valid(config_path, state_dir):
        raise StateMissing(f"{config_path} does not exist", "run `deploystate init` to write a starter config")
