"""Gitignore-like globs compiled to regexes (pure, standard library only).

Apart from ``mapping`` so that validating a config's ``paths`` (every hook that decides does) costs no
dataclasses or typing import. ``*`` stays within one path segment, ``**`` spans segments, ``?`` is one
character, ``[abc]`` a class; a pattern without a slash matches the file name at any depth.
"""

from __future__ import annotations

import re
from functools import lru_cache


class GlobError(ValueError):
    """A pattern that is not a valid glob."""


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Translate one glob to an anchored regex; raise GlobError on a malformed pattern."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise GlobError("empty pattern")
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    if pat.endswith("/"):
        pat += "**"
    out, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                j = i + 2
                if j < n and pat[j] == "/":
                    out.append("(?:.*/)?")
                    j += 1
                else:
                    out.append(".*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pat.find("]", i + 2 if pat.startswith("[!", i) or pat.startswith("[]", i) else i + 1)
            if end < 0:
                raise GlobError(f"unclosed '[' in {pattern!r}")
            body = pat[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif c == "]":
            raise GlobError(f"unmatched ']' in {pattern!r}")
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    regex = ("" if anchored else "(?:.*/)?") + body
    try:
        return re.compile(regex + r"\Z")
    except re.error as exc:
        raise GlobError(f"{pattern!r} is not a valid glob: {exc}") from exc
