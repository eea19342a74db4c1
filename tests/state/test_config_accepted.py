"""The memo of configs the schema accepted: asked again on any change, never a way past a refusal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.state.config import accepted
from deploystate.state.errors import ConfigError, StateMissing
from tests.server.test_bad_config_matrix import BAD, GOOD


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """A deploystate.toml holding GOOD and an existing state directory."""
    (tmp_path / "state").mkdir()
    (tmp_path / "deploystate.toml").write_text(GOOD, encoding="utf-8")
    return tmp_path / "deploystate.toml", tmp_path / "state"


def _in_fresh_process(config: Path, state: Path) -> dict:
    code = ("import json, sys; from deploystate.state.config.accepted import ensure_valid\n"
            "try:\n    ok = ensure_valid(__import__('pathlib').Path(sys.argv[1]), __import__('pathlib').Path(sys.argv[2]))\n"
            "except Exception as exc:\n    ok = type(exc).__name__ + ': ' + str(exc)\n"
            "print(json.dumps({'ok': ok, 'pydantic': 'pydantic' in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code, str(config), str(state)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return json.loads(out)


def test_an_accepted_config_is_then_valid_without_importing_pydantic(project) -> None:
    """The first check asks the schema (pydantic); the next process answers from the memo alone."""
    config, state = project
    assert _in_fresh_process(config, state) == {"ok": True, "pydantic": True}
    assert (state / accepted.MEMO).is_file()
    assert _in_fresh_process(config, state) == {"ok": True, "pydantic": False}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_refused_config_is_refused_every_time_and_never_remembered(project, name: str) -> None:
    """A bad config raises ConfigError naming line and key on every call, also after a good one was accepted."""
    config, state = project
    assert accepted.ensure_valid(config, state) is True
    text, key, line = BAD[name]
    config.write_text(text, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError) as err:
            accepted.ensure_valid(config, state)
        assert f"deploystate.toml:{line}" in err.value.message and key in err.value.message
    assert not accepted.is_accepted(state, text)
    assert accepted.is_accepted(state, GOOD)


def test_the_memo_is_keyed_by_the_schema_source(project, tmp_path: Path, monkeypatch) -> None:
    """Editing a module that decides acceptance changes the key, so an accepted text is asked again."""
    config, state = project
    accepted.ensure_valid(config, state)
    copies = []
    for src in accepted.SCHEMA_SOURCES:
        copy = tmp_path / "src" / src.parent.name / src.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, copy)
        copies.append(copy)
    monkeypatch.setattr(accepted, "SCHEMA_SOURCES", tuple(copies))
    monkeypatch.setattr(accepted, "_fingerprint", None)
    assert accepted.is_accepted(state, GOOD)  # same bytes, same key
    copies[1].write_text(copies[1].read_text() + "\n# changed\n")
    monkeypatch.setattr(accepted, "_fingerprint", None)
    assert not accepted.is_accepted(state, GOOD)


def test_a_garbled_memo_or_no_state_directory_means_the_schema_is_asked(project) -> None:
    """Junk in the memo accepts nothing; without a state directory nothing is written and a bad config fails."""
    config, state = project
    (state / accepted.MEMO).parent.mkdir()
    (state / accepted.MEMO).write_bytes(b"\xff\xfe junk\n")
    assert not accepted.is_accepted(state, GOOD)
    config.write_text(BAD["unknown key"][0], encoding="utf-8")
    with pytest.raises(ConfigError):
        accepted.ensure_valid(config, state / "missing")
    config.write_text(GOOD, encoding="utf-8")
    assert accepted.ensure_valid(config, state / "missing") is True
    assert not (state / "missing").exists()


def test_a_missing_config_is_false_or_state_missing(tmp_path: Path) -> None:
    """No file: ensure_valid says False, require_valid raises StateMissing as load_config does."""
    assert accepted.ensure_valid(tmp_path / "deploystate.toml", tmp_path) is False
    with pytest.raises(StateMissing):
        accepted.require_valid(tmp_path / "deploystate.toml", tmp_path)


def test_the_memo_keeps_the_last_keys_only(project) -> None:
    """At most KEEP accepted texts are remembered; the oldest is forgotten first."""
    config, state = project
    texts = [GOOD.replace('"shop"', f'"shop{i}"') for i in range(accepted.KEEP + 1)]
    for text in texts:
        accepted.remember(state, text)
    assert not accepted.is_accepted(state, texts[0])
    assert all(accepted.is_accepted(state, t) for t in texts[1:])


def test_schema_sources_are_the_modules_config_imports() -> None:
    """SCHEMA_SOURCES lists every module of ours that importing config.py loads (package inits aside)."""
    code = ("import sys, json; import deploystate.state.config.config\n"
            "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items() if n.startswith('deploystate.')"
            " and getattr(m, '__file__', None) and not m.__file__.endswith('__init__.py'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    loaded = {str(Path(p).resolve()) for p in json.loads(out)}
    assert loaded == {str(p.resolve()) for p in accepted.SCHEMA_SOURCES}
