// accel-lower-to-isa takes an attention's accel.attention_layout as the
// decision, whether or not accel-allocate-buffers would plan it, if it keeps
// the invariants the code generator relies on (AttentionLayout.h): else an
// error names the step, the first field that breaks one and why (a `rows`
// of 0 would never end a head loop, an offset past a buffer or areas that
// overlap would emit wrong code). The layout of a one-layer decoder with
// Λ(2, 5) (heads (2, 1), decode rows = 2), altered one field at a time;
// attention-layout-honoured.test runs valid hand-edited layouts.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers)' > %t.mlir
// RUN: accel-opt %t.mlir --pass-pipeline='builtin.module(accel-lower-to-isa)' | FileCheck %s --check-prefix=GOOD
// One head a vqk is valid, and so are values anywhere past the keys.
// RUN: sed -e 's/rows = 2 : i64/rows = 1 : i64/' -e 's/values = 448 : i64/values = 4194304 : i64/' %t.mlir | accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' | FileCheck %s --check-prefix=GOOD
// RUN: sed 's/rows = 2 : i64/rows = 0 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=ROWS
// A prefill query scores its sinks apart from its window: with both heads
// a vqk, each run's rows of scores go after the rows of scores (2 x 10
// keys; the prefill's `end` 2097408 holds both), with one they need no
// room.
// RUN: sed 's/end = 2097408/end = 2097280/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: sed 's/end = 2097408 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/end = 2097216 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 1/' %t.mlir | accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' | FileCheck %s --check-prefix=GOOD
// RUN: sed 's/chunk = 0 : i64, end = 2097216/chunk = 5 : i64, end = 2097216/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: sed 's/values = 448 : i64/values = 8388352 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=OFFSET
// RUN: sed 's/values = 448 : i64/values = 384 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: sed 's/keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/keys = 32 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=ALIGN
// RUN: sed 's/end = 2097216/end = 2097152/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=END
// RUN: sed 's/probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/probs = 2097216 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=PROBS
// RUN: sed 's/bank = 0 : i64, chunk = 0 : i64, end = 2097216 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/bank = 64 : i64, chunk = 0 : i64, end = 2097216 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: sed 's/segment = 0 : i64, tables = 0 : i64, tile = 1/segment = 32 : i64, tables = 0 : i64, tile = 1/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=NOTABLES
// RUN: sed 's/tile = 4 : i64/tile = 8 : i64/' %t.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=TILE
// Planned for the u280's 4 MiB scratch buffer, lowered for a 4 KiB one.
// RUN: sed '/"scr": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 128,/"value": 1,/ }' %accel_src/configs/u280.json > %t.scr4k.json
// RUN: not accel-opt %t.mlir --pass-pipeline='builtin.module(accel-lower-to-isa{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=CONFIG
// With rope-positions=cache the RoPE tables by rank (2 x 8 rows of 128
// bytes) go above `end`, whole or (`segment`) in segments of a multiple of
// the 32 channels whose scores fit below `end`.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=5 max-context=64 rope-positions=cache},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers)' > %t.rope.mlir
// RUN: sed 's/tables = 4192256 : i64, tile = 1/tables = 2097152 : i64, tile = 1/' %t.rope.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=TABLES
// RUN: sed 's/segment = 0 : i64, tables = 4192256 : i64, tile = 1/segment = 48 : i64, tables = 4192256 : i64, tile = 1/' %t.rope.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=SEGMENT
// RUN: sed 's/segment = 0 : i64, tables = 4192256 : i64, tile = 1/segment = 32 : i64, tables = 4192256 : i64, tile = 1/' %t.rope.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=SEGEND
// A streamed cache's tables (kv buffer of 4 KiB, Λ(2, 60)): 2 x 61 rows of
// 128 bytes (a decode chunk of 29 and the 32 channels), not the prefill's
// 2 x 58 rows.
// RUN: sed '/"kv": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 256,/"value": 1,/ }' %accel_src/configs/u280.json > %t.kv4k.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=60 max-context=64 rope-positions=cache},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json})' > %t.stream.mlir
// RUN: accel-opt %t.stream.mlir --pass-pipeline='builtin.module(accel-lower-to-isa{config=%t.kv4k.json})' | FileCheck %s --check-prefix=GOOD
// RUN: sed 's/tables = 4178688 : i64, tile = 1/tables = 4179456 : i64, tile = 1/' %t.stream.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa{config=%t.kv4k.json})' 2>&1 | FileCheck %s --check-prefix=RUNROWS
// The integer attention's bank 1 at 192 bytes from bank 0: its scores
// overlap bank 0's weight scales. A misspelled field is not ignored.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers)' > %t.int8.mlir
// RUN: accel-opt %t.int8.mlir --pass-pipeline='builtin.module(accel-lower-to-isa)' | FileCheck %s --check-prefix=MQK
// RUN: sed 's/bank = 256 : i64/bank = 192 : i64/' %t.int8.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=BANK
// RUN: sed 's/segment = 0 : i64, tables = 0 : i64, tile = 1/segmnet = 0 : i64, tables = 0 : i64, tile = 1/' %t.int8.mlir | not accel-opt --pass-pipeline='builtin.module(accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=FIELD
// accel-allocate-buffers: the scores of one head over Λ(2, 1000)'s 1002
// keys do not fit that scratch buffer's upper half (the whole cache fits
// the kv buffer).
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=1000},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr4k.json},accel-place-hbm{config=%t.scr4k.json},accel-allocate-buffers{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=SCORES
// Nor do the integer attention's operands with one head an instruction
// (its int8 query and scales, two banks of scores, probabilities and
// weights): the error counts their bytes.
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=1000},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr4k.json},accel-place-hbm{config=%t.scr4k.json},accel-allocate-buffers{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=INTSCORES

// GOOD: accelisa.vqk
// MQK: accelisa.mqk
// ROWS: error: accel.attention_layout of the decode step: 'rows' = 0: not a divisor of the 2 heads, at most 15
// SPLIT: error: accel.attention_layout of the prefill step: 'rows' = 2: the sinks' and window's staged scores (2 rows x 10 keys, fp32: 80 bytes at segmentScoresAt 2097280) are not within the scratch buffer's upper half up to 'end' (2097152 .. 2097280): a larger 'end' or fewer 'rows' fits them
// A chunk streams 5 records beside the sinks and the own: 8 keys' records.
// CHUNK: error: accel.attention_layout of the decode step: 'values' = 448: its 512 bytes overlap 'keys' (0 .. 512)
// OFFSET: error: accel.attention_layout of the decode step: 'values' = 8388352: its 448 bytes are not within the kv buffer (0 .. 8388608)
// OVERLAP: error: accel.attention_layout of the decode step: 'values' = 384: its 448 bytes overlap 'keys' (0 .. 448)
// ALIGN: error: accel.attention_layout of the decode step: 'keys' = 32: not a multiple of 64
// END: error: accel.attention_layout of the decode step: 'scores' = 2097152: its 56 bytes are not within the scratch buffer's upper half up to 'end' (2097152 .. 2097152)
// PROBS: error: accel.attention_layout of the decode step: 'probs' = 2097216: not 'scores' (2097152): the softmax is in place
// UNUSED: error: accel.attention_layout of the decode step: 'bank' = 64: not 0, though this attention does not use it
// NOTABLES: error: accel.attention_layout of the decode step: 'segment' = 32: not 0, though the attention has no RoPE tables by rank
// TILE: error: accel.attention_layout of the prefill step is for steps of 8 rows over KV records of 64 bytes, not 4 rows over 64: run accel-allocate-buffers after accel-tile and accel-place-hbm
// CONFIG: error: accel.attention_layout of the decode step: 'scores' = 2097152: more than the scratch buffer's 4096 bytes
// TABLES: error: accel.attention_layout of the decode step: 'tables' = 2097152: its 2048 bytes are not within the scratch buffer above 'end' (2097216 .. 4194304)
// SEGMENT: error: accel.attention_layout of the decode step: 'segment' = 48: not a multiple of the 32 HBM channels
// A segment's 2 x 32 scores do not fit below `end`.
// SEGEND: error: accel.attention_layout of the decode step: 'segment' = 32: its 256 bytes are not within the scratch buffer's upper half up to 'end' (2097152 .. 2097216)
// RUNROWS: error: accel.attention_layout of the decode step: 'tables' = 4179456: its 15616 bytes are not within the scratch buffer above 'end' (2097664 .. 4194304)
// BANK: error: accel.attention_layout of the decode step: 'scores' = 2097280: its 56 bytes overlap 'weight_scales' (2097472 .. 2097480)
// FIELD: error: 'accel.cache_attention' op accel.attention_layout of the decode step has an unknown field 'segmnet'
// SCORES: llama-layer.mlir:23:8: error: the scores of one head over 1002 keys (4032 bytes) do not fit the scratch buffer's upper half (2048 bytes)
// INTSCORES: llama-layer.mlir:23:8: error: the integer attention of 1 queries over 1002 keys (2 heads) needs 18432 bytes of the scratch buffer's upper half (2048)
