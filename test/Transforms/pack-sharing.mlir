// accel-pack: linears share a region when their weight, scales, zero
// points, storage (transposed or not) and layout are the same, whatever
// else differs (act_quant); a square weight used both transposed and not
// is two regions (the same constant, other bytes).
// RUN: accel-opt %s --accel-pack | FileCheck %s

// CHECK: accel.weight_image = {{{.*}}linears = 3 : i64
// CHECK-LABEL: func.func @shared
// CHECK: accel.linear {{.*}}accel.image = {{{.*}}index = 0 : i64
// CHECK: accel.linear {{.*}}accel.image = {{{.*}}index = 0 : i64
// CHECK: accel.linear {{.*}}accel.image = {{{.*}}index = 1 : i64
// CHECK: accel.linear {{.*}}accel.image = {{{.*}}index = 2 : i64
// CHECK: accel.linear {{.*}}accel.image = {{{.*}}index = 1 : i64
func.func @shared(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %q = arith.constant dense<[[1, 2, 3, 4], [5, 6, 7, 8], [-1, -2, -3, -4], [0, 1, 0, 1]]> : tensor<4x4xi8>
  %s = arith.constant dense<[[1.0], [0.5], [0.25], [2.0]]> : tensor<4x1xf16>
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]> : tensor<4x4xf32>
  %a = accel.linear %x, %q scales(%s : tensor<4x1xf16>) {weight_quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<2x4xf32>, tensor<4x4xi8> -> tensor<2x4xf32>
  %b = accel.linear %x, %q scales(%s : tensor<4x1xf16>) {act_quant = #accel.quant<bits = 8, per_channel, symmetric>, weight_quant = #accel.quant<bits = 8, per_channel, symmetric>} : tensor<2x4xf32>, tensor<4x4xi8> -> tensor<2x4xf32>
  %c = accel.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %d = accel.linear %x, %w transposed : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %e = accel.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %a, %b, %c, %d, %e : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
