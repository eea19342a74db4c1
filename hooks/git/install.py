"""Install the git hooks as small shell shims, chaining whatever hook was there before.

A shim execs the Python that installed it (``sys.executable``) in isolated mode:
no PATH lookup, no wrapper script, so the hook costs one interpreter start, and the
repository's own modules stay off the import path. A regular install (``pip install .``)
runs ``-I -S`` with its site-packages directory put on ``sys.path`` by the shim
(``shim_argv``): ``site`` and its ``.pth`` files cost every hook ~4M instructions
(~10% of ``python -c pass``), and the hook needs nothing from site-packages but
deploystate. When that import fails the hook refuses (post-commit only warns) and
says to re-run the install. An editable install keeps ``-I -m deploystate.hooks``:
its finder is a ``.pth`` that only ``site`` loads. An existing hook is moved aside to
``<hook>.pre-deploystate`` and run first with the same arguments and stdin;
uninstalling moves it back. The hooks directory is whatever git says it is
(``git rev-parse --git-path hooks``), so ``core.hooksPath`` (husky, lefthook and
friends) is respected.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from deploystate.state.errors import GitError, InputError
from deploystate.state.git.gitinfo import git

MARKER = "# deploystate-shim v1"
SUFFIX = ".pre-deploystate"
GIT_HOOKS = ("pre-push", "commit-msg", "post-commit", "post-merge")
STDIN_HOOKS = frozenset({"pre-push"})
NEVER_BLOCK = frozenset({"post-commit", "post-merge"})


def hooks_dir(top: Path) -> Path:
    """Where git looks for hooks in the repository at ``top`` (core.hooksPath included)."""
    out = git(top, "rev-parse", "--git-path", "hooks").strip()
    path = Path(out)
    return path if path.is_absolute() else top / path


def hooks_path_setting(top: Path) -> str | None:
    try:
        return git(top, "config", "core.hooksPath").strip() or None
    except GitError:
        return None


# The words the default claim patterns cannot match without (settings.DEFAULT_CLAIM_PATTERNS, as
# PREFILTERED; a test keeps the two equal). A commit message in plain ASCII with none of them, under a
# config that sets no commit_msg_patterns, is accepted by the commit-msg hook whatever the state says:
# normalisation changes no ASCII text, and stripping comments or quotes only removes words. The shim
# then exits 0 without starting Python; anything else (a claim word, a byte outside printable ASCII,
# an unreadable message, a config with its own patterns, a root it cannot enter) goes to Python.
CLAIM_WORDS = ("deployed", "live", "verified", "working")
PREFILTERED = (r"(?i)\bdeployed\b", r"(?i)\bis (now )?live\b", r"(?i)\bverified (working|in prod)",
               r"(?i)\bworking in prod(uction)?\b", r"(?i)\blive in prod(uction)?\b")


def plain_message_check() -> str:
    """POSIX sh (a subshell, the message file as $1) that exits 0 only when the message cannot be a claim
    and no configured pattern could say otherwise; it finds deploystate.toml as ``settings.find`` does
    (DEPLOYSTATE_ROOT or the working directory, symlinks resolved, then each parent)."""
    words = "|".join(CLAIM_WORDS)
    return "\n".join([
        "(",
        f"  LC_ALL=C grep -aqiE '{words}|[^[:print:][:blank:]]' -- \"${{1:-.git/COMMIT_EDITMSG}}\"",
        "  [ $? -eq 1 ] || exit 1",
        '  CDPATH= cd -P -- "${DEPLOYSTATE_ROOT:-.}" >/dev/null || exit 1',
        "  d=$PWD",
        "  while :; do",
        '    if [ -f "$d/deploystate.toml" ]; then',
        '      grep -qF commit_msg_patterns -- "$d/deploystate.toml"',
        "      [ $? -eq 1 ]; exit $?",
        "    fi",
        '    [ -n "$d" ] || exit 0',
        "    d=${d%/*}",
        "  done",
        ") 2>/dev/null",
    ])


# What a regular install's shim runs with -I -S -c: site-packages (argv[1]) on the path, then the entry point;
# when deploystate cannot be imported from there, a readable reason and the hook's failure status (argv[2]).
BOOT = r"""import sys
site, fail = sys.argv.pop(1), int(sys.argv.pop(1))
sys.path.append(site)
try:
    from deploystate.hooks.__main__ import main
