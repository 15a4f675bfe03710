// accel-pack: the worked example of docs/FORMATS.md ("Worked example"): a
// 2x8 W2 group-4 asymmetric 2:4 weight and a 1x4 f16 weight, the IR
// annotations and the image byte for byte (zero padding included).
// RUN: rm -f %t.img %t.none
// RUN: accel-opt %s --accel-pack="output=%t.img" | FileCheck %s
// RUN: od -An -tx1 -v %t.img | FileCheck %s --check-prefix=BYTES
// The annotations survive a round trip through the printer and parser, and
// packing again reproduces the image.
// RUN: accel-opt %s --accel-pack="output=%t.img" | accel-opt --accel-pack="output=%t.again.img" | FileCheck %s
// RUN: cmp %t.img %t.again.img
// Without `output` only the IR is annotated.
// RUN: accel-opt %s --accel-pack | FileCheck %s
// RUN: not ls %t.none
// One row per tile: two tiles of four 64-byte tensors.
// RUN: accel-opt %s --accel-pack="rows-per-tile=1" | FileCheck %s --check-prefix=TILE
// One tile per matrix.
// RUN: accel-opt %s --accel-pack="rows-per-tile=0" | FileCheck %s --check-prefix=WHOLE

// CHECK: module attributes {accel.weight_image = {bytes = 512 : i64, crc32 = 957876260 : i64, linears = 2 : i64, version = 1 : i64}}
// CHECK: accel.linear {{.*}} {accel.image = {bytes = 256 : i64, codes = 128 : i64, index = 0 : i64, offset = 192 : i64, rows_per_tile = 16 : i64, scales = 0 : i64, tile_bytes = 256 : i64, tiles = 1 : i64, values = 192 : i64, zero_points = 64 : i64}, sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>}
// CHECK: accel.linear {{.*}} {accel.image = {bytes = 64 : i64, index = 1 : i64, offset = 448 : i64, rows_per_tile = 16 : i64, tile_bytes = 64 : i64, tiles = 1 : i64, values = 0 : i64}}

// TILE: module attributes {accel.weight_image = {bytes = 768 : i64,
// TILE: accel.image = {bytes = 512 : i64, codes = 128 : i64, index = 0 : i64, offset = 192 : i64, rows_per_tile = 1 : i64, scales = 0 : i64, tile_bytes = 256 : i64, tiles = 2 : i64, values = 192 : i64, zero_points = 64 : i64}
// TILE: accel.image = {bytes = 64 : i64, index = 1 : i64, offset = 704 : i64, rows_per_tile = 1 : i64, tile_bytes = 64 : i64, tiles = 1 : i64, values = 0 : i64}

// WHOLE: accel.image = {{{.*}}rows_per_tile = 2 : i64,{{.*}}tiles = 1 : i64
// WHOLE: accel.image = {{{.*}}rows_per_tile = 1 : i64,{{.*}}tiles = 1 : i64

// Header: magic "ACCELWIM", version 1, 2 matrices, 512 bytes, CRC-32.
// BYTES: 41 43 43 45 4c 57 49 4d 01 00 00 00 02 00 00 00
// BYTES-NEXT: 00 02 00 00 00 00 00 00 24 08 18 39 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Directory entry 0 (offset 64): region at 192, 256 bytes, 2 x 8, group 4,
// 16 rows per tile, format 0 (asymmetric integer), 2 bits, 2:4, 3-bit codes.
// BYTES-NEXT: c0 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00
// BYTES-NEXT: 02 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00
// BYTES-NEXT: 04 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00
// BYTES-NEXT: 00 02 02 04 03 00 00 00 00 00 00 00 00 00 00 00
// Directory entry 1 (offset 128): region at 448, 64 bytes, 1 x 4, no group,
// 16 rows per tile, format 3 (f16), 16 bits, dense.
// BYTES-NEXT: c0 01 00 00 00 00 00 00 40 00 00 00 00 00 00 00
// BYTES-NEXT: 01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00
// BYTES-NEXT: 03 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Matrix 0, tile 0 (offset 192): scales 2.334, 0.1666, 0.6665, 0.2666 (f16).
// BYTES-NEXT: ab 40 55 31 55 39 44 34 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Zero points (offset 256): 2, 0, 2, 0 at 2 bits.
// BYTES-NEXT: 22 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Pattern codes (offset 320): 5 ({2,3}), 0 ({0,1}), 0 ({0,1}), 2 ({0,3}) at 3 bits.
// BYTES-NEXT: 05 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Kept values (offset 384): 3 0 | 3 2 | 3 0 | 0 3 at 2 bits.
// BYTES-NEXT: b3 c3 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Matrix 1 (offset 448): 1.0, -2.0, 0.0, 0.5 as f16.
// BYTES-NEXT: 00 3c 00 c0 00 00 00 38 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00

func.func @example(%x: tensor<3x8xf32>, %h: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  // Stored q (signless i2 prints signed: -2 is 2, -1 is 3):
  //   row 0: 2 2 3 0 | 3 2 0 0   z = 2 | 0
  //   row 1: 3 0 2 2 | 0 0 0 3   z = 2 | 0
  %q = arith.constant dense<[[-2, -2, -1, 0, -1, -2, 0, 0], [-1, 0, -2, -2, 0, 0, 0, -1]]> : tensor<2x8xi2>
  %s = arith.constant dense<[[2.333980e+00, 1.666260e-01], [6.665040e-01, 2.666020e-01]]> : tensor<2x2xf16>
  %z = arith.constant dense<[[-2, 0], [-2, 0]]> : tensor<2x2xi2>
  %y = accel.linear %x, %q scales(%s : tensor<2x2xf16>) zero_points(%z : tensor<2x2xi2>) {sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<3x8xf32>, tensor<2x8xi2> -> tensor<3x2xf32>
  %w = arith.constant dense<[[1.0, -2.0, 0.0, 0.5]]> : tensor<1x4xf16>
  %l = accel.linear %h, %w : tensor<3x4xf32>, tensor<1x4xf16> -> tensor<3x1xf32>
  return %y, %l : tensor<3x2xf32>, tensor<3x1xf32>
}
