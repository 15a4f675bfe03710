// accel-place-hbm on a hand-made decode step (Inputs/decode-step.mlir):
// where the embedding table, the norm weight, the linears, the RoPE tables
// and the K/V caches go.
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4' --accel-place-hbm | FileCheck %s
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4' --accel-place-hbm='first-channel=30' | FileCheck %s --check-prefix=FIRST
// RUN: sed 's/"channels": {"value": 32,/"channels": {"value": 8,/' %accel_src/configs/u280.json > %t.c8.json
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4' --accel-place-hbm='config=%t.c8.json' | FileCheck %s --check-prefix=C8
// Placing again gives the same placement.
// RUN: accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4' --accel-place-hbm --accel-place-hbm | FileCheck %s
// K and V of 544 f32 (a 2,176-byte record, as LLaMA-2-7B's at 4 bits).
// RUN: sed 's/x16xf32/x544xf32/g; s/\[1, 16\]/[1, 544]/g; s/dense<1.000000e-02> : tensor<16x64xf32>/dense<1.000000e-02> : tensor<544x64xf32>/; s/tensor<16x64xf32> -> tensor<1x1x544xf32>/tensor<544x64xf32> -> tensor<1x1x544xf32>/; s/640x16xf32/640x544xf32/g' %S/Inputs/decode-step.mlir | accel-opt --accel-tile='prefill-tile=4' --accel-place-hbm | FileCheck %s --check-prefix=WIDE
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile --accel-place-hbm='first-channel=32' 2>&1 | FileCheck %s --check-prefix=BADFIRST
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-place-hbm 2>&1 | FileCheck %s --check-prefix=NOTILE
// Channels of 4 KiB cannot hold this model's weights and cache.
// RUN: sed 's/"channel_bytes": {"value": 268435456,/"channel_bytes": {"value": 4096,/' %accel_src/configs/u280.json > %t.small.json
// RUN: not accel-opt %S/Inputs/decode-step.mlir --accel-tile='prefill-tile=4' --accel-place-hbm='config=%t.small.json' 2>&1 | FileCheck %s --check-prefix=FULL

// Walking the ops: the table's rows of 256 bytes in 4 pieces of 64 on
// channels 0..3 (1,024 bytes each); the norm weight (256 bytes, loaded
// whole) striped the same way on channels 4..7; the q projection's 4 tiles
// from channel 8, at the first offset every channel has free (1,024); the
// RoPE tables (2,048 bytes each), cos then sin as the rope reads them, on
// channels 9 and 10 after it; K and V (8 slots of a 64-byte f32 record, too
// small to split, 4 records to a row of channels: record r on channel
// 11 + r mod 4 at (r div 4) · 64) on channels 11..14 and 15..18 of the kv
// region; the 40-tile LM head from channel 19 in two tile strides from
// 3,456 (past the RoPE tables); its bias (2,560 bytes) in 8 pieces of 320
// from channel 20 after it.
// CHECK: module attributes {accel.hbm_regions = {kv = 128 : i64, kv_records_per_row = 4 : i64, prefill_tile = 4 : i64, weights = 5824 : i64}, accel.prefill_tile = 4 : i64}
// CHECK: arith.constant {accel.hbm = #accel.hbm<channel = 10, offset = 1408, channels = 1, stride = 0>} dense<5.000000e-01> : tensor<32x16xf32>
// CHECK: arith.constant {accel.hbm = #accel.hbm<channel = 9, offset = 1408, channels = 1, stride = 0>} dense<2.500000e-01> : tensor<32x16xf32>
// CHECK: arith.constant {accel.hbm = #accel.hbm<channel = 0, offset = 0, channels = 4, stride = 64>} dense<6.250000e-02> : tensor<16x64xf32>
// CHECK: arith.constant {accel.hbm = #accel.hbm<channel = 4, offset = 0, channels = 4, stride = 64>} dense<1.000000e+00> : tensor<64xf32>
// CHECK: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 8, offset = 1024, channels = 32, stride = 384>
// CHECK: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 11, offset = 0, channels = 1, stride = 64>
// CHECK: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 15, offset = 0, channels = 1, stride = 64>
// CHECK: arith.constant {accel.hbm = #accel.hbm<channel = 20, offset = 5504, channels = 8, stride = 320>} dense<0.000000e+00> : tensor<640xf32>
// CHECK: accel.linear {{.*}} bias({{.*}}) {accel.hbm = #accel.hbm<channel = 19, offset = 3456, channels = 32, stride = 1024>

// first-channel=30: the table on channels 30, 31, 0, 1, then on from 2.
// FIRST: arith.constant {accel.hbm = #accel.hbm<channel = 30, offset = 0, channels = 4, stride = 64>} dense<6.250000e-02>
// FIRST: arith.constant {accel.hbm = #accel.hbm<channel = 2, offset = 0, channels = 4, stride = 64>} dense<1.000000e+00>
// FIRST: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 6, offset = 1024, channels = 32, stride = 384>

// 8 channels: the matrices rotate over 8, the caches wrap to channels 3..6
// and 7..2, the bias to 4..3, and the LM head's 40 tiles take 5 tile
// strides (3,456 + 5,120 = 8,576).
// C8: module attributes {accel.hbm_regions = {kv = 128 : i64, kv_records_per_row = 4 : i64, prefill_tile = 4 : i64, weights = 8896 : i64}, accel.prefill_tile = 4 : i64}
// C8: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 0, offset = 1024, channels = 8, stride = 384>
// C8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 3, offset = 0, channels = 1, stride = 64>
// C8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 7, offset = 0, channels = 1, stride = 64>
// C8: arith.constant {accel.hbm = #accel.hbm<channel = 4, offset = 8576, channels = 8, stride = 320>}
// C8: accel.linear {{.*}} bias({{.*}}) {accel.hbm = #accel.hbm<channel = 3, offset = 3456, channels = 8, stride = 1024>

// A 2,176-byte record (34 units) is padded to 40 units, 8 pieces of 320
// bytes, 4 records to a row of all 32 channels (1.25 units a channel; 48
// units on 16 channels, 2 to a row, would be 1.5; 64 on 32, 2): K's 2 rows
// from channel 11, V's after them on the same channels.
// WIDE: module attributes {accel.hbm_regions = {kv = 1280 : i64, kv_records_per_row = 4 : i64, prefill_tile = 4 : i64,
// WIDE: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 11, offset = 0, channels = 8, stride = 320>
// WIDE: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 11, offset = 640, channels = 8, stride = 320>

// BADFIRST: error: accel-place-hbm: first-channel must be in 0..31
// NOTILE: error: accel-place-hbm: the module has no accel.prefill_tile: run accel-tile first
// FULL: error: accel-place-hbm: the weights and KV cache need {{[0-9]+}} bytes in each HBM channel, the config's channels have 4096 (a smaller max-context, lower-bit weights or KV, or a config with more HBM)

