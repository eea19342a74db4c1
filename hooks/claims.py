"""Does a text claim the work is deployed, live, verified or working in production? (pure)

Used on commit messages and on an agent's last message. The patterns are
configurable; what this module adds is what makes them usable on real prose:
git's comment lines and the verbose-commit diff are ignored, code blocks and
quotes are ignored, and a match that is negated or conditional ("not deployed
yet", "once deployed", "to be deployed", a question) is not a claim.

The text is normalised first (NFKC, zero-width and soft-hyphen characters
removed, Cyrillic/Greek lookalike letters folded), so "de\u200bployed" or a
full-width "ｄｅｐｌｏｙｅｄ" is the word it looks like. A negation only counts in its
own clause: "No regressions; api deployed" and "after testing, api deployed"
are claims. "deployed to staging" is a claim too: deploystate does not know
which environment a word names, and a claim it cannot check is refused.
"""

from __future__ import annotations

import re
import unicodedata

SCISSORS = "------------------------ >8 ------------------------"

# Words shortly before a match, in the same clause, that turn it into a non-claim.
_NOT_A_CLAIM_BEFORE = re.compile(
    r"(?i)(\bnot\b|n't\b|\bcannot\b|\bnever\b|\bwithout\b|\bbefore\b|\buntil\b|\bpending\b|\bonce\b|\bwhen\b"
    r"|\bafter\b|\bif\b|\bunless\b|\bto be\b|\bwill be\b|\bcan be\b|\bcould be\b|\bshould be\b|\bmust be\b"
    r"|\bneeds? to\b|\bnothing\b|\bno\b|\bwhether\b|\bnor\b)[^.!?\n]{0,30}$")
# Where a clause ends: a negation before it does not reach a claim after it ("No regressions; api deployed").
_CLAUSE_BREAK = re.compile(r"(?i)[.!?;:,\n()\[\]]|\s[-\u2013\u2014]\s|\b(?:and|but|so|then|plus|also)\b")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
                                    "\ufeff\u00ad\u180e\u034f\u061c"), None)
# Letters that look like Latin ones (NFKC keeps them): folded so "dеployed" with a Cyrillic е still reads.
_LOOKALIKES = str.maketrans("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0501\u04cf\u03bf\u03c1\u0391"
                            "\u0415\u041e\u0420\u0421\u0425\u0406\u0408\u039f\u03a1",
                            "aeopcyxijdlopAEOPCXIJOP")


def normalize(text: str) -> str:
    """The text as a reader sees it: invisible characters dropped, NFKC, lookalike letters folded."""
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_LOOKALIKES)


_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
# Quoted text is a mention, not a claim: "Merge branch 'deployed-fix'", Revert "api deployed", `deployed` flag.
# A single quote only opens after a space or bracket, so the apostrophe in "it's deployed" is left alone.
_QUOTED = re.compile(r"\"[^\"\n]*\"|`[^`\n]*`|(?:(?<=^)|(?<=[\s(\[]))'[^'\n]*'(?=[\s.,;:!?)\]]|$)", re.M)


# What git's editor template says in its comment lines. `git commit -m/-F` keeps "#" lines in the commit
# (cleanup "whitespace"), so comment lines are dropped only when git wrote its template, where they go.
_TEMPLATE = ("Please enter the commit message", "Lines starting with", "Changes to be committed:")


def _scissors(line: str) -> bool:
    """git's scissors line as git writes it: one comment character, a space, the cut mark (git cuts only there;
    a line merely like it, "#---- >8 ----", is kept by git, and so is whatever follows it)."""
    return line[1:] == " " + SCISSORS


def _templated(lines: list[str], comment_char: str) -> bool:
    return any(line.startswith(comment_char) and (any(t in line for t in _TEMPLATE) or _scissors(line))
               for line in lines)


def strip_commit_message(text: str, comment_char: str = "#") -> str:
    """The message git will store: without the verbose diff and, when git's editor template is there,
    without comment lines (a "#" line of `git commit -m` is kept: git stores it, so it may claim)."""
    lines = text.splitlines()
    drop = bool(comment_char) and _templated(lines, comment_char)
    out = []
    for line in lines:
        if _scissors(line):  # whatever the comment character
            break
        if drop and line.startswith(comment_char):
            continue
        out.append(line)
    return "\n".join(out)


def prose(text: str) -> str:
    """Drop fenced code, quoted lines and quoted text: a command shown or a name quoted is not a claim made."""
    text = _QUOTED.sub(" ", _FENCE.sub(" ", text))
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def compile_patterns(patterns: list[str]) -> tuple[list[re.Pattern[str]], list[str]]:
    """Compile the configured patterns; bad ones are reported, not fatal."""
    good, bad = [], []
    for p in patterns:
        try:
            good.append(re.compile(p))
        except re.error as exc:
            bad.append(f"{p!r}: {exc}")
    return good, bad


def _sentence_end(text: str, pos: int) -> str:
    m = re.compile(r"[.!?\n]").search(text, pos)
    return text[m.start()] if m else ""


def _clause_before(body: str, start: int) -> str:
    """The part of the clause that precedes ``start``."""
    window = body[max(0, start - 80):start]
    last = None
    for last in _CLAUSE_BREAK.finditer(window):
        pass
    return window[last.end():] if last else window


def find_claim(text: str, patterns: list[re.Pattern[str]]) -> str | None:
    """The first phrase that claims deployment, anywhere in ``text``, or None. Negated, conditional
    and questioned mentions are skipped."""
    body = prose(normalize(text))
    for pattern in patterns:
        for m in pattern.finditer(body):
            if _NOT_A_CLAIM_BEFORE.search(_clause_before(body, m.start())):
                continue
            if _sentence_end(body, m.end()) == "?":
                continue
            start = body.rfind("\n", 0, m.start()) + 1
            end = body.find("\n", m.end())
            return body[start:end if end >= 0 else len(body)].strip()[:200]
    return None


def mentioned(text: str, names: list[str]) -> list[str]:
    """Service names that appear in ``text`` as whole words."""
    found, text = [], normalize(text)
    for name in names:
        if re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text, re.I):
            found.append(name)
    return found
