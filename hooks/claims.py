"""Does a text claim the work is deployed, live, verified or working in production? (pure)

Used on commit messages and on an agent's last message. The patterns are
configurable; what this module adds is what makes them usable on real prose:
git's comment lines and the verbose-commit diff are ignored, code blocks and
quotes are ignored, and a match that is negated or conditional ("not deployed
yet", "once deployed", "to be deployed", a question) is not a claim.
"""

from __future__ import annotations

import re

SCISSORS = "------------------------ >8 ------------------------"

# Words shortly before a match that turn it into a non-claim, within the same sentence.
_NOT_A_CLAIM_BEFORE = re.compile(
    r"(?i)(\bnot\b|n't\b|\bnever\b|\bwithout\b|\bbefore\b|\buntil\b|\bpending\b|\bonce\b|\bwhen\b|\bafter\b"
    r"|\bif\b|\bunless\b|\bto be\b|\bwill be\b|\bcan be\b|\bcould be\b|\bshould be\b|\bmust be\b|\bneeds? to\b"
    r"|\bnothing\b|\bno\b|\bwhether\b|\bnor\b)[^.!?\n]{0,30}$")
_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
# Quoted text is a mention, not a claim: "Merge branch 'deployed-fix'", Revert "api deployed", `deployed` flag.
# A single quote only opens after a space or bracket, so the apostrophe in "it's deployed" is left alone.
_QUOTED = re.compile(r"\"[^\"\n]*\"|`[^`\n]*`|(?:(?<=^)|(?<=[\s(\[]))'[^'\n]*'(?=[\s.,;:!?)\]]|$)", re.M)


def strip_commit_message(text: str, comment_char: str = "#") -> str:
    """The message git will store: without comment lines and without the verbose diff."""
    out = []
    for line in text.splitlines():
        if line[1:].strip() == SCISSORS:  # git's scissors line, whatever the comment character
            break
        if comment_char and line.startswith(comment_char):
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


def find_claim(text: str, patterns: list[re.Pattern[str]]) -> str | None:
    """The first phrase that claims deployment, or None. Negated, conditional and questioned
    mentions are skipped."""
    body = prose(text)
    for pattern in patterns:
        for m in pattern.finditer(body):
            before = body[max(0, m.start() - 60):m.start()]
            if _NOT_A_CLAIM_BEFORE.search(before):
                continue
            if _sentence_end(body, m.end()) == "?":
                continue
            start = body.rfind("\n", 0, m.start()) + 1
            end = body.find("\n", m.end())
            return body[start:end if end >= 0 else len(body)].strip()[:200]
    return None


def mentioned(text: str, names: list[str]) -> list[str]:
    """Service names that appear in ``text`` as whole words."""
    found = []
    for name in names:
        if re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text, re.I):
            found.append(name)
    return found