except BaseException as exc:
    hook = sys.argv[1] if len(sys.argv) > 1 else "git"
    sys.stderr.write(f"deploystate: the {hook} hook cannot import deploystate from {site} "
                     f"({type(exc).__name__}: {exc}), so it cannot judge this" + ("; refusing" if fail else "")
                     + ".\n  next: re-run `deploystate hooks install --git` with the Python that has deploystate "
                     "installed (or remove the hooks: `deploystate hooks uninstall --git`).\n")
    sys.exit(fail)
sys.exit(main())
"""
# Run by the target Python: its site-packages directory when deploystate is a regular install there (the
# package's own files beside its dist-info), else nothing (an editable install: its finder needs site).
SITE_PROBE = """import glob, os, deploystate
site = os.path.dirname(os.path.dirname(os.path.abspath(deploystate.__file__)))
regular = os.path.isfile(os.path.join(site, "deploystate", "hooks", "__main__.py")) and glob.glob(
    os.path.join(glob.escape(site), "deploystate-*.dist-info"))
print(site if regular else "")
"""


def regular_site(python: str) -> str | None:
    """The site-packages directory of ``python``'s regular install of deploystate, or None (editable, or
    ``python`` cannot say: the shim then runs ``-I -m`` as before)."""
    if python == sys.executable:
        namespace: dict = {}
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(SITE_PROBE, namespace)  # noqa: S102 - our own constant, the same text the subprocess runs
        return out.getvalue().strip() or None
    from deploystate.state.git.proc import run
    try:
        done = run([python, "-I", "-c", SITE_PROBE], timeout=60)
    except Exception:  # noqa: BLE001 - an interpreter that cannot answer gets the -I -m shim
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def shim_argv(hook: str, python: str, site: str | None) -> list[str]:
    """The interpreter's command line a shim runs for ``hook`` (git's arguments follow)."""
    if site is None:
        return [python, "-I", "-m", "deploystate.hooks", hook]
    return [python, "-I", "-S", "-c", BOOT, site, "0" if hook in NEVER_BLOCK else "1", hook]


def shim_text(hook: str, python: str, project_rel: str | None = None, site: str | None = None) -> str:
    """The shell script installed as ``hook``; ``site``: see ``shim_argv``."""
    py = shlex.quote(python)
    fail = "0" if hook in NEVER_BLOCK else "1"
    lines = [
        "#!/bin/sh",
        f"{MARKER} ({hook}): installed by `deploystate hooks install --git`.",
        f"# `deploystate hooks uninstall --git` removes it and restores {hook}{SUFFIX} if there was one.",
        f"PY={py}",
        'if [ ! -x "$PY" ]; then',
        '  echo "deploystate: $PY is gone: reinstall the hooks (deploystate hooks install --git) or remove them '
        '(deploystate hooks uninstall --git)" >&2',
        f"  exit {fail}",
        "fi",
    ]
    if project_rel:
        rel = shlex.quote(project_rel)
        # git runs hooks from the top of the work tree; deploystate.toml lives in a sub-directory
        lines += ['if [ -z "$DEPLOYSTATE_ROOT" ]; then', f'  DEPLOYSTATE_ROOT="$PWD"/{rel}', "  export DEPLOYSTATE_ROOT",
                  "fi"]
    lines.append(f'prev="${{0%/*}}/{hook}{SUFFIX}"')
    # -I (isolated mode): neither the repository (the working directory) nor PYTHONPATH is on the import
    # path, so a broken or shadowing app module (token.py, json.py, signal.py) cannot break the hook.
    run = " ".join(['"$PY"', *map(shlex.quote, shim_argv(hook, python, site)[1:]), '"$@"'])
    if hook in STDIN_HOOKS:
        lines += [
            "# git writes the pushed refs on stdin once: keep them for both hooks.",
            f'input=$(mktemp "${{TMPDIR:-/tmp}}/deploystate-{hook}.XXXXXX") || exit 1',
            "trap 'rm -f \"$input\"' EXIT",
            'cat > "$input"',
            'if [ -x "$prev" ]; then',
            '  "$prev" "$@" < "$input" || exit $?',
            "fi",
            f'{run} < "$input"',
            "exit $?",
        ]
    elif hook in NEVER_BLOCK:
        lines += ['if [ -x "$prev" ]; then', '  "$prev" "$@"', "fi"]
        if hook == "post-commit":
            from .pathfilter import touched_check
            lines += ["# Python only when the commit touched a configured path, or when the shim cannot tell (see "
                      "touched_check in deploystate.hooks.git.pathfilter).",
                      f"if {touched_check(run)}; then", "  exit 0", "fi"]
        lines += [run, "exit 0"]
    else:
        lines += ['if [ -x "$prev" ]; then', '  "$prev" "$@" || exit $?', "fi"]
        if hook == "commit-msg":
            lines += ["# A message that cannot be a claim is accepted without starting Python (see "
                      "plain_message_check in deploystate.hooks.git.install).",
                      f"if {plain_message_check()}; then", "  exit 0", "fi"]
        lines.append(f"exec {run}")
    return "\n".join(lines) + "\n"


def is_ours(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return MARKER.encode() in fh.read(4096)
    except OSError:
        return False


def _same_content(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def install(top: Path, *, python: str | None = None, project_root: Path | None = None,
            hooks: tuple[str, ...] = GIT_HOOKS) -> list[str]:
    """Install (or refresh) the shims; return one line per hook saying what was done."""
    python = python or sys.executable
    site = regular_site(python)
    rel = None
    if project_root is not None and project_root.resolve() != top.resolve():
        rel = str(project_root.resolve().relative_to(top.resolve()))
    directory = hooks_dir(top)
    directory.mkdir(parents=True, exist_ok=True)
    report = []
    for hook in hooks:
        path, saved = directory / hook, directory / (hook + SUFFIX)
        if path.exists() or path.is_symlink():
            if is_ours(path):
                action = "refreshed"
            elif saved.exists() and not _same_content(path, saved):
                raise InputError(f"{path} is not deploystate's shim and {saved.name} already exists",
                                 f"someone replaced the shim: merge {path.name} into {saved.name} (or move one "
                                 "away), then run `deploystate hooks install --git` again")
            else:
                os.replace(path, saved)
                action = f"installed; the existing hook now runs first from {saved.name}"
        else:
            action = "installed"
        _write_executable(path, shim_text(hook, python, rel, site))
        report.append(f"{hook}: {action} ({path})")
    return report


def uninstall(top: Path, hooks: tuple[str, ...] = GIT_HOOKS) -> list[str]:
    """Remove our shims and put back the hooks they chained; anything else is left alone."""
    directory = hooks_dir(top)
    report = []
    for hook in hooks:
        path, saved = directory / hook, directory / (hook + SUFFIX)
        if (path.exists() or path.is_symlink()) and not is_ours(path):
            report.append(f"{hook}: left alone (not deploystate's shim: {path})")
            continue
        existed = path.exists()
        if existed:
            path.unlink()
        if saved.exists() or saved.is_symlink():
            os.replace(saved, path)
            report.append(f"{hook}: removed; restored the hook that was there before")
        else:
            report.append(f"{hook}: removed" if existed else f"{hook}: was not installed")
    return report


def status(top: Path, hooks: tuple[str, ...] = GIT_HOOKS) -> dict[str, str]:
    directory = hooks_dir(top)
    out = {}
    for hook in hooks:
        path, saved = directory / hook, directory / (hook + SUFFIX)
        if is_ours(path):
            out[hook] = "installed" + (f" (chains {saved.name})" if saved.exists() else "")
        elif path.exists():
            out[hook] = "another hook (not deploystate's)"
        else:
            out[hook] = "not installed"
    return out
