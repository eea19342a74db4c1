"""commit-msg claims: found anywhere in the message, after Unicode normalisation, and only when not negated
in their own clause. One table of claims and non-claims, plus the real hook on the tricky ones."""

from __future__ import annotations

import pytest

from deploystate.hooks import claims, settings

PATTERNS, _ = claims.compile_patterns(list(settings.DEFAULT_CLAIM_PATTERNS))

CLAIMS = [
    "api deployed",
    "Deployed.",
    "DEPLOYED the fix",
    "No regressions; api deployed",
    "No regressions and api deployed",
    "after testing, api deployed",
    "Fix the cart\n\nTests pass. Deployed to production.",
    "Fix the cart\n\nSigned-off-by: dev\nDeployed: yes",
    "de\u200bployed",                      # zero-width space
    "de\u200dplo\u2060yed",                # zero-width joiner, word joiner
    "de\u00adployed",                      # soft hyphen
    "\ufeffdeployed",                      # byte-order mark
    "\uff44\uff45\uff50\uff4c\uff4f\uff59\uff45\uff44",  # full-width letters (NFKC)
    "d\u0435ployed",                       # Cyrillic e
    "Fix (deployed)",
    "Not flaky any more - deployed",
    "not tested and deployed",            # the negation stays in its clause
    "deployed to staging",                # our call: a claim (deploystate cannot tell environments apart)
    "The new flow is now live",
    "verified working after restart",
    "checkout working in production",
    "it's deployed",
    "Rolled back yesterday, deployed again today",
    "**deployed**",
]

NON_CLAIMS = [
    "not yet deployed",
    "Not deployed; tests pass",
    "deploy script",
    "Refactor deploy scripts",
    "Will be deployed after review",
    "to be deployed on Monday",
    "once deployed, run the migration",
    "when deployed, the cache warms up",
    "Is it deployed?",
    "undeployed services",
    "We haven't deployed this",
    "cannot be deployed yet",
    "nothing deployed",
    "never deployed",
    "no longer deployed",
    "deployment pending review",
    'Revert "api deployed"',
    "Merge branch 'deployed-fix' into main",
    "Rename the `deployed` flag",
    "Fix:\n```\n$ echo deployed\n```",
    "> deployed (quoting the ticket)",
    "n\u200bot deployed",                  # the zero-width trick works both ways: still a negation
]


def test_the_table_is_big_enough():
    """At least 30 messages, claims and non-claims both."""
    assert len(CLAIMS) + len(NON_CLAIMS) >= 30 and len(CLAIMS) >= 10 and len(NON_CLAIMS) >= 10


@pytest.mark.parametrize("message", CLAIMS)
def test_claims_are_found_anywhere(message):
    """Each message claims deployment."""
    assert claims.find_claim(claims.strip_commit_message(message), PATTERNS)


@pytest.mark.parametrize("message", NON_CLAIMS)
def test_non_claims_are_left_alone(message):
    """Negated, conditional, questioned, quoted and code mentions are not claims."""
    assert claims.find_claim(claims.strip_commit_message(message), PATTERNS) is None


def test_normalize_reads_as_a_person_does():
    """Invisible characters go, compatibility forms fold (NFKC), lookalike letters become Latin."""
    assert claims.normalize("de\u200bpl\u00adoy\ufeffed \uff41\u0440i") == "deployed api"


def test_mentions_see_through_invisible_characters():
    """A service named with a zero-width character inside is still that service."""
    assert claims.mentioned("a\u200bpi deployed", ["api", "worker"]) == ["api"]


@pytest.mark.parametrize("message", ["de\u200bployed", "No regressions; api deployed",
                                     "after testing, api deployed"])
def test_the_real_hook_refuses_hidden_claims(shop, message):
    """Through git's own commit-msg hook, the claims once accepted are now refused."""
    shop.deploy("api")
    shop.repo.write("api/app.py", "print(4)\n")
    shop.git("add", "-A")
    res = shop.git("commit", "-m", message)
    assert res.returncode != 0 and "refusing this commit message" in res.stdout + res.stderr
    assert shop.git("commit", "-m", "api: print four, not yet deployed").returncode == 0
