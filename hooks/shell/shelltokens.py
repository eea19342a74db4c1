"""A shell line's words as ``shlex`` splits them for ``shellwords``, without importing shlex or re (pure).

Why: shlex imports re at module level (with enum, functools and collections), which costs the pre-tool
hook, run on every shell command an agent makes, more than Python's own start. This is shlex's own state
machine (``shlex.read_token``, CPython 3.11-3.13) for the one configuration ``shellwords`` uses: POSIX
mode, ``whitespace_split``, whitespace ``" \\t\\r"``, ``#`` comments, ``'`` and ``"`` quotes, ``\\``
escapes (inside ``"`` only before ``"`` or ``\\``) and the punctuation characters ``();<>|&`` plus newline,
which group into runs. ``tests/hooks/test_shelltokens.py`` holds ``words`` equal to shlex on every line
hypothesis finds, the quirks included (a comment also swallows the newline that ends it).

``words(text)`` raises ValueError where shlex does: an unclosed quote or a trailing escape.
"""

from __future__ import annotations

_WHITESPACE = " \t\r"
_QUOTES = "'\""
_PUNCT = "();<>|&\n"


def _var_name(word: str, i: int) -> int:
    """The end of the run of word characters (re's ``\\w``: alphanumeric or ``_``) from ``i``."""
    n = len(word)
    while i < n and (word[i].isalnum() or word[i] == "_"):
        i += 1
    return i


def expand(word: str, known: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced by ``known``'s value where it has one, left as written where
    not: ``re.sub(r"\\$(?:\\{(\\w+)\\}|(\\w+))", ...)`` on the word."""
    if "$" not in word:
        return word
    out, i, n = [], 0, len(word)
    while i < n:
        c = word[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        if i + 1 < n and word[i + 1] == "{":
            end = _var_name(word, i + 2)
            if end > i + 2 and end < n and word[end] == "}":
                name = word[i + 2:end]
                out.append(known.get(name, word[i:end + 1]))
                i = end + 1
                continue
        end = _var_name(word, i + 1)
        if end > i + 1:
            name = word[i + 1:end]
            out.append(known.get(name, word[i:end]))
            i = end
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _past_line(text: str, i: int) -> int:
    """Where reading goes on after a comment: past the newline that ends it (shlex's readline), or the end."""
    nl = text.find("\n", i)
    return len(text) if nl < 0 else nl + 1


def words(text: str) -> list[str]:
    """The tokens ``list(shlex)`` yields for ``text`` in shellwords' configuration."""
    found: list[str] = []
    i, n = 0, len(text)
    state = " "
    token = ""
    pushback = ""  # shlex's one-character look-ahead after a punctuation run or a word ended by one
    while True:
        quoted = False
        escapedstate = " "
        while True:
            if pushback:
                c, pushback = pushback, ""
            elif i < n:
                c, i = text[i], i + 1
            else:
                c = ""
            if state is None:
                token = ""
                break
            if state == " ":
                if not c:
                    state = None
                    break
                if c in _WHITESPACE:
                    if token or quoted:
                        break
                    continue
                if c == "#":
                    i = _past_line(text, i)
                elif c == "\\":
                    escapedstate, state = "a", c
                elif c in _PUNCT:
                    token, state = c, "c"
                elif c in _QUOTES:
                    state = c
                else:
                    token, state = c, "a"
            elif state in _QUOTES:
                quoted = True
                if not c:
                    raise ValueError("No closing quotation")
                if c == state:
                    state = "a"
                elif c == "\\" and state == '"':
                    escapedstate, state = state, c
                else:
                    token += c
            elif state == "\\":
                if not c:
                    raise ValueError("No escaped character")
                if escapedstate in _QUOTES and c != state and c != escapedstate:
                    token += state  # inside "...", only \" and \\ are escapes: the backslash stays
                token += c
                state = escapedstate
            else:  # "a" (a word) or "c" (a run of punctuation)
                if not c:
                    state = None
                    break
                if c in _WHITESPACE or c == "#":
                    if c == "#":
                        i = _past_line(text, i)
                    state = " "
                    if token or quoted:
                        break
                    continue
                if state == "c":
                    if c in _PUNCT:
                        token += c
                    else:
                        pushback = c
                        state = " "
                        break
                elif c in _QUOTES:
                    state = c
                elif c == "\\":
                    escapedstate, state = "a", c
                elif c not in _PUNCT:
                    token += c
                else:
                    pushback = c
                    state = " "
                    if token or quoted:
                        break
                    continue
        result, token = token, ""
        if not quoted and result == "":
            return found
        found.append(result)
