"""deploystate.tomlsubset reads what tomllib reads, or says it is unsure: never a different answer.

The property, everywhere: ``parse_subset(text)`` is None, or it equals ``tomllib.loads(text)`` with the
same types (``True`` is not ``1``), and it is None whenever tomllib rejects the text. Checked on every
config the project ships, generates or writes in its tests, on TOML edge cases, and on fuzzed variants.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from deploystate import tomlsubset

ROOT = Path(__file__).resolve().parents[2]
REJECTED = object()


def _typed(value):  # noqa: ANN001, ANN202
    if isinstance(value, dict):
        return ("dict", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _reference(text: str):  # noqa: ANN202
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return REJECTED


def _agrees(text: str) -> dict | None:
    got = tomlsubset.parse_subset(text)
    want = _reference(text)
    if got is not None:
        assert want is not REJECTED, f"accepted what tomllib rejects: {text!r}"
        assert _typed(got) == _typed(want), text
    return got


def _shipped() -> dict[str, str]:
    """Every deploystate.toml under examples/, `deploystate init`'s starter for each, and the demo's."""
    from deploystate.state.discovery.discover import discover
    from deploystate.state.discovery.starter import starter_toml
    from deploystate.server.demo.config_text import command_config

    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("examples/*/deploystate.toml"))}
    for d in sorted(p.parent for p in ROOT.glob("examples/*/deploystate.toml")):
        out[f"starter of {d.name}"] = starter_toml(discover(d), "shop", ["main", "release/*"])
    out["demo"] = command_config("/usr/bin/python3", 8080)
    return out


def _from_tests() -> list[str]:
    """String constants in the test suite that look like a deploystate.toml (valid or not)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "[project" in node.value or "[services." in node.value or "platform =" in node.value):
                found.append(node.value)
    return found


SHIPPED = _shipped()
FROM_TESTS = _from_tests()
BENCH = ('[project]\nname = "bench"\n\n[services.web]\nplatform = "command"\npaths = ["web/**"]\n'
         'restart_cmd = ["true"]\n\n[services.api]\nplatform = "command"\npaths = ["api/**", "shared/**"]\n'
         'restart_cmd = ["true"]\n')


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_config_is_read_by_the_subset_reader_exactly(name: str) -> None:
    """Examples, init's starters and the demo config are inside the subset (no tomllib) and read as tomllib does."""
    assert _agrees(SHIPPED[name]) is not None, name


def test_the_bench_config_and_most_test_configs_take_the_fast_path() -> None:
    """The benchmark's config is in the subset; every config in the tests agrees with tomllib (or is unsure)."""
    assert _agrees(BENCH) is not None
    assert len(FROM_TESTS) > 50
    fast = [t for t in FROM_TESTS if _agrees(t) is not None]
    assert len(fast) > len(FROM_TESTS) // 2  # the subset is the common case, not a curiosity


VALID_EDGES = [
    "", "\n\n", "# only a comment", "a = 1", "a = -0", "a = +7", "a = 0.5", "a = -1.25", "a = true", "b = false",
    "a = 'lit\\eral'", 'a = "q\\"uote\\\\ \\n\\t\\b\\f\\r"', 'a = ""', "a = ''", "a = []", "a = [ ]", "a = [1,]",
    "a = [\n  1, # one\n  2,\n  # gap\n]", 'a = [[1, 2], ["x"], []]', "a = {}", "a = { x = 1, y = 'z' }",
    'a = { x = { y = [1, {z = true}] } }', "a = {x = [1,\n2]}", "[t]\n[t.u]\nk = 1\n[t.v]", "[t.u]\n[t]\nk = 1",
    "[[p]]\nx = 1\n[[p]]\nx = 2", "[[p]]\n[p.q]\nk = 1\n[[p]]\n[p.q]\nk = 2", "[[p.q]]\n[p]\nk = 1",
    "[ t ]\nk = 1", "[[ t ]]", "k=1#c\n[t]#c\nj=2 # c", "a = \"é ✓ 日本\"", "# ünïcode ✓\na = 1", "1 = 2\n-_ = 3",
    "a = 9223372036854775", "a = 'x' \t", "[a]\n\tb = 1",
    '[project]\nname = "x"\n[project.hooks]\ncommit_msg_patterns = ["(?i)\\\\bshipped\\\\b"]\nsync_before = true',
]
INVALID_OR_OUTSIDE = [
    "a = 1\na = 2", "[t]\n[t]", "[t]\nk = 1\n[t.k]", "[t.k]\n[t]\nk = 1", "a = {x = 1}\n[a]", "a = {x = 1}\n[a.b]",
    "a = [{x = 1}]\n[[a]]", "[[a]]\n[a]", "[a]\n[[a]]", "a = 1\n[a]", "a = 01", "a = 1_000", "a = 0x1f", "a = 1e5",
    "a = 1.", "a = .5", "a = inf", "a = nan", "a = 1979-05-27", "a = 07:32:00", 'a = """x"""', "a = '''x'''",
    'a = "\\u00e9"', 'a = "\\x"', 'a = "open', "a = 'open", 'a = "new\nline"', "a.b = 1", '"q" = 1', "[a.'b']",
    "[a . b]", "a = [1 2]", "a = [,]", "a = {x = 1,}", "a = {x = 1\n}", "a = { x = 1, x = 2 }", "a = truex",
    "a =", "= 1", "a = 1 2", "a = 1\r\nb = 2", "a = \"\x01\"", "# \x7f", "[t", "[[t]", "[t]]", "a = [1", "\ufeffa = 1",
    "a = 99999999999999999999", "[]", "[t.]", "a = \u00a0 1", "a = \"\u200b\"",
]


