"""``json.loads`` and the ledger's canonical ``json`` encoder without importing the ``json`` package.

``import json`` costs every hook process ~6M instructions (~15% of ``python -c pass``): four modules and
six regular expressions compiled at import. What the hooks read (the anchor, the chain mark, the
projection cache, a record's tail) needs only the C scanner ``json.loads`` itself runs,
``_json.make_scanner``, set up as ``json``'s default decoder sets it up (and the digest of sealed segments'
sidecars the C encoder ``json.JSONEncoder.encode`` runs; a refusing agent hook's answer, ``json.dumps``
with its defaults, the same encoder set up as json.dumps sets it up). Anything unusual (bytes that are
not UTF-8 as json detects it, no C scanner, a document the scanner refuses) goes to ``json.loads``, so
every error is json's own, word for word (standard library only). Beside ``__init__`` (no room) because ``deploystate.state`` and
``hooks.settings`` both read JSON, and the hooks' fast paths must not load ``deploystate.state``.
``tests/state/test_jsonlite.py`` holds each equal to json's own.
"""

from __future__ import annotations

try:
    from _json import make_scanner as _make_scanner
except ImportError:  # an interpreter without the C accelerator: json's own Python scanner decides
    _make_scanner = None
try:
    from _json import encode_basestring as _c_string, encode_basestring_ascii as _c_ascii
    from _json import make_encoder as _c_make_encoder
except ImportError:
    _c_make_encoder = None

_WS = " \t\n\r"  # json.decoder.WHITESPACE
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Decoder:
    """The attributes ``_json.make_scanner`` reads from a ``json.JSONDecoder()`` with no arguments."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan = _make_scanner(_Decoder()) if _make_scanner is not None else None


def loads(s: str | bytes | bytearray):  # noqa: ANN201 - any JSON value
    """The value of the JSON document ``s``, as ``json.loads(s)`` gives it; raises json's ValueError."""
    text = s
    if not isinstance(text, str):
        # json.detect_encoding: a NUL in the first four bytes means UTF-16/32, a BOM means utf-8-sig
        if not isinstance(text, (bytes, bytearray)) or b"\x00" in text[:4] or text[:3] == b"\xef\xbb\xbf":
            return _json_loads(s)
        try:
            text = text.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return _json_loads(s)
    if _scan is None or text[:1] == "\ufeff":
        return _json_loads(s)
    begin = len(text) - len(text.lstrip(_WS))
    try:
        value, end = _scan(text, begin)
    except (StopIteration, ValueError):
        return _json_loads(s)
    if end != len(text) and text[end:].strip(_WS):
        return _json_loads(s)  # extra data
    return value


def _json_loads(s: str | bytes | bytearray):  # noqa: ANN202
    import json

    return json.loads(s)


def canonical_encoder():  # noqa: ANN201 - a callable
    """``json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode``: the C encoder
    json itself runs for these arguments, built as ``JSONEncoder.iterencode`` builds it; anything it
    refuses (a type json cannot write, a cycle, keys that do not sort) is json's to answer, error included."""
    if _c_make_encoder is None:
        return _json_encoder()
    markers: dict = {}
    try:
        encoder = _c_make_encoder(markers, _refuse, _c_string, None, ":", ",", True, False, True)
    except TypeError:  # another interpreter's signature
        return _json_encoder()

    def encode(obj: object) -> str:
        if isinstance(obj, str):
            return _c_string(obj)
        try:
            return "".join(encoder(obj, 0))
        except Exception:  # noqa: BLE001 - json answers: the same text or the same error
            markers.clear()
            return _json_encoder()(obj)

    return encode


def _refuse(obj: object) -> None:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def _json_encoder():  # noqa: ANN202
    import json

    return json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj: object) -> str:
    """``json.dumps(obj)`` with its default arguments (what an agent client reads from a hook that refuses)
    through the same C encoder json.dumps runs; anything it refuses is json's to answer, error included."""
    if _c_make_encoder is not None:
        if isinstance(obj, str):
            return _c_ascii(obj)
        try:
            return "".join(_c_make_encoder({}, _refuse, _c_ascii, None, ": ", ", ", False, False, True)(obj, 0))
        except Exception:  # noqa: BLE001 - json answers: the same text or the same error
            pass
    import json

    return json.dumps(obj)
