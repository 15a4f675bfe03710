#!/usr/bin/env bash
# Builds accel's libFuzzer targets (tools/fuzz) with clang-19, ASan and UBSan
# in their own build directory, and runs them (docs/RELIABILITY.md, "Fuzzing"):
#
#   utils/fuzz.sh [--time=SECONDS] [--build-only] [TARGET...]
#
# TARGET is onnx, sim, as or config (default: all four, run concurrently under
# `nice -n 19`), each for SECONDS (default 60). The corpus of each target
# grows in build-fuzz/corpus/TARGET across runs; seeds are made once from the
# repository's inputs by tools/fuzz/make-seeds.py, which needs a normal build
# ($ACCEL_BUILD_DIR, default build/) for accel-as and accelc. Crashers, hangs
# and OOMs go to build-fuzz/crashes/TARGET/, logs to build-fuzz/logs/; the
# exit status is non-zero if any target found something.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="${ACCEL_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"
TIME=60
BUILD_ONLY=0
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --time=*) TIME="${arg#--time=}" ;;
    --build-only) BUILD_ONLY=1 ;;
    onnx|sim|as|config) TARGETS+=("$arg") ;;
    *) echo "usage: utils/fuzz.sh [--time=SECONDS] [--build-only] [onnx|sim|as|config]..." >&2
       exit 2 ;;
  esac
done
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=(onnx sim as config)

# Per target: the largest input tried, and the libFuzzer options beyond it.
declare -A MAX_LEN=([onnx]=131072 [sim]=65536 [as]=8192 [config]=16384)
declare -A DICT=([as]=as.dict [config]=config.dict)

if [[ ! -f "$FUZZ/CMakeCache.txt" ]]; then
  # -O1 with line tables: fast enough to fuzz, readable stack traces.
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S "$ROOT" -B "$FUZZ" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    -DACCEL_ENABLE_FUZZERS=ON -DACCEL_SANITIZE=address,undefined \
    -DACCEL_ENABLE_PYTHON=OFF -DACCEL_ENABLE_UNITTESTS=OFF \
    || { echo "fuzz: configure failed (needs clang-19 and libclang-rt-19-dev)"; exit 1; }
fi
nice -n 10 ninja -C "$FUZZ" $(printf 'accel-%s-fuzzer ' "${TARGETS[@]}") \
  || { echo "fuzz: build failed"; exit 1; }
[[ $BUILD_ONLY -eq 1 ]] && exit 0

if [[ ! -d "$FUZZ/seeds" ]]; then
  /usr/bin/python3 "$ROOT/tools/fuzz/make-seeds.py" "$BUILD" "$FUZZ/seeds.tmp" \
    && mv "$FUZZ/seeds.tmp" "$FUZZ/seeds" \
    || { echo "fuzz: making the seeds failed (needs accel-as and accelc in $BUILD)"; exit 1; }
fi

# Debian's LLVM and MLIR libraries are not instrumented: LLVM's allocators,
# inlined into our instrumented code, poison memory that the libraries' own
# copies hand out unpoisoned, a false use-after-poison. Manual poisoning off.
export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p "$FUZZ/logs"
pids=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$FUZZ/corpus/$t" "$FUZZ/crashes/$t"
  opts=(-max_total_time="$TIME" -max_len="${MAX_LEN[$t]}" -timeout=10
        -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$FUZZ/crashes/$t/")
  [[ -n "${DICT[$t]:-}" ]] && opts+=(-dict="$FUZZ/seeds/${DICT[$t]}")
  echo "fuzz: $t for ${TIME}s, log $FUZZ/logs/$t.log"
  nice -n 19 "$FUZZ/bin/accel-$t-fuzzer" "${opts[@]}" \
    "$FUZZ/corpus/$t" "$FUZZ/seeds/$t" >"$FUZZ/logs/$t.log" 2>&1 &
  pids+=($!)
done

status=0
for i in "${!TARGETS[@]}"; do
  t="${TARGETS[$i]}"
  wait "${pids[$i]}"; rc=$?
  # libFuzzer's last status line: executions, coverage, corpus size.
  last=$(grep -E '^#[0-9]+' "$FUZZ/logs/$t.log" | tail -1)
  found=$(find "$FUZZ/crashes/$t" -type f | wc -l)
  echo "fuzz: $t: ${last:-no status line} (exit $rc; $found files in crashes/$t)"
  [[ $rc -ne 0 || $found -ne 0 ]] && status=1
done
exit $status
