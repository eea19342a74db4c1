"""Move modules into the rooms of tools/reroom_rooms.py and rewrite every reference to them (issue 16).

    .venv/bin/python tools/reroom.py --check          # what would move; stops on a module not in the table
    .venv/bin/python tools/reroom.py                  # move every room, rewrite, leave it uncommitted
    .venv/bin/python tools/reroom.py --commit         # the same, one commit per room (pure moves: --follow works)
    .venv/bin/python tools/reroom.py --room state/ledger --commit

Deterministic and idempotent: a room whose modules are already in place is skipped, so a second run does
nothing. Each room is applied in turn: ``git mv`` of its files, its ``__init__.py`` (the docstring from the
table), its lines in pyproject's [tool.setuptools] packages and package-dir, then every git-tracked text
file is rewritten: ``from`` imports (absolute and relative, split when the names now live in different
rooms; relative kept only inside one package), dotted names anywhere (``import a.b``, monkeypatch targets,
registry strings, docs) and ``state/x.py``-style paths. Before anything moves, every module of a split
folder must be in the table: one that is not (new on main since the table was written) is named and the
script stops with exit 2, so it is placed deliberately.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess  # noqa: S404 - a developer tool, not product code (product code goes through state/git/proc)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reroom_rooms import ROOMS, SPLIT, STAY  # noqa: E402 - the table sits beside this script

ROOT = Path(__file__).resolve().parent.parent
SELF = {"tools/reroom.py", "tools/reroom_rooms.py"}
DOTTED = re.compile(r"(?<![\w.])deploystate(?:\.\w+)+")
# a ``from`` import written in a string or a document (test code run in a subprocess, docs' examples);
# after a ``\n`` escape too (code strings)
FROM_TEXT = re.compile(r"(?:(?<=\\n)|(?<![\w.]))from (deploystate(?:\.\w+)*) "
                       r"import (\w+(?: as \w+)?(?:, \w+(?: as \w+)?)*)")
PATHS = re.compile(r"(?:(?<=\.\./)|(?<=deploystate/)|(?<![\w/.\-]))(?:%s)/[\w/]+\.py\b" % "|".join(SPLIT))
WIDTH = 118


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True, timeout=120).stdout


def dotted(rel: str) -> str:
    """'state/ledger/chain.py' -> 'deploystate.state.ledger.chain' (an __init__.py names its package)."""
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["deploystate", *parts]) if parts[0] in SPLIT + ("verify",) else ".".join(parts)


def package_of(rel: str) -> str:
    """The package a relative import in this file is resolved against."""
    name = dotted(rel)
    return name if rel.endswith("/__init__.py") else name.rpartition(".")[0]


def room_moves(room: str, stems: tuple[str, ...]) -> dict[str, str]:
    top = room.split("/")[0]
    return {f"{top}/{stem}.py": f"{room}/{stem}.py" for stem in stems}


def unplaced() -> list[str]:
    """Modules of a split folder that are in neither STAY nor a room (new on main since the table)."""
    placed = {f"{top}/{stem}.py" for top, stems in STAY.items() for stem in stems}
    for room, _, stems in ROOMS:
        placed |= set(room_moves(room, stems)) | set(room_moves(room, stems).values())
    found = [p for top in SPLIT for p in git("ls-files", "-z", f"{top}/*.py").split("\0")
             if p and "/" not in p[len(top) + 1:]]
    return sorted(p for p in found if p not in placed)


# ---- rewriting one file ---------------------------------------------------------------------------------

def _offsets(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def _pos(text: str, starts: list[int], line: int, col_bytes: int) -> int:
    begin = starts[line - 1]
    row = text[begin:starts[line]] if line < len(starts) else text[begin:]
    return begin + len(row.encode()[:col_bytes].decode(errors="ignore"))


def _emit(target: str, names: list[str], relative: bool, new_pkg: str, indent: str) -> str:
    if relative and (target == new_pkg or target.startswith(new_pkg + ".")):
        base = "." + target[len(new_pkg) + 1:]
    else:
        base = target
    line = f"from {base} import {', '.join(names)}"
    if len(indent) + len(line) <= WIDTH:
        return line
    head = f"from {base} import ("
    rows, row = [], ""
    for name in names:
        piece = f"{name}, "
        if row and len(indent) + len(head) + len(row) + len(piece) > WIDTH:
            rows.append(row.rstrip())
            row = ""
        row += piece
    rows.append(row.rstrip().rstrip(",") + ")")
    return head + ("\n" + indent + " " * len(head)).join(rows)


def _groups(base: str, names: list[tuple[str, str | None]], moved: dict[str, str]) -> dict[str, list[str]]:
    """{module to import from: [names]} for ``from base import names`` once the moved modules are in place."""
    groups: dict[str, list[str]] = {}
    for name, asname in names:
        full = f"{base}.{name}"
        if full in moved:
            target, leaf = moved[full].rpartition(".")[::2]
            item = leaf if leaf == name and not asname else f"{leaf} as {asname or name}"
        else:
            target = moved.get(base, base)
            item = name + (f" as {asname}" if asname else "")
        groups.setdefault(target, []).append(item)
    return groups


def _import_edits(text: str, rel: str, new_rel: str, moved: dict[str, str]) -> tuple[list, list]:
    """(edits, spans) for every ``from`` import: the statements to replace and every span to leave to them."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [], []
    starts, edits, spans = _offsets(text), [], []
    pkg, new_pkg = package_of(rel), package_of(new_rel)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        start = _pos(text, starts, node.lineno, node.col_offset)
        end = _pos(text, starts, node.end_lineno, node.end_col_offset)
        spans.append((start, end))
        if node.level:
            parts = pkg.split(".")
            base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        groups = _groups(base, [(a.name, a.asname) for a in node.names], moved)
        if list(groups) == [base] and (not node.level or pkg == new_pkg):
            continue
        line_start = starts[node.lineno - 1]
        prefix = text[line_start:start]
        indent = prefix if not prefix.strip() else ""
        out = [_emit(t, names, bool(node.level), new_pkg, indent) for t, names in groups.items()]
        edits.append((start, end, ("\n" + indent).join(out) if indent or not prefix.strip() else "; ".join(out)))
    return edits, spans


