#!/usr/bin/env bash
# Sets accel up (utils/setup.sh), then runs every test suite: the lit
# regression tests, the GoogleTest unit tests (ctest) and the Python tests
# (pytest). Every suite runs even if an earlier one fails; the last line sums
# them up, and the exit status is non-zero if anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"
export ACCEL_BUILD_DIR="$BUILD"
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT

"$ROOT/utils/setup.sh" || { echo "test: setup or build failed"; exit 1; }

status=0
echo "=== lit (test/) ==="
/usr/bin/python3 "$LIT" -sv "$BUILD/test" 2>&1 | tee "$LOGS/lit" || status=1

echo "=== ctest (unittests/) ==="
ctest --test-dir "$BUILD" --output-on-failure 2>&1 | tee "$LOGS/ctest" || status=1

echo "=== pytest (test/python/) ==="
/usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/test/python" 2>&1 \
  | tee "$LOGS/pytest" || status=1

# Sum the three runners' counts into one closing line.
count() { grep -oE "$1" "$2" | grep -oE '[0-9]+' | tail -1; }
lit_pass=$(count 'Passed *: *[0-9]+' "$LOGS/lit"); lit_fail=$(count 'Failed *: *[0-9]+' "$LOGS/lit")
ct_total=$(count 'out of [0-9]+' "$LOGS/ctest"); ct_fail=$(count '[0-9]+ tests failed' "$LOGS/ctest")
py_pass=$(count '[0-9]+ passed' "$LOGS/pytest"); py_fail=$(count '[0-9]+ failed' "$LOGS/pytest")
py_err=$(count '[0-9]+ errors?' "$LOGS/pytest")
passed=$(( ${lit_pass:-0} + ${ct_total:-0} - ${ct_fail:-0} + ${py_pass:-0} ))
failed=$(( ${lit_fail:-0} + ${ct_fail:-0} + ${py_fail:-0} + ${py_err:-0} ))
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "accel: $passed passed, $failed failed"
exit $status
