"""The table tools/mutation_score.py runs: the rule groups, the hand mutants and the operators left out.

Data only (as tools/reroom_rooms.py is for the re-rooming): a reader adding a rule module or a hand mutant
edits this file, not the runner.
"""

from __future__ import annotations

# group -> (modules to mutate, the tests that pin their rules). Each list is focused: a mutant runs these tests
# (stopping at the first failure), so a slow or broad file here costs minutes per surviving mutant.
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "verdicts": (["verify/result.py", "verify/soak.py"],
                 ["tests/verify/test_verdict_logic.py", "tests/verify/test_soak_exact.py"]),
    # the fold of the service verdicts into the overall one (service.py) is the hand mutant below
    "runner": (["verify/runner.py"], ["tests/verify/test_runner_exact.py", "tests/verify/test_runner.py"]),
    "revision": (["verify/checks/revision.py", "verify/identity.py"],
                 ["tests/verify/test_verdict_logic.py", "tests/verify/test_identity.py",
                  "tests/verify/test_truth_logic.py"]),
    "headcode": (["state/drift/headcode.py"], ["tests/state/test_headcode.py"]),
    "doom loop": (["state/view/projection.py"], ["tests/state/test_projection.py",
                                                 "tests/state/test_projection_exact.py"]),
    # (the id-ordering test takes 20 s and pins state/ledger/ids.py, not the chain)
    "chain": (["state/ledger/chain.py"], ["tests/state/test_chain.py", "tests/state/test_ledger.py", "--deselect",
                                   "tests/state/test_ledger.py::test_ids_sort_in_append_order_within_one_millisecond"]),
    "redaction": (["state/ledger/redact.py"], ["tests/state/test_redact.py", "tests/state/test_redact_edges.py"]),
    # (the hook-process tests of these tables take 30 s and pin the same functions through a process)
    "hook decisions": (["hooks/gates.py", "hooks/claims.py"],
                       ["tests/hooks/test_logic.py", "tests/hooks/test_claims_table.py",
                        "tests/hooks/test_gates_exact.py", "tests/hooks/test_claims_exact.py",
                        "--deselect", "tests/hooks/test_claims_table.py::test_the_real_hook_refuses_hidden_claims"]),
    "shell parsing": (["hooks/shell/shellparse.py"], ["tests/hooks/test_shellparse_exact.py", "tests/hooks/test_logic.py",
                      "tests/hooks/test_bypass_table.py",
                      "--deselect",
                      "tests/hooks/test_bypass_table.py::test_the_hook_denies_each_bypass_with_its_category",
                      "--deselect", "tests/hooks/test_bypass_table.py::test_the_hook_allows_ordinary_commands",
                      "--deselect", "tests/hooks/test_bypass_table.py::test_an_alias_already_in_git_config_is_expanded",
                      "--deselect", "tests/hooks/test_bypass_table.py::test_a_harmless_alias_is_allowed"]),
    "mark-deployed": (["verify/marking.py"], ["tests/verify/test_marking.py", "tests/verify/test_rules.py",
                                             "tests/verify/test_truth_logic.py"]),
}

# The rule breaks issue 15 found that no test caught: (group, file, original text, mutated text, why, tests).
# Applied one at a time, each must make its tests fail.
KILLS = "tests/verify/test_mutation_kills.py"
HAND_MUTANTS: list[tuple[str, str, str, str, str, list[str]]] = [
    ("verdicts", "verify/service.py", "verdict=worst(v.verdict for v in verdicts)",
     "verdict=verdicts[-1].verdict if verdicts else 'inconclusive'",
     "the overall verdict taken from the last service only", [KILLS]),
    # The revision is judged by state.headcode (identity.assess): compared with HEAD where a reported revision
    # is resolved (Judge._resolve) and where the rule is decided (decide).
    ("revision", "state/drift/headcode.py", "if self.head and text == self.head.lower():",
     "if self.head and text[:7] == self.head.lower()[:7]:",
     "the revision compared on its first 7 hex digits only (resolving it)", [KILLS]),
    ("revision", "state/drift/headcode.py", "if running.lower() == head.lower():",
     "if running.lower()[:7] == head.lower()[:7]:",
     "the revision compared on its first 7 hex digits only (the rule)", ["tests/state/test_headcode.py"]),
    ("revision", "verify/checks/revision.py", "    return inconclusive(found.reason, **evidence)",
     "    return (passed if found.missing_revision else inconclusive)(found.reason, **evidence)",
     "an unreadable revision counted as pass", [KILLS]),
    ("chain", "state/ledger/chain.py", "body = {k: v for k, v in record.items() if k != HASH_FIELD}",
     'body = {k: v for k, v in record.items() if k not in (HASH_FIELD, "author")}',
     "an edited author field of a record undetected", ["tests/state/test_ledger.py"]),
]


# Operators left out: a swap to an exotic operator (x + 1 -> x ** 1, x < n -> x is n) is killed by any test
# that runs the line and costs a test run each; the score is over what remains (said in the output).
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_.*_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)$",
    r"core/ReplaceComparisonOperator_(Lt|LtE|Gt|GtE)_(Is|IsNot)$",
]
