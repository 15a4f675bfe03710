#!/usr/bin/env bash
# The main job, as far as the compiler goes today: set accel up, then take the
# bundled decoder layer (examples/decoder_layer.mlir: a LLaMA-style layer
# compressed with 2:4 sparsity, W2A8KV4 and Λ attention) through accel-opt,
# print the canonical IR and the compression report.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"

LOG="$(mktemp -t accel-setup.XXXXXX.log)"
"$ROOT/utils/setup.sh" > "$LOG" 2>&1 || { cat "$LOG"; echo "demo: setup failed"; exit 1; }
echo "demo: setup and build done (log: $LOG)"

"$BUILD/bin/accel-opt" "$ROOT/examples/decoder_layer.mlir" \
  --canonicalize --accel-compression-report