@pytest.mark.parametrize("text", VALID_EDGES)
def test_edge_cases_inside_the_subset_equal_tomllib(text: str) -> None:
    """Each of these is read by the subset reader itself, exactly as tomllib reads it."""
    assert _agrees(text) is not None, text


@pytest.mark.parametrize("text", INVALID_OR_OUTSIDE)
def test_invalid_or_unusual_toml_is_left_to_tomllib(text: str) -> None:
    """Redefinitions, bad numbers, exotic strings and keys: never read by the subset; loads gives tomllib's answer."""
    assert tomlsubset.parse_subset(text) is None, text
    want = _reference(text)
    if want is REJECTED:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomlsubset.loads(text)
    else:
        assert _typed(tomlsubset.loads(text)) == _typed(want)


def test_loads_raises_tomllibs_own_error_with_its_message() -> None:
    """An invalid file gets tomllib's error, word for word (a ValueError, as callers catch it)."""
    text = '[project]\nname = "x"\nname = "y"\n'
    with pytest.raises(tomllib.TOMLDecodeError) as ours:
        tomlsubset.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError) as theirs:
        tomllib.loads(text)
    assert str(ours.value) == str(theirs.value) and isinstance(ours.value, ValueError)


CORPUS = sorted(SHIPPED.values()) + [BENCH] + VALID_EDGES + INVALID_OR_OUTSIDE + FROM_TESTS[:200]
SIGNIFICANT = list("[]{}=,.\"'#\n \t\\+-_01e:") + ["true", "[[", "]]", "'''", '"""', "\\u", "1.5", "x = 1\n"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6),
                                                   st.sampled_from(SIGNIFICANT)), min_size=1, max_size=4))
def test_fuzzed_configs_never_get_a_different_answer(base: str, edits: list) -> None:
    """Configs with characters deleted, inserted, lines doubled or swapped: the subset reader agrees or is unsure."""
    text = base
    for op, a, b, piece in edits:
        n = len(text) + 1
        if op == 0:
            text = text[:a % n] + text[a % n + 1 + b % 3:]
        elif op == 1:
            text = text[:a % n] + piece + text[a % n:]
        else:
            lines = text.split("\n")
            i, j = a % len(lines), b % len(lines)
            if op == 2:
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    _agrees(text)


KEYS = st.sampled_from(["a", "b", "name", "paths", "x-1", "svc_2", "0"])
SCALARS = st.one_of(st.booleans(), st.integers(-10 ** 12, 10 ** 12), st.text("ab\"\\\t é#[]{}=,'\n", max_size=8),
                    st.floats(-1e9, 1e9).map(lambda f: round(f, 3)))


def _render(value) -> str:  # noqa: ANN001
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_render(v)}" for k, v in value.items()) + " }"
    return "[\n  " + ",\n  ".join(_render(v) for v in value) + ",\n]" if value else "[]"


VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=3)), max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.lists(KEYS, min_size=1, max_size=3), st.booleans(),
                          st.dictionaries(KEYS, VALUES, max_size=4)), max_size=5))
def test_generated_documents_in_the_subset_are_read_and_equal(tables: list) -> None:
    """Documents built from the subset's grammar: whenever tomllib accepts one, the subset reader reads it too."""
    lines = []
    for path, many, body in tables:
        lines.append(("[[" if many else "[") + ".".join(path) + ("]]" if many else "]") + "  # table")
        lines += [f"{k} = {_render(v)}" for k, v in body.items()]
    text = "\n".join(lines) + "\n"
    got = _agrees(text)
    if _reference(text) is not REJECTED:
        assert got is not None, text
