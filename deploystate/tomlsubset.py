"""deploystate.toml read without ``tomllib`` when the file keeps to a strict subset of TOML (standard library only).

Importing ``tomllib`` costs a hook process about 7 ms (its regexes, ``typing``, ``datetime``), a quarter of
the interpreter's own start. Configs are small and plain, so ``loads`` first tries an exact reader of the
subset they use, and hands anything outside it to ``tomllib`` itself:

- comments, blank lines, ``[a.b]`` and ``[[a.b]]`` headers of bare keys, ``key = value`` with a bare key;
- values: basic strings (escapes ``\\\\ \\" \\n \\t \\b \\f \\r`` only), literal strings, decimal integers,
  plain decimal floats (``1.5``), booleans, arrays (over lines, with comments) and inline tables.

Everything else (dotted or quoted keys, multi-line strings, ``\\u`` escapes, dates, hex, underscores,
exponents, ``inf``/``nan``, CR, control or non-printable characters, and every redefinition TOML forbids)
is "unsure": ``tomllib.loads`` decides, so an invalid file always gets tomllib's error, word for word.
This module lives beside ``__init__`` (no room) because ``state.config.project`` and ``hooks.settings``
both read the file, and the hooks' fast paths must not load ``deploystate.state``.
``tests/state/test_tomlsubset.py`` holds it equal to ``tomllib.loads`` on every config the project ships
or tests and on fuzzed variants of them.
"""

from __future__ import annotations

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "b": "\b", "f": "\f", "r": "\r"}
_END = frozenset(" \t,]}#\n")  # what may follow a bare value (true, 12, 1.5)
_MAX_DIGITS = 18  # larger integers go to tomllib (TOML's are 64-bit)


