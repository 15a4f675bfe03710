// accel-pack: value packing of every kind (docs/FORMATS.md §4): 3-bit
// fields that straddle bytes, 4-bit symmetric two's complement nibbles,
// 8-bit 1:8 sparse values with their codes and a group whose only kept
// weight quantized to the zero point, and a transposed f32 weight packed in
// [N, K] order. Offsets: 64-byte header, 4 directory entries, regions at
// 320, 512, 640, 896.
// RUN: accel-opt %s --accel-pack="output=%t.img" | FileCheck %s
// RUN: od -Ad -tx1 %t.img | FileCheck %s --check-prefix=BYTES

// CHECK: accel.weight_image = {bytes = 960 : i64, {{.*}}linears = 4 : i64
// CHECK: accel.image = {bytes = 192 : i64, index = 0 : i64, offset = 320 : i64, rows_per_tile = 16 : i64, scales = 0 : i64, tile_bytes = 192 : i64, tiles = 1 : i64, values = 128 : i64, zero_points = 64 : i64}
// CHECK: accel.image = {bytes = 128 : i64, index = 1 : i64, offset = 512 : i64, rows_per_tile = 16 : i64, scales = 0 : i64, tile_bytes = 128 : i64, tiles = 1 : i64, values = 64 : i64}
// CHECK: accel.image = {bytes = 256 : i64, codes = 128 : i64, index = 2 : i64, offset = 640 : i64, rows_per_tile = 16 : i64, scales = 0 : i64, tile_bytes = 256 : i64, tiles = 1 : i64, values = 192 : i64, zero_points = 64 : i64}
// CHECK: accel.image = {bytes = 64 : i64, index = 3 : i64, offset = 896 : i64, rows_per_tile = 16 : i64, tile_bytes = 64 : i64, tiles = 1 : i64, values = 0 : i64}

// Directory entry 1 (offset 128): 1 x 8, group 4, format 1 (symmetric), 4 bits.
// BYTES: 0000128 00 02 00 00 00 00 00 00 80 00 00 00 00 00 00 00
// BYTES-NEXT: 0000144 01 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00
// BYTES-NEXT: 0000160 04 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00
// BYTES-NEXT: 0000176 01 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// Directory entry 2 (offset 192): format 0, 8 bits, 1:8, 3-bit codes.
// BYTES: 0000240 00 08 01 08 03 00 00 00 00 00 00 00 00 00 00 00
// Directory entry 3 (offset 256): format 2 (f32), 32 bits.
// BYTES: 0000304 02 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// 3-bit asymmetric, per channel: scale 1.0, zero point 3, values 0..7 as the
// stream 000 100 010 110 001 101 011 111 (LSB first) = 88 c6 fa.
// BYTES: 0000320 00 3c 00 00
// BYTES: 0000384 03 00 00 00
// BYTES: 0000448 88 c6 fa 00
// 4-bit symmetric: scales 0.5, 2.0; values -7 7 -1 1 0 3 -3 5, low nibble
// first: 79 1f 30 5d.
// BYTES: 0000512 00 38 00 40 00 00
// BYTES: 0000576 79 1f 30 5d 00 00
// 8-bit asymmetric 1:8: zero point 10; group 0 keeps k = 5 (200), group 1
// holds only zero points and keeps its lowest position: codes 5, 0 at 3 bits
// = 05; values c8 0a.
// BYTES: 0000640 00 3c 00 00
// BYTES: 0000704 0a 00 00 00
// BYTES: 0000768 05 00 00 00
// BYTES: 0000832 c8 0a 00 00
// Transposed f32 [K = 4, N = 2]: row 0 is 1 3 5 7, row 1 is 2 4 6 8.
// BYTES: 0000896 00 00 80 3f 00 00 40 40 00 00 a0 40 00 00 e0 40
// BYTES-NEXT: 0000912 00 00 00 40 00 00 80 40 00 00 c0 40 00 00 00 41
// BYTES-NEXT: 0000928 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
// BYTES-NEXT: *
// BYTES-NEXT: 0000960

func.func @layouts(%x: tensor<1x8xf32>, %x16: tensor<1x16xf32>, %x4: tensor<1x4xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x2xf32>) {
  %q3 = arith.constant dense<[[0, 1, 2, 3, -4, -3, -2, -1]]> : tensor<1x8xi3>
  %s3 = arith.constant dense<1.0> : tensor<1x1xf16>
  %z3 = arith.constant dense<3> : tensor<1x1xi3>
  %a = accel.linear %x, %q3 scales(%s3 : tensor<1x1xf16>) zero_points(%z3 : tensor<1x1xi3>) {weight_quant = #accel.quant<bits = 3, per_channel, asymmetric>} : tensor<1x8xf32>, tensor<1x8xi3> -> tensor<1x1xf32>

  %q4 = arith.constant dense<[[-7, 7, -1, 1, 0, 3, -3, 5]]> : tensor<1x8xi4>
  %s4 = arith.constant dense<[[0.5, 2.0]]> : tensor<1x2xf16>
  %b = accel.linear %x, %q4 scales(%s4 : tensor<1x2xf16>) {weight_quant = #accel.quant<bits = 4, group = 4, symmetric>} : tensor<1x8xf32>, tensor<1x8xi4> -> tensor<1x1xf32>

  %q8 = arith.constant dense<[[10, 10, 10, 10, 10, -56, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]]> : tensor<1x16xi8>
  %s8 = arith.constant dense<1.0> : tensor<1x1xf16>
  %z8 = arith.constant dense<10> : tensor<1x1xi8>
  %c = accel.linear %x16, %q8 scales(%s8 : tensor<1x1xf16>) zero_points(%z8 : tensor<1x1xi8>) {sparsity = #accel.sparsity<1:8>, weight_quant = #accel.quant<bits = 8, group = 16, asymmetric>} : tensor<1x16xf32>, tensor<1x16xi8> -> tensor<1x1xf32>

  %wt = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %d = accel.linear %x4, %wt transposed : tensor<1x4xf32>, tensor<4x2xf32> -> tensor<1x2xf32>
  return %a, %b, %c, %d : tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x2xf32>
}
