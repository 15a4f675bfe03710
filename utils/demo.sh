#!/usr/bin/env bash
# The main job, as far as it goes today: set accel up, export a LLaMA-style
# decoder with torch.onnx, compile it the AccLLM way with accelc (import,
# raise to accel ops, prune 2:4, quantize W2A8KV4, Λ attention, pack, lower
# to the engine's instructions) into a package, printing the compression
# report and the code size, then run the package on the simulated engine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"

LOG="$(mktemp -t accel-setup.XXXXXX.log)"
"$ROOT/utils/setup.sh" > "$LOG" 2>&1 || { cat "$LOG"; echo "demo: setup failed"; exit 1; }
echo "demo: setup and build done (log: $LOG)"

OUT="$BUILD/demo"
mkdir -p "$OUT"
/usr/bin/python3 -W ignore "$ROOT/examples/export_decoder.py" "$OUT/decoder.onnx"

echo "demo: accelc $OUT/decoder.onnx --dim batch=1,sequence=16 --prune=2:4 --quant=w2a8kv4 --lambda=4,1020 -o $OUT/decoder.accel"
"$BUILD/bin/accelc" "$OUT/decoder.onnx" --dim batch=1,sequence=16 \
  --prune=2:4 --quant=w2a8kv4 --lambda=4,1020 --report=- -o "$OUT/decoder.accel"
echo "demo: accel-sim $OUT/decoder.accel --prompt-ids=1,2,3,4,5 --max-new-tokens=16"
"$BUILD/bin/accel-sim" "$OUT/decoder.accel" --prompt-ids=1,2,3,4,5 \
  --max-new-tokens=16
