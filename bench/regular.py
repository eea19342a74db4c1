"""The Python of a regular (non-editable) install of this checkout, for the ratios to `python -c pass`.

Why: the dev venv's editable install puts a finder on every interpreter start (its ``.pth``), and the
test extra adds coverage's ``.pth``: `python -c pass` there costs ~90M instructions instead of ~38M,
and the same ~52M is added to every deploystate process, which flatters every ratio to the floor. A
user runs the README's `pip install .`: the ratios the issues set are measured against that install.

``python()`` keeps one venv per checkout under the temp dir and reinstalls deploystate (not its
dependencies) whenever a source file changed, then byte-compiles it as pip does. Use it from a bench:

    from regular import python
    PY = python()          # path of the venv's interpreter; prints what it did on stderr

Run alone (`python bench/regular.py`) it prints the interpreter's path.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# what goes into the installed package (pyproject's package-dir mapping) and the build's own inputs
SOURCES = ("deploystate", "state", "server", "hooks", "platforms", "verify", "bin", "pyproject.toml")


def source_key(root: Path = ROOT) -> str:
    """sha256 over the installed sources' paths and bytes: a changed file means a reinstall."""
    h = hashlib.sha256()
    for name in SOURCES:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()
                                                     and "__pycache__" not in p.parts)
        for f in files:
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _run(argv: list[str]) -> None:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if res.returncode != 0:
        raise SystemExit(f"regular install failed: {' '.join(argv)}\n{res.stdout[-2000:]}{res.stderr[-2000:]}")


def python(root: Path = ROOT, venv: Path | None = None) -> str:
    """The interpreter of an up-to-date regular install of ``root`` (created or refreshed as needed)."""
    tag = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    venv = venv or Path(tempfile.gettempdir()) / f"deploystate-bench-{tag}"
    py = venv / "bin" / "python"
    stamp = venv / "deploystate-source-key"
    key = source_key(root)
    if py.exists() and stamp.exists() and stamp.read_text() == key:
        return str(py)
    env_note = "refreshing" if py.exists() else "creating"
    print(f"bench: {env_note} the regular install in {venv} (pip install {root})", file=sys.stderr)
    if not py.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(root)])
    else:
        _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
              "--force-reinstall", str(root)])
    site = subprocess.run([str(py), "-I", "-c", "import deploystate, os; print(os.path.dirname(deploystate.__file__))"],
                          capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    if "site-packages" not in site:
        raise SystemExit(f"regular install: deploystate imports from {site}, not from site-packages")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(py), "-m", "compileall", "-q", site], capture_output=True, timeout=300, env=env)
    stamp.write_text(key)
    return str(py)


if __name__ == "__main__":
    print(python())
