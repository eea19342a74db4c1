#!/usr/bin/env bash
# The test command: the README's second set-up command ends with it and .ci/run calls it.
# Runs pytest over the suite (or the pytest arguments given) under coverage, measured in every Python
# subprocess too (hooks, the CLI, the MCP server over stdio: `patch = ["subprocess"]` in pyproject.toml),
# and prints the coverage per room at the end. COVERAGE=0 runs plain pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || { echo "tools/test.sh: no .venv here: python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" >&2; exit 2; }

if [ "${COVERAGE:-1}" = "0" ]; then
  exec "$py" -m pytest -q -p no:cacheprovider "$@"
fi
# An absolute data file: subprocesses run in temporary repositories and must write here.
export COVERAGE_FILE="$PWD/.coverage"
rm -f .coverage .coverage.*
"$py" -m coverage run -m pytest -q -p no:cacheprovider "$@"
rc=$?
"$py" -m coverage combine -q >/dev/null 2>&1 || true
"$py" tools/coverage_summary.py || true
exit "$rc"
