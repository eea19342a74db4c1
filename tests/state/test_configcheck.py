"""The hooks' standard-library config check agrees with the full schema and names file, line and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import settings as settings_h
from hypothesis import strategies as st

from deploystate.hooks import settings
from deploystate.state.config import configcheck
from deploystate.state.config.checks import CheckBase
from deploystate.state.config.config import (SERVICE_MODELS, AllServicesRule, Config, HooksSettings, ProjectSettings,
                                             ServiceBase, validate_config)
from deploystate.state.errors import ConfigError
from tests.server.test_bad_config_matrix import BAD, GOOD


def test_key_tables_equal_the_schema() -> None:
    """Every key table of the stdlib check (and the hooks' routing check) equals the schema's models."""
    assert configcheck.TOP_KEYS == set(Config.model_fields) == settings.TOP_KEYS
    assert configcheck.PROJECT_KEYS == set(ProjectSettings.model_fields) == settings.PROJECT_KEYS
    assert configcheck.HOOKS_KEYS == set(HooksSettings.model_fields) == settings.HOOKS_KEYS
    assert configcheck.SERVICE_KEYS == set(ServiceBase.model_fields)
    assert set(configcheck.PLATFORMS) == set(SERVICE_MODELS)
    for platform, model in SERVICE_MODELS.items():
        assert configcheck.PLATFORM_KEYS[platform] == set(model.model_fields) - set(ServiceBase.model_fields), platform
    assert configcheck.CHECK_KEYS == set(CheckBase.model_fields)
    assert {"paths", "reason"} == set(AllServicesRule.model_fields)


def test_a_good_config_passes_both() -> None:
    """The valid config the matrix starts from passes the schema and the stdlib check."""
    validate_config(tomllib.loads(GOOD), GOOD)
    assert configcheck.problem(tomllib.loads(GOOD), GOOD, "deploystate.toml") is None


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_configs_are_refused_by_both_with_line_and_key(name: str) -> None:
    """Each bad config of the matrix is rejected by the schema and by the stdlib check, at the same key."""
    text, key, line = BAD[name]
    with pytest.raises(ConfigError) as exc:
        validate_config(tomllib.loads(text), text, Path("deploystate.toml"))
    assert exc.value.key.startswith(key) and exc.value.line == line, (exc.value.key, exc.value.line)
    found = configcheck.problem(tomllib.loads(text), text, "deploystate.toml")
    assert found is not None and found.startswith(f"deploystate.toml:{line}: {key}: "), found


@pytest.mark.parametrize("field,value", [("body_regex", "(unclosed"), ("stdout_regex", "[z-a]")])
def test_check_regexes_are_compiled_when_the_config_loads(field: str, value: str) -> None:
    """body_regex and stdout_regex are compiled at load time, not when the check first runs."""
    kind, extra = ("http", 'url = "http://x"') if field == "body_regex" else ("command", 'argv = ["true"]')
    text = GOOD + f'\n[[services.api.checks]]\ntype = "{kind}"\n{extra}\n{field} = "{value}"\n'
    with pytest.raises(ConfigError) as exc:
        validate_config(tomllib.loads(text), text, Path("deploystate.toml"))
    assert exc.value.key == f"services.api.checks.0.{field}" and "invalid regex" in exc.value.message
    assert "invalid regex" in (configcheck.problem(tomllib.loads(text), text, "deploystate.toml") or "")


GLOB_ALPHABET = "ab/*?[]!.- \\^"


@settings_h(max_examples=400, deadline=None)
@given(st.text(alphabet=GLOB_ALPHABET, max_size=8))
@example("  ")
@example("!api/**")
@example("")
def test_the_config_check_refuses_exactly_the_globs_compile_glob_refuses(pattern: str) -> None:
    """A paths entry passes the stdlib check (plain globs without importing globs) exactly when compile_glob
    accepts it and it is no '!' negation."""
    from deploystate.state.config.globs import GlobError, compile_glob

    try:
        compile_glob(pattern)
        valid = not pattern.startswith("!")
    except GlobError:
        valid = False
    try:
        configcheck._globs([pattern], ("services", "api", "paths"))
        ours = True
    except configcheck.Problem:
        ours = False
    assert ours == valid


@settings_h(max_examples=400, deadline=None)
@given(st.text(alphabet=GLOB_ALPHABET, max_size=8))
def test_check_glob_refuses_exactly_what_compile_glob_refuses(pattern: str) -> None:
    """check_glob (no re for a pattern without brackets) raises GlobError exactly when compile_glob does."""
    from deploystate.state.config.globs import GlobError, check_glob, compile_glob

    def outcome(fn) -> str | None:
        try:
            fn(pattern)
        except GlobError as exc:
            return str(exc)
        return None

    assert outcome(check_glob) == outcome(compile_glob)


@settings_h(max_examples=400, deadline=None)
@given(st.text(alphabet="az09_-A.\n ", max_size=6))
def test_service_names_are_judged_as_the_schema_regex_does(name: str) -> None:
    """The re-free service-name test agrees with ^[a-z0-9][a-z0-9_-]*$ (a final newline included)."""
    import re

    assert configcheck._service_name(name) == bool(re.match(r"^[a-z0-9][a-z0-9_-]*$", name))


# re warns about sets its future versions may read differently ("[[", "||"); the verdict compared is today's
@pytest.mark.filterwarnings("ignore:Possible:FutureWarning")
@settings_h(max_examples=400, deadline=None)
@given(st.text(alphabet="ab(?P<>)[]{}1,\\.*+^$| #", max_size=8))
def test_regex_fields_are_refused_exactly_when_re_refuses_them(pattern: str) -> None:
    """A check's regex skips re.compile only when it is a literal; the verdict is re.compile's either way."""
    import re

    try:
        re.compile(pattern)
        valid = True
    except re.error:
        valid = False
    try:
        configcheck._regexes(pattern, ("x",))
        ours = True
    except configcheck.Problem:
        ours = False
    assert ours == valid


@pytest.mark.filterwarnings("error::FutureWarning")
@pytest.mark.parametrize("glob,path,matches", [("[[]x", "a/[x", True), ("[[]x", "a/]x", False), ("a[&&]", "a&", True),
                                               ("[|~]", "~", True), ("[!&]", "&", False), ("[!&]", "b", True),
                                               ("[[!]", "!", True)])
def test_a_glob_class_with_brackets_or_set_signs_is_literal_and_warns_nothing(glob: str, path: str, matches: bool):
    """'[', '&', '~' and '|' in a glob's class are the characters themselves, compiled without re's
    'Possible nested set / set operation' FutureWarning."""
    from deploystate.state.config.globs import compile_glob

    assert bool(compile_glob(glob).match(path)) == matches
