// accel-tile on a hand-made decode step (Inputs/decode-step.mlir: a q
// projection of 4 tiles of 384 bytes, an LM head of 40 tiles of 1,024).
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile | FileCheck %s
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4 load-tiles=8' | FileCheck %s --check-prefix=FORCED
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='output-tail=false' | FileCheck %s --check-prefix=NOTAIL
// A second run replaces the first's tail.
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile --accel-tile='output-tail=false' | FileCheck %s --check-prefix=NOTAIL
// A weight buffer of one URAM (32 KiB: groups of up to a third, 10,880
// bytes).
// RUN: sed '/"wgt": {/,/"blocks"/ s/"value": 256,/"value": 1,/' %accel_src/configs/u280.json > %t.wgt1.json
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.wgt1.json' | FileCheck %s --check-prefix=SMALL
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.wgt1.json load-tiles=64' 2>&1 | FileCheck %s --check-prefix=NOFIT
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='load-tiles=6' 2>&1 | FileCheck %s --check-prefix=NOTPOW2
// A ring of four equal slots forced: of 8 KiB in the one-URAM buffer.
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.wgt1.json weight-slots=4' | FileCheck %s --check-prefix=SLOTS4
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.wgt1.json weight-slots=4 load-tiles=16' 2>&1 | FileCheck %s --check-prefix=SLOTFIT
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='weight-slots=1' 2>&1 | FileCheck %s --check-prefix=SLOTRANGE
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='weight-slots=9' 2>&1 | FileCheck %s --check-prefix=SLOTRANGE
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=0' 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=256' 2>&1 | FileCheck %s --check-prefix=RANGE
// A kv buffer of one URAM (32 KiB): the window streams through it, so a
// step needs its 2 sinks, one streamed record and the tile's own, 64 bytes
// each, keys and values: they fit for a tile of 253 (32,768 bytes), not of
// 254.
// RUN: sed '/"kv": {/,/"blocks"/ s/"value": 256,/"value": 1,/' %accel_src/configs/u280.json > %t.kv1.json
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.kv1.json prefill-tile=253' | FileCheck %s --check-prefix=KV
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='config=%t.kv1.json prefill-tile=254' 2>&1 | FileCheck %s --check-prefix=KVFULL
// A tile larger than a third of the weight buffer.
// RUN: sed 's/tile_bytes = 1024 : i64/tile_bytes = 20480 : i64/' %S/Inputs/decode-step.mlir | not accel-opt --accel-tile='config=%t.wgt1.json' 2>&1 | FileCheck %s --check-prefix=TILEBIG

// The U280's weight buffer (8 MiB) is a ring by bytes: each linear takes
// the largest group (128 tiles of 1,024 bytes) within a third of the
// buffer, 4 tiles from each of the 32 channels at a time, and its groups
// go back to back (the q projection's 4 tiles of 384 bytes at 0, the LM
// head's 40 tiles right after them). The LM head is the output tail: the
// prefill runs it on the prompt's last row alone (it reads the
// attention's output, which nothing else reads).
// CHECK: module attributes {accel.prefill_tile = 16 : i64}
// CHECK: accel.linear {{.*}}accel.load_tiles = 128 : i64, accel.weight_offsets = array<i64: 0>}
// CHECK-NOT: accel.last_row
// CHECK: accel.linear {{.*}}bias({{.*}}) {accel.image = {{.*}}, accel.last_row, accel.load_tiles = 128 : i64, accel.weight_offsets = array<i64: 1536>}

// NOTAIL-NOT: accel.last_row

// FORCED: module attributes {accel.prefill_tile = 4 : i64}
// FORCED: accel.linear {{.*}}accel.load_tiles = 8 : i64, accel.weight_offsets = array<i64: 0>}
// FORCED: accel.linear {{.*}}accel.load_tiles = 8 : i64, accel.weight_offsets = array<i64: 1536, 9728, 17920, 26112, 34304>}

// In 32 KiB: groups of 16 tiles of 384 bytes, 8 of 1,024. The LM head's
// fourth group (8,192 bytes from 26,112) would pass the buffer's end: it
// goes to 0, where the q projection's tiles were, and the fifth follows it.
// SMALL: module attributes {accel.prefill_tile = 16 : i64}
// SMALL: accel.linear {{.*}}accel.load_tiles = 16 : i64, accel.weight_offsets = array<i64: 0>}
// SMALL: accel.linear {{.*}}accel.load_tiles = 8 : i64, accel.weight_offsets = array<i64: 1536, 9728, 17920, 0, 8192>}

// Four slots of 8 KiB, taken in turn from the first: the LM head's five
// groups in slots 1, 2, 3, 0 and 1 again.
// SLOTS4: module attributes {accel.prefill_tile = 16 : i64}
// SLOTS4: accel.linear {{.*}}accel.load_tiles = 16 : i64, accel.weight_offsets = array<i64: 0>}
// SLOTS4: accel.linear {{.*}}accel.load_tiles = 8 : i64, accel.weight_offsets = array<i64: 8192, 16384, 24576, 0, 8192>}
// SLOTFIT: error: accel-tile: load-tiles=16: 16 tiles of 1024 bytes exceed a weight buffer slot (8192 bytes)
// SLOTRANGE: error: accel-tile: weight-slots must be 0 (a ring by bytes) or in 2..8
// NOFIT: error: accel-tile: load-tiles=64: 64 tiles of 384 bytes exceed a third of the weight buffer (10880 bytes)
// NOTPOW2: error: accel-tile: load-tiles must be 0 or a power of two
// RANGE: error: accel-tile: `prefill-tile` must be in 1..255
// KV: module attributes {accel.prefill_tile = 253 : i64}
// KVFULL: error: accel-tile: the 257 KV records a step of 254 rows reads (64 bytes each, keys and values) do not fit the kv buffer (32768 bytes); lower `prefill-tile`
// TILEBIG: error: a weight tile of 20480 bytes exceeds a third of the weight buffer (10880 bytes); pack with fewer rows per tile
