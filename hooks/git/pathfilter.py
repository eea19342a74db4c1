"""post-commit without Python when the commit touched no configured path.

Python's post-commit (``postcommit.run``) writes ``<git common dir>/deploystate[/projects/<rel>]/cache/
post-commit-paths``: a first line naming the POSIX ``cksum`` of the deploystate.toml bytes it was built
from, then extended regular expressions (``grep -E``) that match every line of ``git diff --name-status
-M`` naming a path any service's ``paths`` or any ``all_services`` rule matches. Each glob becomes an ERE
that matches at least what ``globs.compile_glob`` matches (broader where in doubt: a ``[...]`` class
other than letters, digits and their ranges is any one character, a glob with a byte outside printable
ASCII matches every line), and two more lines send any quoted path (git quotes non-ASCII and control
characters) or stray byte to Python.

The shim (``touched_check``) runs Python only when that file's key is the config's cksum and the diff
matches it, or when anything is unusual (no such file, another key, a linked worktree, the first commit,
a git or grep error): then Python runs as before and writes the file again. post-commit never blocks, so a
forged file can only hide the advisory message (docs/threat-model.md).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE = "post-commit-paths"
HEADER = "# deploystate post-commit paths v1 "
# Always sent to Python: a quoted path (non-ASCII, a tab, a quote or backslash) or any other byte.
UNUSUAL = ('"', "[^[:print:][:blank:]]")
STDIN_FLAG = "--changes-on-stdin"  # the shim's diff, given to Python when the matcher said "touched"
ERE_SPECIAL = frozenset(".[()*+?{|^$\\")
_TABLE: list[int] = []


def cksum(data: bytes) -> str:
    """What ``cksum < file`` prints (POSIX CRC-32 of the bytes, then their length), without the newline."""
    if not _TABLE:
        for i in range(256):
            c = i << 24
            for _ in range(8):
                c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else c << 1
            _TABLE.append(c & 0xFFFFFFFF)
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _TABLE[(crc >> 24) ^ b]
    n = len(data)
    while n:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _TABLE[(crc >> 24) ^ (n & 0xFF)]
        n >>= 8
    return f"{~crc & 0xFFFFFFFF} {len(data)}"


def _bracket(body: str) -> str:
    """A glob class's ERE: the same bracket when it is letters, digits and ascending ranges of them (a
    leading ``!`` negates, as compile_glob's ``^`` does; the C locale's ranges are Python's on ASCII),
    else any one character (a negated class may even match "/")."""
    neg = body.startswith("!")
    rest = body[1:] if neg else body
    i, ok = 0, bool(rest)
    while ok and i < len(rest):
        if not rest[i].isascii() or not rest[i].isalnum():
            ok = False
        elif i + 2 < len(rest) and rest[i + 1] == "-":
            ok = rest[i + 2].isascii() and rest[i + 2].isalnum() and rest[i] <= rest[i + 2]
            i += 3
            continue
        i += 1
    return f"[{'^' if neg else ''}{rest}]" if ok else "."


def glob_ere(pattern: str) -> str | None:
    """An ERE matching (as a whole line) at least every path ``compile_glob(pattern)`` matches; it follows
    compile_glob's parse step by step. Call it only for a pattern compile_glob accepts."""
    from deploystate.state.config.globs import normalized

    if any(not (" " <= ch <= "~") for ch in pattern.strip()):
        return None  # the caller matches every line instead
    pat, anchored = normalized(pattern)
    out, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                j = i + 2
                if j < n and pat[j] == "/":
                    out.append("(.*/)?")
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
            out.append(_bracket(pat[i + 1:end]))
            i = end
        elif c in ERE_SPECIAL:
            out.append("\\" + c)
        elif c in "]}":
            out.append(f"[{c}]")  # "\]" is undefined in an ERE
        else:
            out.append(c)
        i += 1
    return ("" if anchored else "(.*/)?") + "".join(out)


def line_ere(pattern: str) -> str:
    """The ERE for a ``--name-status`` line (``M<TAB>path``, ``R100<TAB>old<TAB>new``) naming a matching path."""
    body = glob_ere(pattern)
    return "." if body is None else f"\t{body}(\t|$)"


