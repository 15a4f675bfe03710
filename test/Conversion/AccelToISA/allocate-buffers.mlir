// accel-allocate-buffers on the decode step of a one-layer LLaMA-style
// decoder (Inputs/llama-layer.mlir, compressed W2A8KV4 and packed): the act
// buffer homes of the decode step (one row) and of the prefill step (4
// rows), as accel-fuse's fusions leave them, and the prm buffer places of
// the parameters.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack)' -o %t.packed.mlir
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-allocate-buffers)' | FileCheck %s
// The homes print and parse back as they were; a second run gives the same.
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-allocate-buffers,accel-allocate-buffers)' | accel-opt | FileCheck %s
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{epilogue=false},accel-tile{prefill-tile=4},accel-allocate-buffers)' | FileCheck %s --check-prefix=NOEPILOGUE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{quantize=false},accel-tile{prefill-tile=4},accel-allocate-buffers)' | FileCheck %s --check-prefix=NOQUANTIZE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{rope=true},accel-tile{prefill-tile=4},accel-allocate-buffers)' | FileCheck %s --check-prefix=ROPE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4 output-tail=false},accel-allocate-buffers)' | FileCheck %s --check-prefix=NOTAIL
// An act buffer of one URAM (32 KiB) holds the step of 4 rows, not of 32.
// RUN: sed '/"act": {/,/"blocks"/ s/"value": 256,/"value": 1,/' %accel_src/configs/u280.json > %t.act1.json
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-allocate-buffers{config=%t.act1.json})' | FileCheck %s --check-prefix=FITS
// RUN: not accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=32},accel-allocate-buffers{config=%t.act1.json})' 2>&1 | FileCheck %s --check-prefix=FULL
// RUN: not accel-opt %t.packed.mlir --accel-allocate-buffers 2>&1 | FileCheck %s --check-prefix=NOTILE
// The integer attention's layout: the tile's int8 queries and scales, then
// two banks of scores, probabilities, weights and weight scales.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-allocate-buffers)' | FileCheck %s --check-prefix=INT8
// Without Λ and with a 4 KiB kv buffer, the cache streams: a chunk of 31
// (decode) or 28 (prefill) records of 64 bytes beside the step's own.
// RUN: sed '/"kv": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 256,/"value": 1,/ }' %accel_src/configs/u280.json > %t.kv4k.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json})' | FileCheck %s --check-prefix=STREAM
// A prm buffer of one BRAM (4 KiB) holds the RoPE rows (128 bytes) of a
// step of 32 positions, not of 33.
// RUN: sed '/"prm": {/,/"blocks"/ {s/"value": "uram"/"value": "bram"/; s/"value": 32,/"value": 1,/}' %accel_src/configs/u280.json > %t.prm1.json
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=32},accel-allocate-buffers{config=%t.prm1.json})' -o /dev/null
// RUN: not accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=33},accel-allocate-buffers{config=%t.prm1.json})' 2>&1 | FileCheck %s --check-prefix=PRM
// The lowering reads the homes: it needs them, for its tile.
// RUN: not accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=NOHOMES
// RUN: not accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-tile{prefill-tile=2},accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=ROWS

// The most each step uses: 1,920 bytes for one row, 4,416 for four (the
// output tail, from the FFN's norm on, has one row).
// CHECK: module attributes {accel.act_bytes = {decode = 1920 : i64, prefill = 4416 : i64}
// CHECK-LABEL: func.func @main_graph_decode(
// The embedding's rows (256 bytes each) at 0, the norm's after them.
// CHECK: accel.embedding {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 0>, prefill = #accel.homes<rows = 4, result = 0>}
// CHECK: accel.rmsnorm {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 256>, prefill = #accel.homes<rows = 4, result = 1024>}, accel.prm = {decode = array<i64: 0>, prefill = array<i64: 0>}
// q quantizes the norm's output for k and v too: the int8 form (64 bytes a
// row) and its scale (4), then q's rows.
// CHECK: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 640, quantized = 512, scales = 576>, prefill = #accel.homes<rows = 4, result = 2368, quantized = 2048, scales = 2304>}
// CHECK: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 896>, prefill = #accel.homes<rows = 4, result = 3392>}
// CHECK: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 1024>, prefill = #accel.homes<rows = 4, result = 3904>}
// The norm's output and its int8 form die with v: RoPE of q takes their
// place.
// In the prm buffer (a ring), after the norm's weight (256 bytes), each
// RoPE's cos and sin rows of the step's positions (128 bytes a row).
// CHECK: accel.rope {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 256>, prefill = #accel.homes<rows = 4, result = 1024>}, accel.prm = {decode = array<i64: 256, 384>, prefill = array<i64: 256, 768>}
// CHECK: accel.rope {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 512>, prefill = #accel.homes<rows = 4, result = 2048>}, accel.prm = {decode = array<i64: 512, 640>, prefill = array<i64: 1280, 1792>}
// CHECK: accel.cache_attention {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 640>, prefill = #accel.homes<rows = 4, result = 2560>}
// Its layout in the kv and scratch buffers (AttentionLayout.h): keys from
// 0, values after the 7 (decode) or 10 (prefill) records a step reads;
// scores (the probabilities in place) from the scratch buffer's middle, of
// both heads at once (a prefill query's sinks scored apart, each run's
// scores of both heads first after them: `end` past both areas); records
// unpadded (no accel-place-hbm yet).
// CHECK-SAME: accel.attention_layout = {decode = {bank = 0 : i64, chunk = 0 : i64, end = 2097216 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097152 : i64, segment = 0 : i64, tables = 0 : i64, tile = 1 : i64, values = 448 : i64, weight_scales = 0 : i64, weights = 0 : i64}, prefill = {bank = 0 : i64, chunk = 0 : i64, end = 2097408 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097152 : i64, segment = 0 : i64, tables = 0 : i64, tile = 4 : i64, values = 640 : i64, weight_scales = 0 : i64, weights = 0 : i64}}
// The rows of k and v the cache writes took (decode 512 and 1,024) die with
// the attention: the output projection's quantized input and output take
// their places.
// CHECK: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 384, quantized = 256, scales = 320>, prefill = #accel.homes<rows = 4, result = 1344, quantized = 1024, scales = 1280>}
// The gate's SiLU is in its epilogue: the gated activation needs no
// temporary. It is in the output tail: one row in the prefill step too.
// CHECK: accel.activation silu {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 0>, prefill = #accel.homes<rows = 1, result = 1408>}, accel.last_row

