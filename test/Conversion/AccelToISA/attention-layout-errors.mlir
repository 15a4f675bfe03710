// accel-lower-to-isa takes an attention's accel.attention_layout only if it
// is the one accel-allocate-buffers plans for the op, its cache and the
// config: the code generator relies on its counts and offsets (a `rows` of 0
// would never end a head loop, a chunk beside a window or an offset past a
// buffer would emit wrong code). The layout of a one-layer decoder with
// Λ(2, 5) (heads (2, 1), decode rows = 2), altered one field at a time.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers)' > %t.mlir
// RUN: accel-opt %t.mlir --pass-pipeline='builtin.module(accel-lower-to-isa)' | FileCheck %s --check-prefix=GOOD
// RUN: sed 's/rows = 2 : i64/rows = 0 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: sed 's/chunk = 0 : i64, end = 2097216/chunk = 5 : i64, end = 2097216/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: sed 's/values = 448 : i64/values = 4194304 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=OFFSET
// RUN: sed 's/tile = 4 : i64/tile = 8 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=TILE
// Planned for the u280's 4 MiB scratch buffer, lowered for a 4 KiB one.
// RUN: sed '/"scr": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 128,/"value": 1,/ }' %accel_src/configs/u280.json > %t.scr4k.json
// RUN: not accel-opt %t.mlir --pass-pipeline='builtin.module(accel-lower-to-isa{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=CONFIG
// accel-allocate-buffers: the scores of one head over Λ(2, 1000)'s 1002
// keys do not fit that scratch buffer's upper half (the whole cache fits
// the kv buffer).
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=1000},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr4k.json},accel-place-hbm{config=%t.scr4k.json},accel-allocate-buffers{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=SCORES

// GOOD: accelisa.vqk
// ROWS: error: accel.attention_layout of the decode step does not match the plan for this config: field 'rows' is 0, expected 2
// CHUNK: error: accel.attention_layout of the decode step does not match the plan for this config: field 'chunk' is 5, expected 0
// OFFSET: error: accel.attention_layout of the decode step does not match the plan for this config: field 'values' is 4194304, expected 448
// TILE: error: accel.attention_layout of the prefill step is for steps of 8 rows over KV records of 64 bytes, not 4 rows over 64: run accel-allocate-buffers after accel-tile and accel-place-hbm
// CONFIG: error: accel.attention_layout of the decode step does not match the plan for this config: field 'scores' is 2097152, expected 2048
// SCORES: llama-layer.mlir:23:8: error: the scores of one head over 1002 keys (4032 bytes) do not fit the scratch buffer's upper half (2048 bytes)
