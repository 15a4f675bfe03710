#!/usr/bin/env bash
# The main job: set accel up, compile the bundled trained model
# (examples/tiny_llama, a byte-level LLaMA-style decoder) the AccLLM way with
# accelc (import, raise to accel ops, prune 2:4, quantize W2A8KV4, Λ
# attention, pack, lower to the engine's instructions) into a package that
# carries its tokenizer, printing the compression report and the code size,
# then run it on the simulated engine: text in, text out, and the
# performance report. Last, the same at W4A8KV4 to show what 2-bit weights
# and 2:4 pruning cost.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"

LOG="$(mktemp -t accel-setup.XXXXXX.log)"
"$ROOT/utils/setup.sh" > "$LOG" 2>&1 || { cat "$LOG"; echo "demo: setup failed"; exit 1; }
echo "demo: setup and build done (log: $LOG)"

OUT="$BUILD/demo"
mkdir -p "$OUT"
MODEL="$ROOT/examples/tiny_llama"
PROMPT="You may "

echo "demo: accelc examples/tiny_llama/model.onnx --dim batch=1,sequence=64 --prune=2:4 --quant=w2a8kv4 --lambda=4,1020 --tokenizer=examples/tiny_llama/tokenizer.json -o $OUT/tiny_llama.accel"
"$BUILD/bin/accelc" "$MODEL/model.onnx" --dim batch=1,sequence=64 \
  --prune=2:4 --quant=w2a8kv4 --lambda=4,1020 \
  --tokenizer="$MODEL/tokenizer.json" --report=- -o "$OUT/tiny_llama.accel"
echo "demo: accel-sim $OUT/tiny_llama.accel --prompt=\"$PROMPT\" --max-new-tokens=64"
"$BUILD/bin/accel-sim" "$OUT/tiny_llama.accel" --prompt="$PROMPT" \
  --max-new-tokens=64

echo "demo: the same model at W4A8KV4 (no pruning), for comparison:"
"$BUILD/bin/accelc" "$MODEL/model.onnx" --dim batch=1,sequence=64 \
  --quant=w4a8kv4 --lambda=4,1020 --tokenizer="$MODEL/tokenizer.json" \
  -o "$OUT/tiny_llama_w4.accel"
"$BUILD/bin/accel-sim" "$OUT/tiny_llama_w4.accel" --prompt="$PROMPT" \
  --max-new-tokens=64 --no-summary | grep '^text:'
