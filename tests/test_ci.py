"""CI and the README agree: CI runs the README's test command, installs what its apt step names, and every
package the tests import is declared in the `test` extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _readme_test_command() -> str:
    block = re.search(r"# 2\. Install the test extra.*?\n((?:[^#`\n][^\n]*))\n```", README, re.S)
    assert block, "the README's second set-up command (# 2. ...) was not found"
    return block.group(1).strip()


def test_ci_runs_each_step_of_the_readme_test_command_in_order() -> None:
    """Every step after the apt step of the README's test command is a line of .ci/run, in the same order."""
    steps = [s.strip() for s in _readme_test_command().split("&&")]
    run_steps = [s for s in steps if not s.startswith("apt-get")]
    assert run_steps[-1] == "tools/test.sh"
    lines = [line.split("#")[0].strip() for line in CI.splitlines()]
    where = [next((i for i, line in enumerate(lines) if line.startswith(" ".join(s.split()))), -1) for s in run_steps]
    assert -1 not in where, dict(zip(run_steps, where))
    assert where == sorted(where)
    assert "export CI=true" in CI


def test_ci_installs_every_package_the_readme_apt_step_names() -> None:
    """The packages of the README's apt-get install are each installed by .ci/run when missing; apt-get
    update runs first; busybox is checked as busybox-static, not as any busybox on PATH."""
    command = _readme_test_command()
    assert command.startswith("apt-get update")
    install = next(s for s in command.split("&&") if "apt-get install" in s)
    packages = [w for w in install.split()[2:] if not w.startswith("-")]
    assert set(packages) >= {"git", "docker.io", "busybox-static", "python3-venv"}
    for package in packages:
        assert f"need_apt+=({package})" in CI, package
    assert CI.index("apt-get update -qq") < CI.index("apt-get install -y")
    assert "command -v busybox >" not in CI and "dpkg-query -W -f='${Status}' busybox-static" in CI


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _declared(extra: str) -> set[str]:
    """Distributions the project's core plus ``extra`` require, following its own deploystate[...] extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted, seen, out = [*project["dependencies"], *project["optional-dependencies"][extra]], set(), set()
    while wanted:
        req = wanted.pop()
        name = re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower().replace("_", "-")
        extras = re.search(r"\[([^\]]+)\]", req)
        if name == "deploystate":
            for e in (extras.group(1).split(",") if extras else []):
                if e.strip() not in seen:
                    seen.add(e.strip())
                    wanted += project["optional-dependencies"][e.strip()]
            continue
        out.add(name)
        try:  # what a declared package brings along (kmock's pytest plugin needs pytest-asyncio, ...)
            out |= {re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0].lower().replace("_", "-")
                    for r in (requires(name) or []) if "extra ==" not in r}
        except PackageNotFoundError:
            pass
    return out


def _written_by_tests() -> set[str]:
    """Packages a test writes itself and imports (``root = tmp_path / "name"`` and ``root / "__init__.py"`` in
    the same file): not distributions. Read from the tests' own text, so each name is one a test makes."""
    made: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        if '(root / "__init__.py")' in text:
            made |= set(re.findall(r'(?m)^\s*root = tmp_path / "([A-Za-z_]\w*)"$', text))
    return made


def test_every_package_the_tests_import_is_declared_in_the_test_extra() -> None:
    """A test-only import (moto, kmock, hypothesis, ...) comes from a distribution the `test` extra declares."""
    imported = set().union(*(_imports(p) for p in (ROOT / "tests").rglob("*.py")))
    ours = {"deploystate", "tests"} | {p.name for p in (ROOT / "tests").rglob("*") if p.is_dir()} | _written_by_tests()
    third_party = sorted(imported - set(sys.stdlib_module_names) - ours - {"__future__"})
    dists = packages_distributions()
    declared = _declared("test")
    missing = {m: dists.get(m) for m in third_party
               if not {d.lower().replace("_", "-") for d in dists.get(m, [m])} & declared}
    assert not missing, f"imported by tests but not declared in the `test` extra: {missing}"
