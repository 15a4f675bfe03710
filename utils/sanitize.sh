#!/usr/bin/env bash
# Builds accel with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DACCEL_SANITIZE=address,undefined: every finding aborts) in its own build
# directory and runs the whole test suite under it: lit, ctest and pytest
# (docs/RELIABILITY.md, "Sanitizers"):
#
#   utils/sanitize.sh [--build-only]
#
# ACCEL_ASAN_BUILD_DIR names the build directory (default build-asan/),
# CXX the compiler (default g++). The pytest suite loads the instrumented
# Python module into the uninstrumented /usr/bin/python3, so the sanitizer
# runtimes are preloaded and leak checking is off there (CPython and torch
# keep their allocations until exit); the C++ tools run with leak checking.
# The exit status is non-zero if the build or any suite failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_ASAN_BUILD_DIR:-$ROOT/build-asan}"
CXX="${CXX:-g++}"
CC="${CC:-gcc}"
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py

if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  # -O1: sanitized code at -O3 takes much longer to compile for little gain.
  CC="$CC" CXX="$CXX" cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DACCEL_SANITIZE=address,undefined \
    || { echo "sanitize: configure failed"; exit 1; }
fi
nice -n 10 ninja -C "$BUILD" -j"${JOBS:-2}" \
  || { echo "sanitize: build failed"; exit 1; }
[[ "${1:-}" == "--build-only" ]] && exit 0

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Debian's LLVM and MLIR libraries are not instrumented: LLVM's allocators,
# inlined into our instrumented code, poison memory that the libraries' own
# copies hand out unpoisoned, a false use-after-poison. Manual poisoning off.
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1
export ACCEL_BUILD_DIR="$BUILD"
status=0
echo "=== lit (test/) under ASan+UBSan ==="
/usr/bin/python3 "$LIT" -sv "$BUILD/test" || status=1
echo "=== ctest (unittests/) under ASan+UBSan ==="
ctest --test-dir "$BUILD" --output-on-failure || status=1
echo "=== pytest (test/python/) under ASan+UBSan ==="
runtimes="$("$CXX" -print-file-name=libasan.so):$("$CXX" -print-file-name=libubsan.so)"
LD_PRELOAD="$runtimes" ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=0 \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/test/python" \
  || status=1
[[ $status -eq 0 ]] && echo "sanitize: every suite passed" \
  || echo "sanitize: failures above"
exit $status
