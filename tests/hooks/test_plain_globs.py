"""mapping.matcher: a pattern without a class matches exactly what its compiled regex matches, without re."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from deploystate.state.config import globs, mapping
from deploystate.state.config.mapping import Change, affected

from .conftest import regular_site_dir

PIECES = ["a", "b", "ab", ".", "-", "/", "*", "**", "?", "./", "\n", " ", "é"]
PATH_PIECES = ["a", "b", "ab", ".", "-", "/", "\n", " ", "é", "x/y", "a/b"]


def _same(pattern: str, path: str) -> None:
    want = globs.compile_glob(pattern).match(path) is not None
    assert (mapping.matcher(pattern).match(path) is not None) == want, (pattern, path)


@pytest.mark.parametrize("pattern", ["api/**", "**/*.py", "*.md", "docs/", "/Makefile", "./web/**", "a/**/b",
                                     "a?c", "**", "*", "a/*/c", "a**b", "***", "a/**", " spaced/** "])
def test_the_configs_kind_of_patterns_match_as_their_regex(pattern):
    """Every shape of glob a config uses answers as compile_glob's regex on paths near and far from it."""
    assert isinstance(mapping.matcher(pattern), mapping.Plain)
    for path in ("api/x.py", "api", "api/", "x/api/y", "docs/readme.md", "docs", "readme.md", "a/c", "abc", "a/b",
                 "a/x/y/b", "a/b/c", "Makefile", "sub/Makefile", "web/app/x", "a\nb/c.py", "a/\n/b", "axxb",
                 "a/x/b", "spaced/z", "", "/", "x.py", "a/b.py", "a.md/b"):
        _same(pattern, path)


def test_random_patterns_and_paths_match_as_their_regex():
    """20k seeded random class-free patterns and paths: the matcher and the regex agree on every pair."""
    rnd = random.Random(13)
    for _ in range(20_000):
        pattern = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 6)))
        if not pattern.strip():
            continue
        path = "".join(rnd.choice(PATH_PIECES) for _ in range(rnd.randint(0, 7)))
        _same(pattern, path)


def test_a_class_or_an_invalid_pattern_goes_to_the_regex():
    """[...] patterns are compiled as before, and an empty or unbalanced pattern is the same GlobError."""
    assert mapping.matcher("api/[ab].py") is globs.compile_glob("api/[ab].py")
    for bad in ("", "  ", "a]b", "a[b"):
        with pytest.raises(globs.GlobError):
            mapping.matcher(bad)


def test_affected_matches_through_the_plain_matcher_as_before():
    """affected() names the same services and globs for a diff whatever matcher answered."""
    changes = [Change("api/main.py"), Change("docs/x.md"), Change("shared/lib/u.py")]
    got = affected(changes, {"api": ["api/**", "shared/**"], "web": ["web/**"]}, [(["*.toml"], "config")])
    assert {n: [(m.file, m.pattern) for m in ms] for n, ms in got.services.items()} == {
        "api": [("api/main.py", "api/**"), ("shared/lib/u.py", "shared/**")]}


def test_judging_class_free_globs_imports_no_re(tmp_path):
    """A fresh interpreter matching the config's kind of globs through affected() never imports re."""
    site = regular_site_dir(tmp_path)
    code = ("import sys\nfrom deploystate.state.config.mapping import Change, affected\n"
            "got = affected([Change('api/x.py')], {'api': ['api/**', '**/*.py', 'Makefile']})\n"
            "assert got.names() == ['api'], got\nprint('re' in sys.modules)\n")
    res = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.append({str(site)!r})\n" + code],
                         capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "False", res.stderr