def matcher_text(data: bytes, root: Path) -> str:
    """The file's text for the config ``data`` at ``root``: the globs read exactly as post-commit reads them
    (``Project.service_paths`` and ``all_services_rules``); raises whatever reading them raises."""
    lines = [HEADER + cksum(data), *UNUSUAL]
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as Path.read_text decodes it
    if "services" in text:  # else post-commit returns at once (all_services contains the word too)
        from deploystate.state.config.globs import compile_glob
        from deploystate.state.config.project import Project, toml_loads

        project = Project(root, toml_loads(text))
        globs = [g for paths in project.service_paths().values() for g in paths]
        globs += [g for paths, _reason in project.all_services_rules() for g in paths]
        for g in globs:
            compile_glob(g)  # an invalid glob: no file (post-commit says why, every time)
            lines.append(line_ere(g))
    return "\n".join(lines) + "\n"


def location(root: Path) -> Path | None:
    from deploystate.hooks.settings import anchor_home

    home = anchor_home(root)
    return home / "cache" / FILE if home is not None else None


def refresh(root: Path, config_name: str = "deploystate.toml") -> None:
    """Write the file for the config at ``root`` unless it already says exactly that; remove it when the
    config cannot be read as post-commit reads it. Only where the state already lives (the folder exists)."""
    path = location(root)
    if path is None or not path.parent.parent.is_dir():
        return
    try:
        text = matcher_text((root / config_name).read_bytes(), root)
    except Exception:  # noqa: BLE001 - unreadable config, bad glob: Python decides every time
        try:
            path.unlink()
        except OSError:
            pass
        return
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full disk: Python keeps running, as before


def touched_check(run: str) -> str:
    """POSIX sh for the post-commit shim: a subshell that exits 0 when it is done (the commit touched no
    configured path: nothing to say; or it did, and ``run`` was given the diff on stdin), and non-zero
    when Python must run as before. It finds the config as ``settings.find`` does and the file where
    ``location`` puts it (a ``.git`` directory, not a linked worktree's ``.git`` file)."""
    return "\n".join([
        "(",
        '  [ -z "${GIT_DIR-}${GIT_COMMON_DIR-}${GIT_WORK_TREE-}" ] || exit 3',
        '  CDPATH= cd -P -- "${DEPLOYSTATE_ROOT:-.}" >/dev/null 2>&1 || exit 3',
        "  d=$PWD",
        '  while [ ! -f "$d/deploystate.toml" ]; do',
        '    [ -n "$d" ] || exit 3',
        "    d=${d%/*}",
        "  done",
        "  g=$d",
        '  while [ ! -e "$g/.git" ]; do',
        '    [ -n "$g" ] || exit 3',
        "    g=${g%/*}",
        "  done",
        '  [ -d "$g/.git" ] || exit 3',
        '  r=${d#"$g"}; r=${r#/}; f="$g/.git/deploystate"',
        '  if [ -n "$r" ]; then',
        "    n=",
        '    while :; do case $r in */*) n="$n${r%%/*}__"; r=${r#*/};; *) n="$n$r"; break;; esac; done',
        '    f="$f/projects/$n"',
        "  fi",
        f'  f="$f/cache/{FILE}"',
        '  { IFS= read -r k < "$f"; } 2>/dev/null || exit 3',
        '  s=$(cksum 2>/dev/null < "$d/deploystate.toml") || exit 3',
        f'  [ "$k" = "{HEADER}$s" ] || exit 3',
        '  c=$(cd -- "$d" && git diff --name-status -M --relative HEAD~1 HEAD 2>/dev/null) || exit 3',
        '  [ -n "$c" ] || exit 0',
        '  printf \'%s\\n\' "$c" | LC_ALL=C grep -qE -f "$f" 2>/dev/null',
        "  case $? in 0) ;; 1) exit 0;; *) exit 3;; esac",
        f'  printf \'%s\\n\' "$c" | {run} {STDIN_FLAG}',
        "  exit 0",
        ")",
    ])
