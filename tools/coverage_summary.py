"""Print line coverage per room (state, platforms, verify, server, hooks) and in total from .coverage.

Run by tools/test.sh after the suite; subprocesses are included (their data files are combined first).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("state", "platforms", "verify", "server", "hooks")


def main() -> int:
    data_file = ROOT / ".coverage"
    if not data_file.exists():
        print("coverage: no .coverage data (run tools/test.sh)")
        return 1
    cov = coverage.Coverage(data_file=str(data_file), config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    data = cov.get_data()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for file in data.measured_files():
        path = Path(file).resolve()
        try:
            room = path.relative_to(ROOT).parts[0]
        except ValueError:
            continue
        if room not in ROOMS:
            continue
        _, statements, _, missing, _ = cov.analysis2(file)
        totals[room][0] += len(statements)
        totals[room][1] += len(statements) - len(missing)
    # files no test imported at all count as 0% (they are not in the data)
    measured = {Path(f).resolve() for f in data.measured_files()}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            if path.resolve() not in measured:
                _, statements, _, _, _ = cov.analysis2(str(path))
                totals[room][0] += len(statements)
    print("coverage (lines, subprocesses included):")
    for room in ROOMS:
        n, hit = totals[room]
        print(f"  {room:<10} {100.0 * hit / n if n else 0:5.1f}%  ({hit}/{n})")
    n, hit = sum(t[0] for t in totals.values()), sum(t[1] for t in totals.values())
    print(f"  {'total':<10} {100.0 * hit / n if n else 0:5.1f}%  ({hit}/{n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
