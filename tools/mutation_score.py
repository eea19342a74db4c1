"""Mutation score of the rule modules: every mutant of a rule must make a test fail.

    .venv/bin/python tools/mutation_score.py              # every group
    .venv/bin/python tools/mutation_score.py chain redaction
    .venv/bin/python tools/mutation_score.py --list       # the groups, their modules and tests

Mutants come from cosmic-ray (a maintained mutation tool that works with this repository's package-dir
layout because it edits the source files in place and restores them; mutmut 3 copies the sources into
mutants/ and finds them through sys.path, which the deploystate.* mapping bypasses). Each group runs only the
fast unit tests that pin its rules. On top of cosmic-ray's operators, HAND_MUTANTS are the rule breaks a review
found that no test caught (issue 15); each must be killed too.

The files are edited in place: run this in a clean checkout (it refuses when a module it mutates has
uncommitted changes) and run nothing else in that checkout meanwhile. Mutants listed in
tools/mutation_equivalent.txt (one "module:line operator" per line, with a reason) are equivalent: they
change no behaviour and are left out of the score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess  # noqa: S404 - a developer tool, not product code (product code goes through state/proc)
import sys
import tempfile
import time
from pathlib import Path

from mutation_groups import EXCLUDED_OPERATORS, GROUPS, HAND_MUTANTS  # tools/ is the script's directory

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Plugins are not auto-loaded (PYTEST_DISABLE_PLUGIN_AUTOLOAD in _env): hypothesis, kmock and aiohttp cost a
# second or more of CPU at every start, and a mutant is one start; the rule tests need none of them.
PYTEST = [PY, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "pytest_timeout", "--timeout", "120"]



def _equivalent() -> dict[str, str]:
    path = ROOT / "tools" / "mutation_equivalent.txt"
    out: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, why = line.partition(" # ")
                out[key.strip()] = why.strip()
    return out


def _annotations(module: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the type annotations of ``module`` are: with ``from __future__ import annotations`` they are
    never evaluated, so a mutant inside one (``set[str] | None`` -> ``set[str] + None``) is equivalent."""
    import ast

    spans = []
    for node in ast.walk(ast.parse((ROOT / module).read_text())):
        found = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            found.append(node.returns)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        for ann in found:
            spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno or ann.lineno, ann.end_col_offset or 0)))
    return spans


def _in_annotation(module: str, pos: list[int], cache: dict[str, list]) -> bool:
    spans = cache.setdefault(module, _annotations(module))
    where = (pos[0], pos[1])
    return any(start <= where < end for start, end in spans)


def _clean(modules: list[str]) -> None:
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *modules], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    if dirty:
        sys.exit(f"mutation: uncommitted changes in {dirty.split()[-1]} (and maybe more): commit or stash them, "
                 "this tool edits the modules in place and must restore them exactly")


def _drop_bytecode(modules: list[str]) -> None:
    """A mutant of the same size written within the same second could be served from a stale .pyc."""
    for module in modules:
        cache = (ROOT / module).parent / "__pycache__"
        for pyc in cache.glob(Path(module).stem + ".*.pyc"):
            pyc.unlink()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEPLOYSTATE_", "GIT_", "COV_CORE"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("COVERAGE_PROCESS_START", None)
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    return env


def _baseline(tests: list[str]) -> float:
    """Run the group's tests on the unmutated code: they must pass (else every mutant would count as killed);
    the time they take sets the per-mutant timeout."""
    started = time.monotonic()
    res = subprocess.run([*PYTEST, *tests], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=1800)
    if res.returncode != 0:
        sys.exit(f"mutation: the tests fail without any mutant ({' '.join(tests)}):\n{res.stdout[-2000:]}")
    return time.monotonic() - started


def _forget_survivors(session: Path) -> int:
    """Drop the results of the mutants that survived, so the next exec runs only those (with the new tests)."""
    import sqlite3

    with sqlite3.connect(session) as db:
        cur = db.execute("DELETE FROM work_results WHERE lower(worker_outcome) = 'normal' "
                         "AND lower(test_outcome) = 'survived'")
        return cur.rowcount