// The unfused SiLU activates the gate into a temporary (decode 0), the
// product goes after the rest: 512 more bytes at the decode step's peak.
// NOEPILOGUE: module attributes {accel.act_bytes = {decode = 2432 : i64, prefill = 4416 : i64}
// NOEPILOGUE: accel.activation silu {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 1920, temp = 0>, prefill = #accel.homes<rows = 1, result = 3392, temp = 1408>}

// k and v quantize the norm's output again, each into q's temporary place.
// NOQUANTIZE: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 640, quantized = 512, scales = 576>,
// NOQUANTIZE: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 896, quantized = 512, scales = 576>,
// NOQUANTIZE: accel.linear {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 1024, quantized = 512, scales = 576>,

// RoPE in place: q's and k's rotated rows keep the projections' homes.
// ROPE: accel.rope {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 640>, prefill = #accel.homes<rows = 4, result = 2368>}
// ROPE: accel.rope {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 896>, prefill = #accel.homes<rows = 4, result = 3392>}

// Without the output tail, every value of the prefill step has 4 rows.
// NOTAIL: module attributes {accel.act_bytes = {decode = 1920 : i64, prefill = 7488 : i64}
// NOTAIL: accel.activation silu {{.*}}accel.act = {decode = #accel.homes<rows = 1, result = 0>, prefill = #accel.homes<rows = 4, result = 0>}

// FITS: module attributes {accel.act_bytes = {decode = 1920 : i64, prefill = 4416 : i64}
// FULL: error: accel-allocate-buffers: the live values of the prefill step of 32 rows do not fit the act buffer (32768 bytes); lower the prefill tile
// NOTILE: error: accel-allocate-buffers: the module has no accel.prefill_tile: run accel-tile first
// PRM: error: accel-allocate-buffers: 4224 bytes of parameters do not fit the prm buffer (4096 bytes)
// NOHOMES: error: no act-buffer homes (accel.act) for the decode step: run accel-allocate-buffers before accel-lower-to-isa
// ROWS: error: accel-allocate-buffers allocated the prefill step for 4 rows, not 2 (run it after accel-tile)

// INT8: accel.attention_layout = {decode = {bank = 256 : i64, chunk = 0 : i64, end = 2097792 : i64, keys = 0 : i64, probs = 2097344 : i64, queries = 2097152 : i64, query_scales = 2097216 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097280 : i64, segment = 0 : i64, tables = 0 : i64, tile = 1 : i64, values = 448 : i64, weight_scales = 2097472 : i64, weights = 2097408 : i64}, prefill = {bank = 384 : i64, chunk = 0 : i64, end = 2098240 : i64, keys = 0 : i64, probs = 2097600 : i64, queries = 2097152 : i64, query_scales = 2097408 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097472 : i64, segment = 0 : i64, tables = 0 : i64, tile = 4 : i64, values = 640 : i64, weight_scales = 2097792 : i64, weights = 2097728 : i64}}
// STREAM: accel.attention_layout = {decode = {bank = 0 : i64, chunk = 31 : i64, end = 2097728 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097152 : i64, segment = 0 : i64, tables = 0 : i64, tile = 1 : i64, values = 2048 : i64, weight_scales = 0 : i64, weights = 0 : i64}, prefill = {bank = 0 : i64, chunk = 28 : i64, end = 2097728 : i64, keys = 0 : i64, probs = 2097152 : i64, queries = 0 : i64, query_scales = 0 : i64, record = 64 : i64, rows = 2 : i64, scores = 2097152 : i64, segment = 0 : i64, tables = 0 : i64, tile = 4 : i64, values = 2048 : i64, weight_scales = 0 : i64, weights = 0 : i64}}