class _Unsure(Exception):
    """Outside the subset: tomllib decides."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.s, self.n = text, len(text)
        self.root: dict = {}
        self.explicit: set[int] = set()   # tables a header defined (and array-of-tables elements)
        self.implicit: set[int] = set()   # tables a header created on its way ([a.b] creates a)
        self.aot: set[int] = set()        # arrays a [[header]] created (the only arrays that grow)
        self.keep: list = []              # every container, alive, so that no id() is reused

    def ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n and s[i] in " \t":
            i += 1
        return i

    def gap(self, i: int) -> int:
        """Whitespace, newlines and comments (inside an array)."""
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c in " \t\n":
                i += 1
            elif c == "#":
                j = s.find("\n", i)
                i = n if j < 0 else j
            else:
                break
        return i

    def key(self, i: int) -> tuple[str, int]:
        s, n, j = self.s, self.n, i
        while j < n and s[j] in _BARE:
            j += 1
        if j == i:
            raise _Unsure
        return s[i:j], j

    def value(self, i: int):  # noqa: ANN201
        s, n = self.s, self.n
        if i >= n:
            raise _Unsure
        c = s[i]
        if c == '"':
            return self.basic(i)
        if c == "'":
            if s.startswith("'''", i):
                raise _Unsure
            j = s.find("'", i + 1)
            if j < 0 or "\n" in s[i + 1:j]:
                raise _Unsure
            return s[i + 1:j], j + 1
        if c == "[":
            return self.array(i)
        if c == "{":
            return self.inline(i)
        for word, val in (("true", True), ("false", False)):
            if s.startswith(word, i):
                j = i + len(word)
                if j < n and s[j] not in _END:
                    raise _Unsure
                return val, j
        return self.number(i)

    def basic(self, i: int) -> tuple[str, int]:
        s, n = self.s, self.n
        if s.startswith('"""', i):
            raise _Unsure
        end = s.find('"', i + 1)
        if end > 0 and "\\" not in s[i + 1:end]:  # no escape: the string ends at the next quote
            if "\n" in s[i + 1:end]:
                raise _Unsure
            return s[i + 1:end], end + 1
        out, j = [], i + 1
        start = j
        while True:
            if j >= n:
                raise _Unsure
            c = s[j]
            if c == '"':
                out.append(s[start:j])
                return "".join(out), j + 1
            if c == "\n":
                raise _Unsure
            if c == "\\":
                out.append(s[start:j])
                esc = _ESCAPES.get(s[j + 1:j + 2])
                if esc is None:
                    raise _Unsure
                out.append(esc)
                j += 2
                start = j
                continue
            j += 1

    def number(self, i: int) -> tuple[int | float, int]:
        s, n, j = self.s, self.n, i
        while j < n and s[j] not in _END:
            j += 1
        token = s[i:j]
        body = token[1:] if token[:1] in ("+", "-") else token
        whole, dot, frac = body.partition(".")
        if (not whole or not set(whole) <= _DIGITS or (len(whole) > 1 and whole[0] == "0")
                or len(whole) > _MAX_DIGITS):
            raise _Unsure
        if not dot:
            return int(token), j
        if not frac or not set(frac) <= _DIGITS:
            raise _Unsure
        return float(token), j

    def array(self, i: int) -> tuple[list, int]:
        s, n = self.s, self.n
        out: list = []
        self.keep.append(out)
        i += 1
        while True:
            i = self.gap(i)
            if i >= n:
                raise _Unsure
            if s[i] == "]":
                return out, i + 1
            val, i = self.value(i)
            out.append(val)
            i = self.gap(i)
            if i >= n:
                raise _Unsure
            if s[i] == ",":
                i += 1
            elif s[i] != "]":
                raise _Unsure

    def inline(self, i: int) -> tuple[dict, int]:
        s, n = self.s, self.n
        out: dict = {}
        self.keep.append(out)
        i = self.ws(i + 1)
        if i < n and s[i] == "}":
            return out, i + 1
        while True:
            k, i = self.key(self.ws(i))
            i = self.ws(i)
            if i >= n or s[i] != "=" or k in out:
                raise _Unsure
            out[k], i = self.value(self.ws(i + 1))
            i = self.ws(i)
            if i >= n:
                raise _Unsure
            if s[i] == "}":
                return out, i + 1
            if s[i] != ",":
                raise _Unsure
            i += 1

    def header(self, i: int) -> tuple[dict, int]:
        s, n = self.s, self.n
        many = s.startswith("[[", i)
        i = self.ws(i + (2 if many else 1))
        parts = []
        while True:
            k, i = self.key(i)
            parts.append(k)
            if i < n and s[i] == ".":
                i += 1
                continue
            break
        i = self.ws(i)
        close = "]]" if many else "]"
        if not s.startswith(close, i):
            raise _Unsure
        node = self.root
        for p in parts[:-1]:
            if p not in node:
                new: dict = {}
                node[p] = new
                self.keep.append(new)
                self.implicit.add(id(new))
                node = new
                continue
            v = node[p]
            if isinstance(v, list) and id(v) in self.aot:
                node = v[-1]
            elif isinstance(v, dict) and (id(v) in self.explicit or id(v) in self.implicit):
                node = v
            else:
                raise _Unsure
        last = parts[-1]
        table: dict = {}
        self.keep.append(table)
        if many:
            if last not in node:
                arr = [table]
                self.keep.append(arr)
                node[last] = arr
                self.aot.add(id(arr))
            elif isinstance(node[last], list) and id(node[last]) in self.aot:
                node[last].append(table)
            else:
                raise _Unsure
        elif last not in node:
            node[last] = table
        elif isinstance(node[last], dict) and id(node[last]) in self.implicit:
            table = node[last]
            self.implicit.discard(id(table))
        else:
            raise _Unsure
        self.explicit.add(id(table))
        return table, i + len(close)

    def read(self) -> dict:
        s, n = self.s, self.n
        table, i = self.root, 0
        while i < n:
            i = self.ws(i)
            if i >= n:
                break
            c = s[i]
            if c == "\n":
                i += 1
                continue
            if c == "#":
                j = s.find("\n", i)
                i = n if j < 0 else j
                continue
            if c == "[":
                table, i = self.header(i)
            else:
                k, i = self.key(i)
                i = self.ws(i)
                if i >= n or s[i] != "=" or k in table:
                    raise _Unsure
                table[k], i = self.value(self.ws(i + 1))
            i = self.ws(i)
            if i < n and s[i] == "#":
                j = s.find("\n", i)
                i = n if j < 0 else j
            if i < n and s[i] != "\n":
                raise _Unsure
        return self.root


def parse_subset(text: str) -> dict | None:
    """What ``tomllib.loads(text)`` returns, when ``text`` keeps to the subset; None when tomllib must decide."""
    if not isinstance(text, str) or not text.replace("\t", "").replace("\n", "").isprintable():
        return None  # CR, control and non-printable characters: tomllib knows which are allowed where
    try:
        return _Reader(text).read()
    except (_Unsure, IndexError, ValueError):
        return None


def loads(text: str) -> dict:
    """``tomllib.loads(text)``: the same dict, or the same ``tomllib.TOMLDecodeError`` (a ValueError)."""
    got = parse_subset(text)
    if got is not None:
        return got
    import tomllib

    return tomllib.loads(text)
