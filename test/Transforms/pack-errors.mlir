// accel-pack: what cannot be packed is an error at the linear, and then no
// image is written; bad options and an unwritable output are errors too.
// RUN: rm -f %t.img
// RUN: accel-opt %s -split-input-file -verify-diagnostics --accel-pack="output=%t.img"
// RUN: not ls %t.img
// RUN: not accel-opt %s -split-input-file --accel-pack="output=%t.img" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not ls %t.img
// RUN: not accel-opt %S/pack.mlir --accel-pack="output=%t.missing-dir/sub/w.img" 2>&1 | FileCheck %s --check-prefix=PATH
// RUN: not accel-opt %S/pack.mlir --accel-pack="rows-per-tile=-1" 2>&1 | FileCheck %s --check-prefix=TILE

// ALL-COUNT-7: error: accel-pack:
// PATH: error: accel-pack: cannot write '{{.*}}missing-dir/sub/w.img': {{.*}}
// TILE: error: accel-pack: rows-per-tile must be >= 0 (0: one tile per matrix), got -1

// A weight that is not a constant.
func.func @argument(%x: tensor<1x4xf32>, %q: tensor<1x4xi2>) -> tensor<1x1xf32> {
  %s = arith.constant dense<1.0> : tensor<1x1xf16>
  %z = arith.constant dense<1> : tensor<1x1xi2>
  // expected-error @+1 {{accel-pack: the weight is not a constant}}
  %y = accel.linear %x, %q scales(%s : tensor<1x1xf16>) zero_points(%z : tensor<1x1xi2>) {weight_quant = #accel.quant<bits = 2, per_channel, asymmetric>} : tensor<1x4xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Scales that are not f16.
func.func @f32_scales(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %q = arith.constant dense<1> : tensor<1x4xi2>
  %s = arith.constant dense<1.0> : tensor<1x1xf32>
  %z = arith.constant dense<1> : tensor<1x1xi2>
  // expected-error @+1 {{accel-pack: scales are packed as f16, got 'f32' (the weight image has no other scale format)}}
  %y = accel.linear %x, %q scales(%s : tensor<1x1xf32>) zero_points(%z : tensor<1x1xi2>) {weight_quant = #accel.quant<bits = 2, per_channel, asymmetric>} : tensor<1x4xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Zero points wider than the weight.
func.func @wide_zero_points(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %q = arith.constant dense<1> : tensor<1x4xi2>
  %s = arith.constant dense<1.0> : tensor<1x1xf16>
  %z = arith.constant dense<1> : tensor<1x1xi8>
  // expected-error @+1 {{accel-pack: zero points are packed at the weight's 2 bits: expected i2, got 'i8'}}
  %y = accel.linear %x, %q scales(%s : tensor<1x1xf16>) zero_points(%z : tensor<1x1xi8>) {weight_quant = #accel.quant<bits = 2, per_channel, asymmetric>} : tensor<1x4xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// A 2:4 op whose second group holds three values other than its zero point.
func.func @not_sparse(%x: tensor<1x8xf32>) -> tensor<1x1xf32> {
  %q = arith.constant dense<[[1, 0, 1, 1, 0, 1, 0, 0]]> : tensor<1x8xi2>
  %s = arith.constant dense<1.0> : tensor<1x2xf16>
  %z = arith.constant dense<[[1, 1]]> : tensor<1x2xi2>
  // expected-error @+1 {{accel-pack: row 0, k 4..7: 3 non-zero weights in a group that keeps 2 of 4}}
  %y = accel.linear %x, %q scales(%s : tensor<1x2xf16>) zero_points(%z : tensor<1x2xi2>) {sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<1x8xf32>, tensor<1x8xi2> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// A symmetric value outside [-P, P]: -2 is not a symmetric 2-bit value.
func.func @symmetric_range(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %q = arith.constant dense<[[1, -1, -2, 0]]> : tensor<1x4xi2>
  %s = arith.constant dense<1.0> : tensor<1x1xf16>
  // expected-error @+1 {{accel-pack: row 0, k 2: value -2 outside [-1, 1]}}
  %y = accel.linear %x, %q scales(%s : tensor<1x1xf16>) {weight_quant = #accel.quant<bits = 2, per_channel, symmetric>} : tensor<1x4xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Every unpackable linear is reported, not only the first; the packable one
// between them is not.
func.func @two(%x: tensor<1x4xf32>, %w: tensor<1x4xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
  // expected-error @+1 {{accel-pack: the weight is not a constant}}
  %a = accel.linear %x, %w : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x1xf32>
  %c = arith.constant dense<1.0> : tensor<1x4xf32>
  %b = accel.linear %x, %c : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x1xf32>
  // expected-error @+1 {{accel-pack: the weight is not a constant}}
  %d = accel.linear %x, %w : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x1xf32>
  return %a, %b, %d : tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>
}