def _items(session: Path) -> int:
    """How many mutants a kept session holds (0 when absent, or when its init was interrupted)."""
    import sqlite3

    if not session.exists():
        return 0
    with sqlite3.connect(session) as db:
        try:
            return db.execute("SELECT count(*) FROM work_items").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def run_group(name: str, workdir: Path, again: bool = False, resume: bool = False) -> dict:
    modules, tests = GROUPS[name]
    tests = [t for t in tests if t.startswith("-") or (ROOT / t.split("::")[0]).exists()]
    _clean(modules)
    _drop_bytecode(modules)
    config = workdir / f"{name.replace(' ', '_')}.toml"
    session = workdir / f"{name.replace(' ', '_')}.sqlite"
    command = " ".join([*PYTEST, *tests])
    started = time.monotonic()
    # A mutant that makes the tests hang (a loop that never ends) is killed by the timeout: generous, because
    # the machine is shared and a run under load takes several times the baseline.
    timeout = max(120.0, 6 * _baseline(tests))
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(modules)}\n"
        f"timeout = {timeout:.0f}.0\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "[cosmic-ray.distributor]\nname = \"local\"\n"
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = {json.dumps(EXCLUDED_OPERATORS)}\n")
    cr = [PY, "-m", "cosmic_ray.cli"]
    if again and session.exists():
        print(f"mutation: {name}: re-running {_forget_survivors(session)} survivor(s)", flush=True)
    elif not (resume and _items(session)):
        subprocess.run([*cr, "init", str(config), str(session), "--force"], cwd=ROOT, check=True, env=_env())
        subprocess.run([PY, "-m", "cosmic_ray.tools.filters.operators_filter", str(session), str(config)],
                       cwd=ROOT, check=True, env=_env())
        # "# pragma: no mutate" on a line marks its mutants equivalent in the source (a cache size, say)
        subprocess.run([PY, "-m", "cosmic_ray.tools.filters.pragma_no_mutate", str(session)], cwd=ROOT,
                       check=True, env=_env())
    subprocess.run([*cr, "exec", str(config), str(session)], cwd=ROOT, check=True, env=_env())
    dump = subprocess.run([*cr, "dump", str(session)], cwd=ROOT, check=True, capture_output=True, text=True,
                          env=_env()).stdout
    equivalent = _equivalent()
    spans: dict[str, list] = {}
    killed, survivors, skipped = 0, [], []
    for line in dump.splitlines():
        item, result = json.loads(line)
        if not result or result.get("worker_outcome") != "normal":
            continue
        mutation = item["mutations"][0]
        key = f"{mutation['module_path']}:{mutation['start_pos'][0]} {mutation['operator_name']}"
        if result["test_outcome"] == "killed":
            killed += 1
        elif key in equivalent or _in_annotation(mutation["module_path"], mutation["start_pos"], spans):
            skipped.append(key)
        else:
            survivors.append((key, result.get("diff", "")))
    hand = [h for h in HAND_MUTANTS if h[0] == name]
    for _, path, old, new, why, hand_tests in hand:
        ok = _hand_mutant(path, old, new, hand_tests)
        killed += ok
        if not ok:
            survivors.append((f"{path} (hand) {why}", ""))
    subprocess.run(["git", "diff", "--quiet", "--", *modules, *{h[1] for h in hand}], cwd=ROOT, check=True)
    return {"group": name, "modules": modules, "killed": killed, "survived": len(survivors),
            "equivalent": len(skipped), "survivors": survivors, "seconds": round(time.monotonic() - started)}


def _hand_mutant(path: str, old: str, new: str, tests: list[str]) -> bool:
    """Apply one hand-written mutant; True when a test fails (killed)."""
    file = ROOT / path
    original = file.read_text()
    if old not in original:
        print(f"mutation: hand mutant no longer applies to {path}: {old[:60]!r} (update HAND_MUTANTS in tools/mutation_groups.py)")
        return False
    try:
        file.write_text(original.replace(old, new, 1))
        _drop_bytecode([path])
        res = subprocess.run([*PYTEST, *tests], cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=600)
        return res.returncode != 0
    finally:
        file.write_text(original)
        _drop_bytecode([path])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--list", action="store_true", help="show the groups and exit")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--hand-only", action="store_true", help="only the hand-written mutants (a minute)")
    parser.add_argument("--keep", metavar="DIR", help="keep the cosmic-ray sessions in DIR and resume them "
                        "(the mutants not run yet); default: a fresh temporary one")
    parser.add_argument("--again", action="store_true",
                        help="with --keep: re-run only the survivors of the kept sessions (after adding tests)")
    args = parser.parse_args(argv)
    if args.list:
        for name, (modules, tests) in GROUPS.items():
            print(f"{name}: {' '.join(modules)}  <-  {' '.join(tests)}")
        return 0
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; known: {list(GROUPS)}")
    if args.hand_only:
        alive = []
        for group, path, old, new, why, tests in HAND_MUTANTS:
            if not args.groups or group in args.groups:
                _clean([path])
                killed = _hand_mutant(path, old, new, tests)
                print(f"mutation: {'killed  ' if killed else 'SURVIVED'} {group}: {why} ({path})", flush=True)
                alive += [] if killed else [why]
        return 1 if alive else 0
    if shutil.which("git") is None:
        sys.exit("mutation: git is needed (to check the modules are restored)")
    results = []
    if args.again and not args.keep:
        parser.error("--again needs --keep DIR (the sessions whose survivors to re-run)")
    with tempfile.TemporaryDirectory(prefix="deploystate-mutation-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in args.groups or list(GROUPS):
            results.append(run_group(name, workdir, again=args.again, resume=bool(args.keep)))
            r = results[-1]
            print(f"mutation: {name}: {r['killed']} killed, {r['survived']} survived, {r['equivalent']} equivalent "
                  f"({r['seconds']}s)", flush=True)
    total_killed = sum(r["killed"] for r in results)
    total = total_killed + sum(r["survived"] for r in results)
    score = 100.0 * total_killed / total if total else 0.0
    if args.json:
        print(json.dumps({"score": round(score, 1), "groups": results}, indent=2))
    else:
        for r in results:
            for key, diff in r["survivors"]:
                print(f"SURVIVED {r['group']}: {key}")
                if diff:
                    print("  " + "\n  ".join(line for line in diff.splitlines() if line[:1] in "+-"
                                             and not line.startswith(("+++", "---"))))
        print(f"mutation score: {score:.1f}% ({total_killed} of {total} non-equivalent mutants killed)")
    return 0 if total and total_killed == total else 1


if __name__ == "__main__":
    sys.exit(main())