def rewrite(text: str, rel: str, new_rel: str, moved: dict[str, str], paths: dict[str, str]) -> str:
    """The text with every reference to a moved module pointing at its new place."""
    edits, spans = _import_edits(text, rel, new_rel, moved) if rel.endswith(".py") else ([], [])
    for match in FROM_TEXT.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        spans.append((match.start(), match.end()))
        names = [tuple(n.split(" as ")) if " as " in n else (n, None) for n in match.group(2).split(", ")]
        groups = _groups(match.group(1), names, moved)
        if list(groups) != [match.group(1)]:
            edits.append((match.start(), match.end(),
                          "; ".join(f"from {t} import {', '.join(n)}" for t, n in groups.items())))
    for match in DOTTED.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        parts = match.group().split(".")
        for n in range(len(parts), 1, -1):
            head = ".".join(parts[:n])
            if head in moved:
                edits.append((match.start(), match.start() + len(head), moved[head]))
                break
    for match in PATHS.finditer(text):
        if match.group() in paths:
            edits.append((match.start(), match.end(), paths[match.group()]))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# ---- applying a room --------------------------------------------------------------------------------------

def _pyproject(text: str, room: str) -> str:
    """The room's lines in [tool.setuptools] packages and package-dir, after its parent's last sub-package."""
    name = dotted(room + "/__init__.py")
    parent = name.rpartition(".")[0]
    if f'"{name}"' in text:
        return text
    lines = text.split("\n")
    for pattern, line in ((rf'    "{re.escape(parent)}(\.\w+)*",', f'    "{name}",'),
                          (rf'"{re.escape(parent)}(\.\w+)*" = "[^"]+"', f'"{name}" = "{room}"')):
        last = max(i for i, row in enumerate(lines) if re.fullmatch(pattern, row))
        lines.insert(last + 1, line)
    return "\n".join(lines)


def apply_room(room: str, doc: str, stems: tuple[str, ...]) -> bool:
    """Move one room and rewrite the tree; False when it was already in place."""
    moves = {old: new for old, new in room_moves(room, stems).items() if (ROOT / old).exists()}
    missing = [old for old, new in room_moves(room, stems).items() if not (ROOT / old).exists()
               and not (ROOT / new).exists()]
    for old in missing:
        print(f"reroom: {old} is in the table but not in the tree (removed on main?): skipped", file=sys.stderr)
    if not moves:
        return False
    clash = [new for new in moves.values() if (ROOT / new).exists()]
    if clash:
        sys.exit(f"reroom: {', '.join(clash)} already exist beside the modules that should move there")
    moved = {dotted(old): dotted(new) for old, new in moves.items()}
    (ROOT / room).mkdir(exist_ok=True)
    init = ROOT / room / "__init__.py"
    if not init.exists():
        init.write_text(f'"""{doc.rstrip()}\n"""\n')
        git("add", f"{room}/__init__.py")
    for old, new in moves.items():
        git("mv", old, new)
    where = {new: old for old, new in moves.items()}
    for rel in git("ls-files", "-z").split("\0"):
        if not rel or rel in SELF or not (ROOT / rel).is_file():
            continue
        try:
            text = (ROOT / rel).read_text()
        except (UnicodeDecodeError, OSError):
            continue
        new = rewrite(text, where.get(rel, rel), rel, moved, moves)
        if rel == "pyproject.toml":
            new = _pyproject(new, room)
        if new != text:
            (ROOT / rel).write_text(new)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="list what would move; change nothing")
    ap.add_argument("--commit", action="store_true", help="one commit per room")
    ap.add_argument("--room", action="append", help="only this room (repeatable); default: every room")
    args = ap.parse_args(argv)
    new = unplaced()
    if new:
        print("reroom: these modules are in no room and not in STAY of tools/reroom_rooms.py (new on main?):\n  "
              + "\n  ".join(new) + "\nplace each in a room (or STAY), then run again. Nothing was moved.",
              file=sys.stderr)
        return 2
    rooms = [r for r in ROOMS if not args.room or r[0] in args.room]
    if args.room and len(rooms) != len(args.room):
        print(f"reroom: unknown room in {args.room}; rooms: {', '.join(r[0] for r in ROOMS)}", file=sys.stderr)
        return 2
    if args.check:
        for room, _, stems in rooms:
            todo = [old for old in room_moves(room, stems) if (ROOT / old).exists()]
            print(f"{room}: {'in place' if not todo else 'moves ' + ' '.join(todo)}")
        return 0
    if args.commit and git("status", "--porcelain", "--untracked-files=no").strip():
        print("reroom: the work tree has uncommitted changes; commit or stash them first", file=sys.stderr)
        return 2
    for room, doc, stems in rooms:
        if not apply_room(room, doc, stems):
            print(f"{room}: in place")
            continue
        print(f"{room}: moved {len(stems)} modules")
        if args.commit:
            git("add", "-u")
            git("commit", "-q", "-m", f"reroom: {room}/ ({', '.join(stems)}): git mv and import rewrites only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
