"""Imports go one way (docs/INTERNALS.md), read from the source: the rooms are the package's first name.

hooks -> state; verify -> platforms -> state; server -> everything. state imports nothing of ours, and the
hook path loads no heavy SDK, directly or through a module it imports. The room of a module is the first
name after ``deploystate.`` (``deploystate.state.ledger.ledger.chain`` is in ``state``), so the rules hold for a
flat folder and for one split into sub-packages alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("state", "platforms", "verify", "server", "hooks")
# room -> the rooms it must never import
FORBIDDEN = {
    "state": {"platforms", "verify", "server", "hooks"},
    "hooks": {"platforms", "verify", "server"},
    "platforms": {"verify", "server", "hooks"},
    "verify": {"server", "hooks"},
}
# Never on the hook path (a git hook runs on every push and must start fast), never in state (no network).
HEAVY = {"mcp", "boto3", "botocore", "kubernetes", "docker", "pydantic", "pydantic_core", "git"}
HEAVY_BANNED = ("hooks", "state")


def _name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["deploystate", *parts])


def _imports(path: Path, name: str) -> list[tuple[int, str, bool]]:
    """(line, imported module or name, at module level) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = {id(n) for n in tree.body} | {id(n) for s in tree.body if isinstance(s, (ast.If, ast.Try))
                                        for n in ast.walk(s)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.append((node.lineno, base, id(node) in top))
            out += [(node.lineno, f"{base}.{a.name}", id(node) in top) for a in node.names if a.name != "*"]
    return out


def modules(root: Path = ROOT) -> dict[str, tuple[str, list[tuple[int, str, bool]]]]:
    """Every module of the product: name -> (its file, relative to root; its imports)."""
    found = {}
    for room in ROOMS:
        for path in sorted((root / room).rglob("*.py")):
            name = _name(path, root)
            found[name] = (path.relative_to(root).as_posix(), _imports(path, name))
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "deploystate" and parts[1] in ROOMS else None


def crossings(found: dict) -> list[str]:
    """Every import that goes against the direction, as 'file:line: room -> module'."""
    bad = []
    for name, (path, imports) in found.items():
        room = _room(name)
        for line, target, _ in imports:
            if _room(target) in FORBIDDEN.get(room, ()):
                bad.append(f"{path}:{line}: {room} -> {target}")
    return sorted(set(bad))


def heavy_paths(found: dict) -> list[str]:
    """Every way a hooks or state module reaches a heavy SDK: directly, or through module-level imports."""
    def loads(module: str) -> set[str]:
        # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
        parts = module.split(".")
        return {".".join(parts[:n]) for n in range(2, len(parts) + 1)} & found.keys()

    bad = []
    for name, (path, imports) in found.items():
        if _room(name) not in HEAVY_BANNED:
            continue
        todo = [(t, [name, t]) for _, t, _ in imports]  # the module's own imports count even inside functions
        seen: set[str] = set()
        while todo:
            target, chain = todo.pop()
            if target.split(".")[0] in HEAVY:
                bad.append(" -> ".join(chain[:-1] + [target.split(".")[0]]))
                continue
            for mod in loads(target) - seen:
                seen.add(mod)
                todo += [(t, chain[:-1] + [mod, t]) for _, t, top in found[mod][1] if top]
    return sorted(set(bad))


def test_no_import_crosses_a_forbidden_direction() -> None:
    """No module imports a room it must not: state nothing of ours, hooks only state, platforms only state,
    verify never server."""
    assert crossings(modules()) == []


def test_hooks_and_state_never_reach_a_heavy_sdk() -> None:
    """No hooks or state module imports mcp, boto3, kubernetes, docker, pydantic or gitpython, nor a module
    of ours that imports one when it loads (the config models included: they are standard library)."""
    assert heavy_paths(modules()) == []


def test_the_rules_see_a_forbidden_import(tmp_path: Path) -> None:
    """A state module importing a platform, a platform importing verify, and a hook importing boto3 through a
    state module are each found, flat or in a sub-package, relative or absolute."""
    for rel, text in {
        "state/__init__.py": "",
        "state/sub/__init__.py": "",
        "state/sub/a.py": "def f():\n    from deploystate.platforms import b\n",
        "state/heavy.py": "import boto3\n",
        "platforms/__init__.py": "",
        "platforms/b.py": "from ..verify import c\n",
        "verify/__init__.py": "",
        "verify/c.py": "",
        "hooks/__init__.py": "",
        "hooks/d.py": "from deploystate.state import heavy\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = modules(tmp_path)
    assert crossings(found) == ["platforms/b.py:1: platforms -> deploystate.verify",
                                "platforms/b.py:1: platforms -> deploystate.verify.c",
                                "state/sub/a.py:2: state -> deploystate.platforms",
                                "state/sub/a.py:2: state -> deploystate.platforms.b"]
    assert heavy_paths(found) == ["deploystate.hooks.d -> deploystate.state.heavy -> boto3",
                                  "deploystate.state.heavy -> boto3"]
