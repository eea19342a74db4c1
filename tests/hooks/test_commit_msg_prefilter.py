"""The commit-msg shim's prefilter: Python is skipped only for a message that cannot be a claim.

It must never let a claim through: every claim of the claims table reaches Python, every message the
prefilter passes is one ``claims.find_claim`` finds nothing in, and a config with its own patterns,
found as ``settings.find`` finds it, always sends the message to Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from deploystate.hooks import claims, settings
from deploystate.hooks.git import install
from tests.fixtures.gitrepo import GIT_ENV

from .test_claims_table import CLAIMS, NON_CLAIMS

PATTERNS, _ = claims.compile_patterns(list(settings.DEFAULT_CLAIM_PATTERNS))
CHECK = install.plain_message_check()
PLAIN_CONFIG = '[project]\nname = "x"\n\n[services.api]\nplatform = "command"\npaths = ["api/**"]\n'
OWN_PATTERNS = PLAIN_CONFIG.replace('name = "x"\n', 'name = "x"\n\n[project.hooks]\n'
                                    'commit_msg_patterns = ["(?i)shipped"]\n', 1)


def skips_python(message: str | bytes, cwd: Path, env: dict[str, str] | None = None) -> bool:
    """Run the shim's check itself (POSIX sh) on a message file: True when it would skip Python."""
    path = cwd.parent / "MSG"
    path.write_bytes(message.encode("utf-8") if isinstance(message, str) else message)
    res = subprocess.run(["/bin/sh", "-c", CHECK, "sh", str(path)], cwd=cwd, capture_output=True, timeout=30,
                         env={**os.environ, **(env or {})})
    return res.returncode == 0


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "deploystate.toml").write_text(PLAIN_CONFIG)
    return tmp_path / "repo"


def test_the_prefilter_covers_exactly_the_default_patterns() -> None:
    """The claim words were chosen for these default patterns: changing the defaults must revisit them."""
    assert install.PREFILTERED == settings.DEFAULT_CLAIM_PATTERNS
    for pattern in install.PREFILTERED:  # every alternative of each pattern spells one of the words
        assert any(w in pattern.lower() for w in install.CLAIM_WORDS), pattern


@pytest.mark.parametrize("message", CLAIMS)
def test_every_claim_of_the_table_reaches_python(plain: Path, message: str) -> None:
    """Each claim of the commit-msg table (zero-width, full-width and lookalike ones too) goes to Python."""
    assert not skips_python(message, plain)


def test_plain_non_claims_skip_python_and_are_not_claims(plain: Path) -> None:
    """Plain messages with no claim word skip Python, and claims.find_claim agrees they are no claim."""
    skipped = [m for m in NON_CLAIMS + ["Refactor the cart", "Fix #12: cart total\n\nSigned-off-by: dev", ""]
               if skips_python(m, plain)]
    assert "Refactor the cart" in skipped and "deploy script" in skipped
    for message in skipped:
        assert claims.find_claim(claims.strip_commit_message(message), PATTERNS) is None, message


@pytest.mark.parametrize("raw", [b"deployed\n", b"DePlOyEd it", b"is now live", b"caf\xc3\xa9", b"x\x00y",
                                 b"x\r\n", b"\xef\xbb\xbfok", b"Verified", b"working", b"\x1b[0m"])
def test_claim_words_and_non_plain_bytes_go_to_python(plain: Path, raw: bytes) -> None:
    """Any claim word (any case), any byte outside printable ASCII, space and tab: Python decides."""
    assert not skips_python(raw, plain)


def test_an_unreadable_message_goes_to_python(plain: Path) -> None:
    """A message file that cannot be read is Python's to refuse (it says why)."""
    res = subprocess.run(["/bin/sh", "-c", CHECK, "sh", str(plain / "no-such-file")], cwd=plain, timeout=30)
    assert res.returncode != 0


def test_a_config_with_its_own_patterns_goes_to_python(tmp_path: Path) -> None:
    """commit_msg_patterns in the config the hook would read (here, or in a parent) sends every message to Python."""
    (tmp_path / "repo" / "sub").mkdir(parents=True)
    (tmp_path / "repo" / "deploystate.toml").write_text(OWN_PATTERNS)
    assert not skips_python("shipped it", tmp_path / "repo")
    assert not skips_python("shipped it", tmp_path / "repo" / "sub")
    (tmp_path / "repo" / "sub" / "deploystate.toml").write_text(PLAIN_CONFIG)  # the nearest one is read
    assert skips_python("shipped it", tmp_path / "repo" / "sub")


def test_the_config_is_found_as_settings_find_does(tmp_path: Path) -> None:
    """DEPLOYSTATE_ROOT is used when set (a root it cannot enter goes to Python); symlinks are resolved first,
    so the parents walked are the real directory's, as Path.resolve() gives them to settings.find."""
    real, logical = tmp_path / "b" / "real", tmp_path / "a"
    real.mkdir(parents=True)
    logical.mkdir()
    (tmp_path / "b" / "deploystate.toml").write_text(OWN_PATTERNS)
    (logical / "deploystate.toml").write_text(PLAIN_CONFIG)
    (logical / "link").symlink_to(real)
    assert settings.find(logical / "link").root == (tmp_path / "b").resolve()  # what Python reads
    assert not skips_python("shipped it", logical / "link")
    assert skips_python("shipped it", real.parent.parent / "a")
    assert not skips_python("shipped it", logical, env={"DEPLOYSTATE_ROOT": str(real)})
    assert not skips_python("shipped it", logical, env={"DEPLOYSTATE_ROOT": str(tmp_path / "nowhere")})


WORDS = ["deploy", "deployed", "Deployed", "DEPLOYED", "live", "alive", "is now live", "liveness", "verified",
         "verified working", "working in prod", "working", "in production", "not", "no", "api", "cart", "fix",
         "the", "#", "'", '"', "`", "```", ">", ";", ",", ".", "?", "-", "\n", " ", "\t", "  ", "depl", "oyed",
         "------------------------ >8 ------------------------", "Signed-off-by: dev", "ship", "done", "prod"]


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                                              max_size=6)), max_size=14))
def test_whatever_the_prefilter_passes_is_not_a_claim(plain: Path, parts: list[str]) -> None:
    """Generated ASCII messages: when the shim's check skips Python, find_claim finds no claim in it."""
    message = " ".join(parts)
    if skips_python(message, plain):
        assert claims.find_claim(claims.strip_commit_message(message), PATTERNS) is None, message


def _logging_python(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "python.log"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def test_the_installed_shim_starts_no_python_for_a_plain_message(shop, tmp_path: Path) -> None:
    """Through git: a plain message commits without the commit-msg Python; a claim still meets it and is refused."""
    wrapper, log = _logging_python(tmp_path)
    install.install(shop.path, python=str(wrapper))
    env = {**os.environ, **GIT_ENV}
    ok = subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "Refactor the cart"], cwd=shop.path,
                        capture_output=True, text=True, timeout=60, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "commit-msg" not in (log.read_text() if log.exists() else "")
    shop.deploy("api")  # restarted, never verified: a claim must be refused
    bad = subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "api deployed"], cwd=shop.path,
                         capture_output=True, text=True, timeout=60, env=env)
    assert bad.returncode != 0 and "refusing this commit message" in bad.stderr
    assert "commit-msg" in log.read_text()
