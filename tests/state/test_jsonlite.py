"""deploystate.jsonlite.loads gives what json.loads gives: the same value, or json's own error."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, strategies as st

from deploystate import jsonlite

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
EDGES = ["", " ", "{}", " [1, 2] \n", "\ufeff{}", "{} x", "[1,]", '{"a": 1', '"\x01"', "NaN", "-Infinity",
         "1e999", "0" * 5000, '"\\ud800"', "\t\r\n 3 \t\r\n", "tru", "[" * 10 + "]" * 10, '{"a": 1, "a": 2}']
BYTES = [b"{}", b"\xef\xbb\xbf{}", '{"a": "é"}'.encode("utf-16"), '[1]'.encode("utf-32-le"), b"\xff\xfe{}",
         b'{"a": "\xc3"}', b'["\xed\xa0\x80"]', bytearray(b"[1]"), b"1\x002"]


def _same(a, b) -> bool:  # noqa: ANN001
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _outcome(loads, text):  # noqa: ANN001, ANN202
    try:
        return "value", loads(text)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return "error", (type(exc), str(exc))


def _assert_equal(text) -> None:  # noqa: ANN001
    want, got = _outcome(json.loads, text), _outcome(jsonlite.loads, text)
    assert want[0] == got[0] and (_same(want[1], got[1]) if want[0] == "value" else want[1] == got[1]), text


@pytest.mark.parametrize("text", EDGES + BYTES)
def test_edges_read_as_json_reads_them(text):
    """Whitespace, BOMs, extra data, bad escapes, constants, huge numbers, UTF-16/32 and broken UTF-8."""
    _assert_equal(text)


@given(VALUES, st.sampled_from([{}, {"indent": 2}, {"ensure_ascii": False}, {"separators": (",", ":")}]))
def test_every_document_json_writes_reads_the_same(value, options):
    """Any value json.dumps writes (as text and as UTF-8 bytes) reads back as json.loads reads it."""
    text = json.dumps(value, **options)
    _assert_equal(text)
    _assert_equal(text.encode("utf-8", "surrogatepass"))


@given(st.text(alphabet=' \t\n\r{}[]",:0123456789.eE+-truefalsnNIiy\\u\x00\ufeff', max_size=30))
def test_any_text_reads_or_fails_as_json_does(text):
    """Fuzzed near-JSON text: the same value or json's own error, word for word."""
    _assert_equal(text)


CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
KEYS = st.text(max_size=6) | st.integers() | st.none() | st.booleans() | st.floats()


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=20))
def test_the_canonical_encoder_writes_what_json_writes(value):
    """canonical_encoder() gives json's canonical text for any value (NaN, non-str keys, unicode), or json's
    error (keys of types that do not sort), and stays right after an error."""
    encode = jsonlite.canonical_encoder()
    for _ in range(2):
        assert _outcome(encode, value) == _outcome(CANONICAL, value)


def test_the_canonical_encoder_refuses_as_json_does():
    """A cycle, an object json cannot write and unsortable keys fail with json's own error, and the next
    value is written right (no cycle marker left behind)."""
    encode = jsonlite.canonical_encoder()
    loop: list = []
    loop.append(loop)
    nested = {"a": [1, {"b": loop}]}
    for bad in (loop, nested, {"x": object()}, {1: 1, "a": 2}, {"s": {1, 2}}):
        got, want = _outcome(encode, bad), _outcome(CANONICAL, bad)
        assert got[0] == want[0] == "error" and got[1] == want[1]
        assert encode({"a": [1, {"b": 2}]}) == '{"a":[1,{"b":2}]}'
    assert encode("é\n") == CANONICAL("é\n")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=20))
def test_dumps_writes_what_json_dumps_writes(value):
    """jsonlite.dumps gives json.dumps's text for any value (ASCII escapes, NaN, non-str keys), or its error."""
    assert _outcome(jsonlite.dumps, value) == _outcome(json.dumps, value)


def test_dumps_refuses_as_json_dumps_does():
    """A cycle and an object json cannot write fail with json.dumps's own error; a plain string is quoted."""
    loop: list = []
    loop.append(loop)
    for bad in (loop, {"x": object()}, {"s": {1, 2}}):
        got, want = _outcome(jsonlite.dumps, bad), _outcome(json.dumps, bad)
        assert got[0] == want[0] == "error" and got[1] == want[1]
    assert jsonlite.dumps("é\n\u2028") == json.dumps("é\n\u2028") == '"\\u00e9\\n\\u2028"'
