#!/usr/bin/env bash
# Run the test suite (or the pytest arguments given) with four CPU-bound processes beside it, the way a
# loaded 2-core CI machine runs it: a test that hinges on a few seconds of wall clock fails here.
#   tools/test_under_load.sh                       # the whole suite
#   tools/test_under_load.sh tests/verify -k aws   # some of it
# LOAD=<n> changes the number of busy processes (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
load=${LOAD:-4}
# As in .ci/run: a missing part fails rather than skips (tests/fixtures/parts.py reads CI).
export CI=true

pids=()
stop_load() {
  # Only the busy loops this script started, by their own pids.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT INT TERM

for _ in $(seq "$load"); do
  "$python" -c 'while True: pass' &
  pids+=("$!")
done
echo "load: $load busy processes (${pids[*]}) on $(nproc) core(s)" >&2

start=$(date +%s)
set +e
"$python" -m pytest -q -p no:cacheprovider -ra "$@"
rc=$?
set -e
echo "load: pytest exited $rc after $(( $(date +%s) - start ))s under $load busy processes" >&2
exit "$rc"
