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
// Two layers (this file's module), a linear between their caches.
// RUN: accel-opt %s --accel-tile='prefill-tile=4' --accel-place-hbm | FileCheck %s --check-prefix=LAYERS
// RUN: accel-opt %s --accel-tile='prefill-tile=4' --accel-place-hbm='config=%t.c8.json' | FileCheck %s --check-prefix=LAYERS8
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


// Two layers: the caches rotate among themselves from the first cache's
// channel by the channels each takes (4: 4 records of 64 bytes to a row),
// whatever lies between them; the weights' c0 steps past them. Layer 0's
// K on channels 5..8 and V on 9..12 (after the table's 0..3 and wq's 4);
// wo at 13; layer 1's K at 5 + 8 = 13 (not 14, where c0 is), V at 17; the
// LM head at 13 + 1 + 8 = 22.
// LAYERS: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 5, offset = 0, channels = 1, stride = 64>
// LAYERS: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 9, offset = 0, channels = 1, stride = 64>
// LAYERS: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 13, offset = 1408, channels = 32, stride = 384>
// LAYERS: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 13, offset = 0, channels = 1, stride = 64>
// LAYERS: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 17, offset = 0, channels = 1, stride = 64>
// LAYERS: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 22, offset = 1792, channels = 32, stride = 1024>

// 8 channels: a layer's K and V take all 8, so layer 1's caches sit on
// layer 0's channels (5 and 1), one row of channels further on.
// LAYERS8: accel.hbm_regions = {kv = 256 : i64,
// LAYERS8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 5, offset = 0, channels = 1, stride = 64>
// LAYERS8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 1, offset = 0, channels = 1, stride = 64>
// LAYERS8: accel.linear {{.*}} {accel.hbm = #accel.hbm<channel = 5, offset = 1408, channels = 8, stride = 384>
// LAYERS8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 5, offset = 128, channels = 1, stride = 64>
// LAYERS8: accel.kv_cache_write {{.*}} {accel.hbm = #accel.hbm<channel = 1, offset = 128, channels = 1, stride = 64>

// The two-layer decode step the LAYERS checks place.
module {
  func.func @decode(%ids: tensor<1x1xi64>, %position: tensor<i64> {onnx.name = "position"}, %kc: tensor<1x8x16xf32>, %vc: tensor<1x8x16xf32>, %kc2: tensor<1x8x16xf32>, %vc2: tensor<1x8x16xf32>) -> tensor<1x1x640xf32> attributes {accel.entry = "decode"} {
    %p = tensor.extract %position[] : tensor<i64>
    %at = arith.index_cast %p : i64 to index
    %table = arith.constant dense<6.250000e-02> : tensor<16x64xf32>
    %x = accel.embedding %ids, %table : tensor<1x1xi64>, tensor<16x64xf32> -> tensor<1x1x64xf32>
    %wq = arith.constant dense<1.000000e-02> : tensor<16x64xf32>
    %q = accel.linear %x, %wq {accel.image = {bytes = 1536 : i64, offset = 0 : i64, rows_per_tile = 4 : i64, tile_bytes = 384 : i64, tiles = 4 : i64}} : tensor<1x1x64xf32>, tensor<16x64xf32> -> tensor<1x1x16xf32>
    %k = accel.kv_cache_write %kc, %q at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %v = accel.kv_cache_write %vc, %q at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %a = accel.cache_attention %q, %k, %v at %at heads(1, 1) {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x1x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32> -> tensor<1x1x16xf32>
    %wo = arith.constant dense<3.000000e-02> : tensor<16x16xf32>
    %o = accel.linear %a, %wo {accel.image = {bytes = 1536 : i64, offset = 1536 : i64, rows_per_tile = 4 : i64, tile_bytes = 384 : i64, tiles = 4 : i64}} : tensor<1x1x16xf32>, tensor<16x16xf32> -> tensor<1x1x16xf32>
    %k2 = accel.kv_cache_write %kc2, %o at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %v2 = accel.kv_cache_write %vc2, %o at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %a2 = accel.cache_attention %o, %k2, %v2 at %at heads(1, 1) {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x1x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32> -> tensor<1x1x16xf32>
    %wh = arith.constant dense<2.000000e-02> : tensor<640x16xf32>
    %logits = accel.linear %a2, %wh {accel.image = {bytes = 40960 : i64, offset = 3072 : i64, rows_per_tile = 16 : i64, tile_bytes = 1024 : i64, tiles = 40 : i64}} : tensor<1x1x16xf32>, tensor<640x16xf32> -> tensor<1x1x640xf32>
    return %logits : tensor<1x1x640xf32>
  }
}
